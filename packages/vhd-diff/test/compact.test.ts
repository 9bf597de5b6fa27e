import { link, readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256File, testFolder } from '@vhdkit/test-support';
import { SECTOR_SIZE, blockOffsetForNewBlock } from '@vhdkit/vhd-format';
import { check, compact, createDifferencingDisk, createDynamicDisk, createFixedDisk, openDisk, readImageMetadata } from '../src/index.js';
import { KiB, MiB, patternBytes } from './helpers/chain-images.js';
import { expectVhdIoError, readWholeDisk, writeIntoDisk } from './helpers/disk-io.js';
import { expectIndependentReadersSee } from './helpers/independent-readers.js';

const folder = testFolder('vhdkit-compact-');

function allocatedBlocks(bat: Uint32Array): number {
  return bat.reduce((count, entry) => count + (entry === 0xffffffff ? 0 : 1), 0);
}

/**
 * The size a compacted image must have, from its own metadata: the structures before the first block (header,
 * locators, BAT region), then each block's bitmap and data with the data 4 KiB aligned, then the footer.
 */
async function expectedCompactedSize(path: string): Promise<number> {
  const metadata = await readImageMetadata(path, { strict: true });
  const header = metadata.header!;
  const bitmapBytes = Math.ceil(header.blockSize / SECTOR_SIZE / 8 / SECTOR_SIZE) * SECTOR_SIZE;
  const structuresEnd = Math.max(
    Number(metadata.footer.dataOffset) + 1024,
    header.tableOffset + Math.ceil((header.maxTableEntries * 4) / SECTOR_SIZE) * SECTOR_SIZE,
    ...header.parentLocators.filter((entry) => entry.platformCode !== '\0\0\0\0' && entry.platformDataOffset > 0).map((entry) => entry.platformDataOffset + entry.platformDataSpace),
  );
  let end = structuresEnd;
  for (let block = 0; block < allocatedBlocks(metadata.bat!); block++) end = blockOffsetForNewBlock(end, bitmapBytes) + bitmapBytes + header.blockSize;
  return end + 512;
}

