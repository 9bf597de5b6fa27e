import { copyFile, open, readFile, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { sha256Bytes, sharedFixturePath, sharedFixtures, testFolder } from '@vhdkit/test-support';
import { check, createDifferencingDisk, createDynamicDisk, createFixedDisk, openDisk, repair } from '../src/index.js';
import type { CheckReport } from '../src/index.js';
import { KiB, MiB, SECTOR, patternBytes, rawLayout, sorted } from './helpers/chain-images.js';

const fixtures = sharedFixtures();

const folder = testFolder('vhdkit-chain-check-');
const nextPath = folder.nextPath;

const codes = (report: CheckReport) => sorted(report.issues.map((issue) => `${issue.severity}:${issue.code}`));

async function contentHash(path: string, parentPath?: string): Promise<string> {
  const disk = await openDisk(path, { parentPath });
  try {
    const bytes = new Uint8Array(disk.virtualSize);
    await disk.read(bytes, 0);
    return sha256Bytes(bytes);
  } finally {
    await disk.close();
  }
}

/** A written 3 MiB child over a written dynamic parent. */
async function writtenChain() {
  const parent = nextPath('parent.vhd');
  await createDynamicDisk(parent, 3 * MiB, { blockSize: 512 * KiB });
  const writer = await openDisk(parent, { writable: true });
  await writer.write(patternBytes(3 * MiB, 1), 0);
  await writer.close();
  const child = nextPath('child.vhd');
  await createDifferencingDisk(child, parent);
  const childWriter = await openDisk(child, { writable: true });
  await childWriter.write(patternBytes(700 * KiB, 2), 300 * KiB + 5);
  await childWriter.close();
  return { parent, child };
}

async function patchBytes(path: string, offset: number, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'r+');
  await handle.write(bytes, 0, bytes.length, offset);
  await handle.close();
}

function u32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value);
  return bytes;
}

