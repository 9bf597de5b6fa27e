import { createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { copyFile, mkdir, open, readFile, rename, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Bytes, sharedFixturePath, sharedFixtures, tempDir } from '@vhdkit/test-support';
import { VhdIoError, check, copyDiskTo, createDifferencingDisk, createDynamicDisk, createFixedDisk, openDisk, readImageMetadata, resolveParentPath } from '../src/index.js';
import type { VhdDisk } from '../src/index.js';
import { KiB, MiB, footerUniqueId, patchHeader, patternBytes, pointParentAt, rawLayout, sorted } from './helpers/chain-images.js';
import { expectVhdIoError, keptStreamChunks } from './helpers/disk-io.js';

/** The first group of an id's text form (the bytes in stored order). */
const idPrefix = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').slice(0, 8);

const fixtures = sharedFixtures();

async function readAll(disk: VhdDisk): Promise<Uint8Array> {
  const bytes = new Uint8Array(disk.virtualSize);
  expect(await disk.read(bytes, 0)).toBe(disk.virtualSize);
  return bytes;
}

async function streamBytes(disk: VhdDisk, options?: { start?: number; end?: number }): Promise<Uint8Array> {
  return Buffer.concat(await keptStreamChunks(disk, options));
}

describe.skipIf(!fixtures.available)('real images from other tools', { timeout: 30_000 }, () => {
  const withContent = fixtures.facts.filter((facts) => facts.contentSha256 !== null);

  it('has images with a content hash to check', () => {
    expect(sorted(withContent.map((facts) => facts.file))).toEqual(['dfvfs-ext2.vhd', 'dfvfs-image-differential.vhd', 'dfvfs-image.vhd']);
  });

  for (const facts of withContent) {
    it(`${facts.file} reads to its content hash`, async () => {
      const parentPath = facts.diskType === 'differencing' ? sharedFixturePath('dfvfs-image.vhd') : undefined;
      const disk = await openDisk(sharedFixturePath(facts.file), { parentPath });
      try {
        expect(disk.virtualSize).toBe(facts.currentSize);
        expect(disk.allocatedBlockCount()).toBe(facts.allocatedBlocks);
        expect(sha256Bytes(await readAll(disk))).toBe(facts.contentSha256);
        expect(sha256Bytes(await streamBytes(disk))).toBe(facts.contentSha256);
      } finally {
        await disk.close();
      }
    });
  }

  it('reads the dfvfs pair as a chain, recording the invalid checksums as warnings', async () => {
    const disk = await openDisk(sharedFixturePath('dfvfs-image-differential.vhd'), { parentPath: sharedFixturePath('dfvfs-image.vhd') });
    try {
      expect(disk.diskType).toBe('differencing');
      expect(disk.parent?.path).toBe(sharedFixturePath('dfvfs-image.vhd'));
      expect(disk.parent?.diskType).toBe('dynamic');
      expect(disk.warnings.join('\n')).toMatch(/checksum/i);
      expect(disk.parent?.warnings.join('\n')).toMatch(/checksum/i);
      // The child holds one block; the chain shows what the parent shows there plus the child's own sectors.
      expect(disk.allocatedRanges()).toEqual([{ offset: 0, length: 104_448 }]);
    } finally {
      await disk.close();
    }
  });

  it('finds dfvfs-image-differential.vhd\'s parent by its header name beside it (no locators)', async () => {
    const folder = await tempDir('vhdkit-chain-');
    try {
      await copyFile(sharedFixturePath('dfvfs-image-differential.vhd'), join(folder.path, 'child.vhd'));
      await copyFile(sharedFixturePath('dfvfs-image.vhd'), join(folder.path, 'image.vhd'));
      const child = await readImageMetadata(join(folder.path, 'child.vhd'));
      expect(await resolveParentPath(child)).toEqual({ path: join(folder.path, 'image.vhd'), tried: [join(folder.path, 'image.vhd')] });
      const disk = await openDisk(join(folder.path, 'child.vhd'));
      try {
        expect(sha256Bytes(await readAll(disk))).toBe(fixtures.facts.find((facts) => facts.file === 'dfvfs-image-differential.vhd')!.contentSha256);
      } finally {
        await disk.close();
      }
    } finally {
      await folder.cleanup();
    }
  });

  it('reports the Windows-made child\'s missing parent with every path tried (drive-letter paths cannot exist here)', async () => {
    const path = sharedFixturePath('dfvfs-fat-differential.vhd');
    const { path: found, tried } = await resolveParentPath(await readImageMetadata(path));
    expect(found).toBeUndefined();
    expect(tried).toEqual([join(fixtures.dir, 'fat-parent.vhd')]);
    const error = await expectVhdIoError(openDisk(path), 'PARENT_NOT_FOUND');
    expect(error.message).toContain('fat-parent.vhd');
  });
});

describe('chains this toolkit makes', { timeout: 30_000 }, () => {
  let folder: { path: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    folder = await tempDir('vhdkit-chain-');
  });
  afterAll(async () => {
    await folder.cleanup();
  });

  async function chain(name: string, sizeBytes = 3 * MiB, blockSize = 512 * KiB) {
    const dir = join(folder.path, name);
    await mkdir(dir);
    const parent = join(dir, 'parent.vhd');
    await createDynamicDisk(parent, sizeBytes, { blockSize });
    const content = patternBytes(sizeBytes, 7);
    const writer = await openDisk(parent, { writable: true });
    await writer.write(content, 0);
    await writer.close();
    const child = join(dir, 'child.vhd');
    await createDifferencingDisk(child, parent);
    return { dir, parent, child, content };
  }

  it('reads a fresh child as its parent, at any offset and length, through read, Node and web streams', async () => {
    const { child, content } = await chain('fresh');
    const disk = await openDisk(child);
    try {
      expect(disk.diskType).toBe('differencing');
      expect(disk.allocatedBlockCount()).toBe(0);
      expect(Buffer.from(await readAll(disk)).equals(Buffer.from(content))).toBe(true);
      for (const [offset, length] of [[1, 1], [511, 2], [12_345, 700_000], [3 * MiB - 3, 3]] as const) {
        const bytes = new Uint8Array(length);
        expect(await disk.read(bytes, offset)).toBe(length);
        expect(Buffer.from(bytes).equals(Buffer.from(content.subarray(offset, offset + length)))).toBe(true);
      }
      const tail = new Uint8Array(100);
      expect(await disk.read(tail, 3 * MiB - 10)).toBe(10);
      expect(await disk.read(tail, 3 * MiB)).toBe(0);
      expect(Buffer.from(await streamBytes(disk, { start: 1000, end: 600_000 })).equals(Buffer.from(content.subarray(1000, 600_001)))).toBe(true);
      const web = await new Response(disk.readableWebStream({ start: 5, end: 9 })).arrayBuffer();
      expect(Buffer.from(web).equals(Buffer.from(content.subarray(5, 10)))).toBe(true);
      expect(disk.allocatedRanges()).toEqual([{ offset: 0, length: 3 * MiB }]);
    } finally {
      await disk.close();
    }
  });

  it('streams any range (end inclusive, clipped to the disk) and stops cleanly when the consumer does', async () => {
    const { child, content } = await chain('streams');
    const disk = await openDisk(child);
    try {
      expect(Buffer.from(await streamBytes(disk, { start: 3 * MiB - 5, end: 10 * MiB })).equals(Buffer.from(content.subarray(3 * MiB - 5)))).toBe(true);
      expect(await streamBytes(disk, { start: 3 * MiB })).toHaveLength(0);
      expect(await streamBytes(disk, { start: 0, end: 0 })).toEqual(Buffer.from(content.subarray(0, 1)));
      const reader = disk.readableWebStream().getReader();
      const first = await reader.read();
      expect(Buffer.from(first.value!).equals(Buffer.from(content.subarray(0, first.value!.length)))).toBe(true);
      await reader.cancel();
      const stream = disk.createReadStream({ start: 1 });
      const iterator = stream[Symbol.asyncIterator]();
      const chunk = (await iterator.next()).value as Buffer;
      expect(chunk.equals(Buffer.from(content.subarray(1, 1 + chunk.length)))).toBe(true);
      await iterator.return?.(); // destroys the stream
      expect(stream.destroyed).toBe(true);
      expect(() => disk.createReadStream({ start: -1 })).toThrow(VhdIoError);
    } finally {
      await disk.close();
    }
  });

  it('copies any range to a file through a ring of reused buffers (copyDiskTo)', async () => {
    const { dir, child, content } = await chain('copy-to', 5 * MiB + 512);
    const disk = await openDisk(child);
    try {
      for (const [name, options, expected] of [
        ['all.raw', {}, content],
        ['part.raw', { start: 2 * MiB - 3, end: 4 * MiB + 10 }, content.subarray(2 * MiB - 3, 4 * MiB + 11)],
      ] as const) {
        const path = join(dir, name);
        const output = createWriteStream(path);
        expect(await copyDiskTo(disk, output, options)).toBe(expected.length);
        await new Promise<void>((resolve, reject) => output.end((error?: Error | null) => (error ? reject(error) : resolve())));
        expect(Buffer.from(await readFile(path)).equals(Buffer.from(expected))).toBe(true);
      }
    } finally {
      await disk.close();
    }
  });

  it('copyDiskTo and streams let the event loop turn: a timer stops a copy that never waits for a read (512 GiB of holes)', async () => {
    const image = join(folder.path, 'holes-512g.vhd');
    await createDynamicDisk(image, 512 * 1024 * MiB);
    for (const blockingReads of [false, true]) {
      const disk = await openDisk(image, { blockingReads });
      try {
        let copied = 0;
        const sink = new Writable({
          write(chunk: Buffer, _encoding, callback) {
            copied += chunk.length;
            callback(); // at once: nothing here waits for the event loop either
          },
        });
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 100);
        const started = Date.now();
        await expectVhdIoError(copyDiskTo(disk, sink, { signal: controller.signal }), 'ABORTED');
        // Zero-filling all 512 GiB would take tens of seconds; the abort lands within a turn or two.
        expect(Date.now() - started, `blockingReads: ${blockingReads}`).toBeLessThan(5_000);
        expect(copied).toBeGreaterThan(0);
        expect(copied).toBeLessThan(512 * 1024 * MiB);

        // The same for a stream into a consumer that calls back at once: a timer can stop it.
        const stream = disk.createReadStream();
        setTimeout(() => stream.destroy(new Error('stopped by a timer')), 100);
        const streamStarted = Date.now();
        await expect(pipeline(stream, new Writable({ write: (_chunk, _encoding, callback) => callback() }))).rejects.toThrow('stopped by a timer');
        expect(Date.now() - streamStarted, `stream, blockingReads: ${blockingReads}`).toBeLessThan(5_000);
      } finally {
        await disk.close();
      }
    }
  });

  it('refuses writes to a read-only disk and offsets that are not non-negative integers', async () => {
    const { child } = await chain('read-only');
    const disk = await openDisk(child);
    try {
      await expectVhdIoError(disk.write(new Uint8Array(1), 0), 'READ_ONLY');
      await expectVhdIoError(disk.read(new Uint8Array(1), -1), 'OUT_OF_RANGE');
      await expectVhdIoError(disk.read(new Uint8Array(1), 0.5), 'OUT_OF_RANGE');
    } finally {
      await disk.close();
    }
  });

  it('refuses a parent with another unique id, naming both ids', async () => {
    const { dir, child } = await chain('mismatch');
    const other = join(dir, 'other.vhd');
    await createDynamicDisk(other, 3 * MiB, { blockSize: 512 * KiB });
    const error = await expectVhdIoError(openDisk(child, { parentPath: other }), 'PARENT_MISMATCH');
    expect(error.message).toContain(idPrefix(await footerUniqueId(other)));
    expect(error.message).toContain(idPrefix(await footerUniqueId(join(dir, 'parent.vhd'))));
  });

  it('refuses a parent whose modification time changed unless asked to accept it; 0 means not recorded', async () => {
    const { parent, child } = await chain('timestamp');
    const { mtime } = await stat(parent);
    await utimes(parent, mtime, new Date(mtime.getTime() + 10_000));
    const error = await expectVhdIoError(openDisk(child), 'PARENT_TIMESTAMP_MISMATCH');
    expect(error.message).toMatch(/timestamp/);
    const accepted = await openDisk(child, { timestampMismatch: 'accept' });
    expect(accepted.warnings.join('\n')).toMatch(/timestamp.*accepted/);
    await accepted.close();
    await patchHeader(child, (header) => header.setUint32(56, 0));
    const unrecorded = await openDisk(child);
    expect(unrecorded.warnings).toEqual([]);
    await unrecorded.close();
  });

  it('resolves W2ru first, then W2ku, then the header name beside the child', async () => {
    const { dir, child } = await chain('resolve');
    const away = join(dir, 'away');
    await mkdir(away);
    // Moved child: W2ru (.\parent.vhd) now misses, W2ku (absolute) still finds the parent.
    await rename(child, join(away, 'child.vhd'));
    const moved = await resolveParentPath(await readImageMetadata(join(away, 'child.vhd')));
    expect(moved).toEqual({ path: join(dir, 'parent.vhd'), tried: [join(away, 'parent.vhd'), join(dir, 'parent.vhd')] });
    // Parent moved beside it: W2ru finds it first.
    const { mtime } = await stat(join(dir, 'parent.vhd'));
    await rename(join(dir, 'parent.vhd'), join(away, 'parent.vhd'));
    await utimes(join(away, 'parent.vhd'), mtime, mtime);
    expect(await resolveParentPath(await readImageMetadata(join(away, 'child.vhd')))).toEqual({ path: join(away, 'parent.vhd'), tried: [join(away, 'parent.vhd')] });
    const disk = await openDisk(join(away, 'child.vhd'));
    expect(disk.parent?.path).toBe(join(away, 'parent.vhd'));
    await disk.close();
  });

  it('falls back to the header name beside the child when both locators miss', async () => {
    const dir = join(folder.path, 'by-name');
    await mkdir(join(dir, 'base'), { recursive: true });
    const parent = join(dir, 'base', 'parent.vhd');
    await createDynamicDisk(parent, 1 * MiB);
    const child = join(dir, 'child.vhd');
    await createDifferencingDisk(child, parent);
    const { mtime } = await stat(parent);
    // W2ru is .\base\parent.vhd and W2ku the absolute path: moving the parent up breaks both.
    await rename(parent, join(dir, 'parent.vhd'));
    await utimes(join(dir, 'parent.vhd'), mtime, mtime);
    const found = await resolveParentPath(await readImageMetadata(child));
    expect(found).toEqual({ path: join(dir, 'parent.vhd'), tried: [parent, join(dir, 'parent.vhd')] });
    const disk = await openDisk(child);
    expect(disk.parent?.path).toBe(join(dir, 'parent.vhd'));
    await disk.close();
  });

  it('follows a MacX file URL when W2ru misses, with its data space given in sectors', async () => {
    const { dir, parent, child } = await chain('macx');
    const moved = join(dir, 'moved', 'parent.vhd');
    const layout = await rawLayout(child);
    const w2ku = layout.locators.findIndex((locator) => locator.code === 'W2ku');
    // Replace the W2ku locator by a MacX one naming the parent's new place.
    const url = new TextEncoder().encode(`file://localhost${moved}`);
    const handle = await open(child, 'r+');
    await handle.write(new Uint8Array(4096), 0, 4096, layout.locators[w2ku]!.offset);
    await handle.write(url, 0, url.length, layout.locators[w2ku]!.offset);
    await handle.close();
    await patchHeader(child, (header) => {
      const entry = 576 + w2ku * 24;
      for (const [index, char] of [...'MacX'].entries()) header.setUint8(entry + index, char.charCodeAt(0));
      header.setUint32(entry + 4, 8); // 8 sectors = 4096 bytes, as the specification counts
      header.setUint32(entry + 8, url.length);
    });
    const { mtime } = await stat(parent);
    await mkdir(join(dir, 'moved'));
    await rename(parent, moved);
    await utimes(moved, mtime, mtime);
    const metadata = await readImageMetadata(child);
    expect(metadata.parentLocatorPaths).toContainEqual({ platformCode: 'MacX', path: moved });
    // W2ru (.\parent.vhd beside the child) misses; MacX finds it before the header name is tried.
    expect(await resolveParentPath(metadata)).toEqual({ path: moved, tried: [parent, moved] });
    const disk = await openDisk(child);
    expect(disk.parent?.path).toBe(moved);
    await disk.close();
    expect((await check(child)).issues.map((issue) => issue.code)).toEqual(['LOCATOR_SPACE_IN_SECTORS']);
  });

  it('detects loops and chains deeper than maxDepth', async () => {
    const { dir, child } = await chain('loop');
    const grandchild = join(dir, 'grandchild.vhd');
    await createDifferencingDisk(grandchild, child);
    const deep = await expectVhdIoError(openDisk(grandchild, { maxDepth: 2 }), 'CHAIN_TOO_DEEP');
    expect(deep.message).toContain('2');
    const full = await openDisk(grandchild, { maxDepth: 3 });
    await full.close();
    // Point the child at the grandchild (id, name; locators dropped): child → grandchild → child.
    await pointParentAt(child, grandchild);
    // Patching the child changed its modification time: once a second boundary passed since the grandchild was made,
    // the recorded parent timestamp no longer matches, which is not what this test is about.
    await expectVhdIoError(openDisk(grandchild, { timestampMismatch: 'accept' }), 'CHAIN_LOOP');
  });

  it('reads a fixed disk and a fixed parent', async () => {
    const dir = join(folder.path, 'fixed');
    await mkdir(dir);
    const base = join(dir, 'base.vhd');
    await createFixedDisk(base, 1 * MiB + 512);
    const content = patternBytes(1 * MiB + 512, 3);
    const writer = await openDisk(base, { writable: true });
    expect(writer.diskType).toBe('fixed');
    expect(writer.blockSize).toBeUndefined();
    await writer.write(content, 0);
    await writer.close();
    const child = join(dir, 'child.vhd');
    await createDifferencingDisk(child, base);
    const disk = await openDisk(child);
    try {
      expect(Buffer.from(await readAll(disk)).equals(Buffer.from(content))).toBe(true);
      expect(disk.allocatedRanges()).toEqual([{ offset: 0, length: 1 * MiB + 512 }]);
      expect(disk.parent?.allocatedBlockCount()).toBe(0);
    } finally {
      await disk.close();
    }
  });
});