describe('compact', () => {
  it('releases the all-zero blocks of a dynamic disk, shrinks the file to exactly what remains, keeps every byte', async () => {
    const path = folder.nextPath('half-zero.vhd');
    await createDynamicDisk(path, 8 * MiB, { blockSize: 512 * KiB });
    // 16 blocks: the even ones get data, the odd ones zeros written over (allocated, but nothing in them).
    for (let block = 0; block < 16; block++) {
      await writeIntoDisk(path, block % 2 === 0 ? patternBytes(100 * KiB, block + 1) : new Uint8Array(100 * KiB), block * 512 * KiB + 1000);
    }
    const before = await readWholeDisk(path);
    const sizeBefore = (await stat(path)).size;
    expect(allocatedBlocks((await readImageMetadata(path)).bat!)).toBe(16);
    const mtime = (await stat(path)).mtimeMs;

    const result = await compact(path);
    expect(result).toMatchObject({ diskType: 'dynamic', blocksBefore: 16, blocksAfter: 8, fileSizeBefore: sizeBefore });
    const after = await stat(path);
    expect(after.size).toBe(result.fileSizeAfter);
    expect(after.size).toBe(await expectedCompactedSize(path));
    expect(after.size).toBeLessThan(sizeBefore);
    expect(after.mtimeMs).toBeCloseTo(mtime, 2); // kept to the microsecond (children compare seconds)
    expect(Buffer.from(await readWholeDisk(path)).equals(Buffer.from(before))).toBe(true);
    expect((await check(path)).issues.filter((issue) => issue.severity !== 'info')).toEqual([]);
    await expectIndependentReadersSee(path, before, folder.nextPath('half-zero.raw'));
    // Compacting again changes nothing.
    const again = await compact(path);
    expect(again).toMatchObject({ blocksBefore: 8, blocksAfter: 8, fileSizeAfter: after.size });
  });

  it('in a differencing disk keeps zeros the child wrote (they hide the parent) and, on request, drops what equals the parent', async () => {
    const parent = folder.nextPath('parent.vhd');
    const child = folder.nextPath('child.vhd');
    await createDynamicDisk(parent, 4 * MiB, { blockSize: 512 * KiB });
    await writeIntoDisk(parent, patternBytes(2 * MiB, 3), 0);
    await createDifferencingDisk(child, parent);
    await writeIntoDisk(child, new Uint8Array(4096), 10 * KiB); // zeros over parent data: must stay
    await writeIntoDisk(child, patternBytes(2 * MiB, 3).subarray(600 * KiB, 700 * KiB), 600 * KiB); // equal to the parent
    await writeIntoDisk(child, patternBytes(5000, 9), 3 * MiB); // new data
    const parentHash = await sha256File(parent);
    const parentTimes = await stat(parent);
    const before = await readWholeDisk(child);

    const plain = await compact(child);
    expect(plain).toMatchObject({ diskType: 'differencing', blocksBefore: 3, blocksAfter: 3, sectorsUnmarked: 0 });
    const matched = await compact(child, { zeroMatchesParent: true });
    expect(matched.sectorsUnmarked).toBe(200);
    expect(matched.blocksAfter).toBe(2);
    expect((await stat(child)).size).toBe(await expectedCompactedSize(child));
    expect(Buffer.from(await readWholeDisk(child)).equals(Buffer.from(before))).toBe(true);
    expect(await sha256File(parent)).toBe(parentHash);
    expect((await stat(parent)).mtimeMs).toBe(parentTimes.mtimeMs);
    expect((await check(child)).ok).toBe(true);
  });

  it('keeps a compacted parent usable by its children (same id, same modification time)', async () => {
    const parent = folder.nextPath('base.vhd');
    const child = folder.nextPath('over-base.vhd');
    await createDynamicDisk(parent, 2 * MiB, { blockSize: 512 * KiB });
    await writeIntoDisk(parent, new Uint8Array(600 * KiB), 0);
    await writeIntoDisk(parent, patternBytes(1000, 4), MiB);
    await createDifferencingDisk(child, parent);
    await writeIntoDisk(child, patternBytes(3000, 5), 100);
    const before = await readWholeDisk(child);
    const result = await compact(parent);
    expect(result.blocksAfter).toBe(1);
    const disk = await openDisk(child);
    await disk.close();
    expect(Buffer.from(await readWholeDisk(child)).equals(Buffer.from(before))).toBe(true);
  });

  it('refuses a fixed disk, and leaves nothing behind when aborted', async () => {
    const fixed = folder.nextPath('fixed.vhd');
    await createFixedDisk(fixed, MiB);
    await expectVhdIoError(compact(fixed), 'UNSUPPORTED');
    const path = folder.nextPath('aborted.vhd');
    await createDynamicDisk(path, 4 * MiB, { blockSize: 512 * KiB });
    for (let block = 0; block < 8; block++) await writeIntoDisk(path, new Uint8Array(512), block * 512 * KiB);
    const bytes = await readFile(path);
    const controller = new AbortController();
    const compacting = compact(path, {
      signal: controller.signal,
      onProgress: ({ bytesWritten }) => {
        if (bytesWritten > 0) controller.abort();
      },
    });
    await expectVhdIoError(compacting, 'ABORTED');
    expect((await readFile(path)).equals(bytes)).toBe(true);
    expect((await readdir(dirname(path))).filter((name) => name.includes(basename(path)) && name.endsWith('.tmp'))).toEqual([]);
  });

  it('leaves other hard links naming the old file', async () => {
    const path = folder.nextPath('linked.vhd');
    await createDynamicDisk(path, 2 * MiB, { blockSize: 512 * KiB });
    await writeIntoDisk(path, new Uint8Array(512), 0);
    const other = folder.nextPath('other-name.vhd');
    await link(path, other);
    await compact(path);
    expect(allocatedBlocks((await readImageMetadata(other)).bat!)).toBe(1);
    expect(allocatedBlocks((await readImageMetadata(path)).bat!)).toBe(0);
  });
});