describe('check', { timeout: 30_000 }, () => {
  it('finds nothing wrong with images this toolkit made and wrote', async () => {
    const { parent, child } = await writtenChain();
    const fixed = nextPath('fixed.vhd');
    await createFixedDisk(fixed, 1 * MiB);
    for (const path of [parent, child, fixed]) {
      const report = await check(path);
      expect(report.issues, path).toEqual([]);
      expect(report.ok).toBe(true);
    }
    expect((await check(child)).diskType).toBe('differencing');
    expect(JSON.parse(JSON.stringify(await check(child)))).toEqual(await check(child));
  });

  it.skipIf(!fixtures.available)('reports the dfvfs images\' invalid checksums as repairable errors and the Windows child\'s missing parent', async () => {
    expect(codes(await check(sharedFixturePath('dfvfs-image.vhd')))).toEqual(['error:FOOTER_CHECKSUM', 'info:BITMAP_BEYOND_DISK']);
    // The child's header checksum is invalid too; its parent 'image.vhd' is not beside it under that name.
    expect(codes(await check(sharedFixturePath('dfvfs-image-differential.vhd')))).toEqual(['error:FOOTER_CHECKSUM', 'error:HEADER_CHECKSUM', 'error:PARENT_NOT_FOUND', 'info:BITMAP_BEYOND_DISK']);
    const windows = await check(sharedFixturePath('dfvfs-fat-differential.vhd'));
    expect(codes(windows)).toEqual(['error:PARENT_NOT_FOUND']);
    expect(codes(await check(sharedFixturePath('dfvfs-ext2.vhd')))).toEqual([]);
  });

  it.skipIf(!fixtures.available)('repairs the checksums of a copy without changing its content', async () => {
    const copy = nextPath('image-differential.vhd');
    await copyFile(sharedFixturePath('dfvfs-image-differential.vhd'), copy);
    const parentPath = sharedFixturePath('dfvfs-image.vhd');
    const before = await contentHash(copy, parentPath);
    const { repaired, after } = await repair(copy);
    expect(sorted(repaired.map((issue) => issue.code))).toEqual(['FOOTER_CHECKSUM', 'HEADER_CHECKSUM']);
    expect(codes(after)).toEqual(['error:PARENT_NOT_FOUND', 'info:BITMAP_BEYOND_DISK']);
    expect(await contentHash(copy, parentPath)).toBe(before);
    expect((await stat(copy)).size).toBe(2_100_224);
  });

  it('finds and repairs a footer copy that differs, a 511-byte footer and a destroyed trailing footer', async () => {
    const { child } = await writtenChain();
    const content = await contentHash(child);
    const size = (await stat(child)).size;

    await patchBytes(child, 40, u32(123)); // original size in the copy at offset 0
    expect(codes(await check(child))).toEqual(['error:FOOTER_COPY_MISMATCH']);
    let result = await repair(child);
    expect(result.after.issues).toEqual([]);

    await truncate(child, size - 1);
    expect(codes(await check(child))).toEqual(['warning:FOOTER_TRUNCATED']);
    result = await repair(child);
    expect(result.after.issues).toEqual([]);
    expect((await stat(child)).size).toBe(size);

    await patchBytes(child, size - 512, new Uint8Array(512));
    const damaged = await check(child);
    expect(codes(damaged)).toEqual(['error:FOOTER_DAMAGED']);
    expect(damaged.issues[0]!.repairable).toBe(true);
    result = await repair(child);
    expect(result.after.issues).toEqual([]);
    expect((await stat(child)).size).toBe(size);
    expect(await contentHash(child)).toBe(content);
  });

  it('reports BAT entries out of the file, overlapping each other or the metadata, as unrepairable errors', async () => {
    const { child } = await writtenChain();
    const layout = await rawLayout(child);
    const allocated = layout.bat.flatMap((entry, index) => (entry === 0xffffffff ? [] : [index]));
    expect(allocated.length).toBeGreaterThanOrEqual(2);
    const entryOffset = (index: number) => layout.tableOffset + index * 4;

    const outside = nextPath('outside.vhd');
    await copyFile(child, outside);
    await patchBytes(outside, entryOffset(allocated[0]!), u32(Math.floor(layout.fileSize / SECTOR) + 8));
    const outsideReport = await check(outside);
    expect(codes(outsideReport)).toContain('error:BLOCK_OUT_OF_FILE');
    expect(outsideReport.issues.find((issue) => issue.code === 'BLOCK_OUT_OF_FILE')).toMatchObject({ blockIndex: allocated[0], repairable: false });
    // Reading or writing through that entry is refused; the rest of the disk still reads, and writes land after the real data.
    const disk = await openDisk(outside, { writable: true });
    const blockBytes = new Uint8Array(512 * KiB);
    const refused = await disk.read(blockBytes, allocated[0]! * 512 * KiB).catch((error: unknown) => error);
    expect(refused).toMatchObject({ name: 'VhdIoError', code: 'CORRUPT' });
    expect(await disk.read(blockBytes, allocated[1]! * 512 * KiB)).toBe(512 * KiB);
    await disk.write(new Uint8Array(1).fill(1), 5 * 512 * KiB);
    await disk.close();
    expect((await stat(outside)).size).toBeLessThan(layout.fileSize + 600 * KiB);

    const overlapping = nextPath('overlapping.vhd');
    await copyFile(child, overlapping);
    await patchBytes(overlapping, entryOffset(allocated[1]!), u32(layout.bat[allocated[0]!]! + 1));
    expect(codes(await check(overlapping))).toContain('error:BLOCKS_OVERLAP');

    const onLocator = nextPath('on-locator.vhd');
    await copyFile(child, onLocator);
    await patchBytes(onLocator, entryOffset(allocated[0]!), u32(layout.locators[0]!.offset / SECTOR));
    expect(codes(await check(onLocator))).toContain('error:BLOCK_OVERLAPS_METADATA');
    expect((await repair(onLocator)).repaired).toEqual([]);
  });

  it('checks the parent link: missing, another disk, changed timestamp (an error unless accepted)', async () => {
    const { parent, child } = await writtenChain();
    const { mtime } = await stat(parent);
    await utimes(parent, mtime, new Date(mtime.getTime() + 3000));
    expect(codes(await check(child))).toEqual(['error:PARENT_TIMESTAMP_MISMATCH']);
    expect(codes(await check(child, { timestampMismatch: 'accept' }))).toEqual(['warning:PARENT_TIMESTAMP_MISMATCH']);

    const bytes = await readFile(parent);
    await createDynamicDisk(`${parent}.other`, 3 * MiB, { blockSize: 512 * KiB });
    await copyFile(`${parent}.other`, parent);
    await utimes(parent, mtime, mtime);
    expect(codes(await check(child))).toEqual(['error:PARENT_MISMATCH']);

    await writeFile(parent, bytes);
    await truncate(parent, 0);
    expect(codes(await check(child))).toEqual(['error:PARENT_UNREADABLE']);
    // Another file in its place: the report names it (its path, never its bytes).
    await writeFile(parent, 'SECRETXY'.repeat(256));
    const report = await check(child);
    expect(codes(report)).toEqual(['error:PARENT_UNREADABLE']);
    expect(report.issues[0]!.message).toBe(`${parent} (a parent in the chain) is not a usable VHD (NO_FOOTER)`);
  });

  it('says NOT_A_VHD for files without a footer', async () => {
    const path = nextPath('not.vhd');
    await writeFile(path, new Uint8Array(4096).fill(7));
    const report = await check(path);
    expect(report).toMatchObject({ ok: false, diskType: undefined });
    expect(codes(report)).toEqual(['error:NOT_A_VHD']);
  });
});
