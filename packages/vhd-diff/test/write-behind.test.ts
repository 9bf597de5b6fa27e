import { randomBytes } from 'node:crypto';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testFolder, withSmallVolume } from '@vhdkit/test-support';
import { VhdIoError, check, createDifferencingDisk, exportToFile, importRaw, openDisk } from '../src/index.js';
import { WriteBehind, ringBuffersFor } from '../src/write-behind.js';
import { listFolder } from './create-support.js';
import { KiB, MiB } from './helpers/chain-images.js';

const folder = testFolder('vhdkit-write-behind-');

/** `length` random bytes with whole zero stretches at `zeros` ([start, end)). */
function bytesWithZeros(length: number, zeros: [number, number][]): Buffer {
  const bytes = randomBytes(length);
  for (const [start, end] of zeros) bytes.fill(0, start, end);
  return bytes;
}

/** What a disk image reads as, all of it, through our reader. */
async function contentOf(imagePath: string): Promise<Buffer> {
  const disk = await openDisk(imagePath);
  try {
    const bytes = Buffer.alloc(disk.virtualSize);
    await disk.read(bytes, 0);
    return bytes;
  } finally {
    await disk.close();
  }
}

/** A tmpfs of `bytes` in a fresh folder: writes past it fail with ENOSPC. */
async function withVolumeOf(bytes: number, use: (dir: string) => Promise<void>): Promise<void> {
  await withSmallVolume(await folder.nextFolder(), bytes, use);
}

async function expectDiskFull(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(VhdIoError);
  expect((error as VhdIoError).code).toBe('IO');
  expect(((error as VhdIoError).cause as NodeJS.ErrnoException).code).toBe('ENOSPC');
}

describe('WriteBehind', () => {
  it('a ring is a few MiB: at least three buffers (read, written, queued) up to 4 MiB each, two of a larger block', () => {
    for (let bufferBytes = 512 * KiB; bufferBytes <= 256 * MiB; bufferBytes *= 2) {
      for (const bytes of [bufferBytes, bufferBytes + 512]) {
        const buffers = ringBuffersFor(bytes);
        if (bytes <= 4 * MiB) {
          expect(buffers).toBeGreaterThanOrEqual(3);
          expect(buffers * bytes).toBeLessThanOrEqual(12 * MiB);
        } else {
          expect(buffers).toBe(2);
        }
      }
    }
  });

  it('writes every queued buffer at its place, though the ring is reused many times over, with gaps and unwritten buffers', async () => {
    // Buffers of an odd length, more than a batch; a header that is not a ring buffer; a gap and a released
    // (unwritten) buffer break contiguity; the last chunk is the start of a buffer.
    const bufferBytes = 3 * MiB + 7;
    const path = folder.nextPath('ring.bin');
    const handle = await open(path, 'w+');
    const expected = Buffer.alloc(40 * MiB);
    try {
      const writer = new WriteBehind(handle, path, { buffers: 3, bufferBytes });
      const header = randomBytes(1000);
      writer.write([header], 0); // not a ring buffer: only written
      header.copy(expected, 0);
      let position = 1000;
      for (let index = 0; position < expected.length; index++) {
        const buffer = await writer.buffer();
        const length = Math.min(bufferBytes, expected.length - position);
        randomBytes(length).copy(buffer);
        if (index === 4) {
          writer.release(buffer); // a chunk not written (all zeros in a copy): its bytes stay a hole
        } else {
          const skip = index === 7 ? 4096 : 0; // a gap: the next write starts a new batch
          position += skip;
          const chunk = buffer.subarray(0, Math.min(length, expected.length - position));
          writer.write([chunk], position); // a view of a ring buffer: the buffer returns to the ring once written
          Buffer.from(chunk).copy(expected, position);
          position += chunk.length;
          continue;
        }
        position += length;
      }
      await writer.drain();
      await writer.settle();
    } finally {
      await handle.close();
    }
    const written = await readFile(path);
    expect(written.length).toBe(expected.length);
    expect(written.equals(expected)).toBe(true);
  });

  it('a failed write fails the next call with a VhdIoError; settle() waits for the rest without throwing', async () => {
    await withVolumeOf(4 * MiB, async (dir) => {
      const path = join(dir, 'full.bin');
      const handle = await open(path, 'w');
      try {
        const writer = new WriteBehind(handle, path, { buffers: 2, bufferBytes: 2 * MiB });
        const copying = (async () => {
          for (let position = 0; position < 32 * MiB; position += 2 * MiB) {
            const buffer = await writer.buffer();
            buffer.fill(0xa5);
            writer.write([buffer], position);
          }
          await writer.drain();
        })();
        await expectDiskFull(copying);
        await writer.settle();
      } finally {
        await handle.close();
      }
    });
  });
});

describe('importRaw through the ring', { timeout: 60_000 }, () => {
  // 37 MiB and a bit: more blocks than the ring holds, a partial last block, zero blocks between.
  const raw = bytesWithZeros(37 * MiB + 1234, [
    [2 * MiB, 4 * MiB],
    [10 * MiB, 16 * MiB],
    [30 * MiB + 512 * KiB, 31 * MiB],
  ]);

  it.each([
    ['dynamic', 2 * MiB],
    ['dynamic', 512 * KiB],
    ['fixed', undefined],
  ] as const)('%s (block size %s): every byte where it belongs', async (type, blockSize) => {
    const rawPath = folder.nextPath('odd.raw');
    await writeFile(rawPath, raw);
    const out = folder.nextPath(`${type}.vhd`);
    const imported = await importRaw(rawPath, out, { type, ...(blockSize !== undefined && { blockSize }) });
    const content = await contentOf(out);
    expect(content.subarray(0, raw.length).equals(raw)).toBe(true);
    expect(content.subarray(raw.length).every((byte) => byte === 0)).toBe(true);
    expect(imported.sourceBytes).toBe(raw.length);
    expect((await check(out)).issues).toEqual([]);
  });

  it.each(['dynamic', 'fixed'] as const)('%s onto a volume that fills up mid-copy: IO with ENOSPC as the cause, no file left', async (type) => {
    const rawPath = folder.nextPath('big.raw');
    await writeFile(rawPath, randomBytes(24 * MiB));
    await withVolumeOf(6 * MiB, async (dir) => {
      await expectDiskFull(importRaw(rawPath, join(dir, 'd.vhd'), { type }));
      expect(await listFolder(dir)).toEqual([]);
    });
  });
});

/** A child over a parent of 21 MiB and a bit (a zero block between), 3 MiB of it rewritten in the child. */
async function chain(): Promise<{ child: string; content: Buffer }> {
  const chainFolder = await folder.nextFolder();
  const parentRaw = join(chainFolder, 'parent.raw');
  const content = bytesWithZeros(21 * MiB + 512, [[6 * MiB, 8 * MiB]]);
  await writeFile(parentRaw, content);
  const parent = join(chainFolder, 'parent.vhd');
  await importRaw(parentRaw, parent, { type: 'dynamic' });
  const child = join(chainFolder, 'child.vhd');
  await createDifferencingDisk(child, parent);
  const disk = await openDisk(child, { writable: true });
  const patch = randomBytes(3 * MiB + 100);
  await disk.write(patch, 5 * MiB - 50);
  await disk.close();
  patch.copy(content, 5 * MiB - 50);
  return { child, content };
}

describe('exportToFile through the ring', { timeout: 60_000 }, () => {
  it.each([
    ['dynamic', 'a path'],
    ['fixed', 'a path'],
    ['dynamic', 'disk already open (reads in the thread pool)'],
  ] as const)('%s from %s: the chain content, byte for byte', async (type, from) => {
    const { child, content } = await chain();
    const out = folder.nextPath(`${type}.vhd`);
    const source = from === 'a path' ? child : await openDisk(child);
    try {
      await exportToFile(source, out, { type });
    } finally {
      if (typeof source !== 'string') await source.close();
    }
    expect((await contentOf(out)).subarray(0, content.length).equals(content)).toBe(true);
    expect((await check(out)).issues).toEqual([]);
  });

  it('an abort after some blocks leaves no file', async () => {
    const { child } = await chain();
    const caseFolder = await folder.nextFolder();
    const stop = new AbortController();
    const onProgress = ({ bytesWritten }: { bytesWritten: number }) => {
      if (bytesWritten > 4 * MiB) stop.abort();
    };
    await expect(exportToFile(child, join(caseFolder, 'x.vhd'), { type: 'dynamic', signal: stop.signal, onProgress })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await listFolder(caseFolder)).toEqual([]);
  });

  it('onto a volume that fills up mid-copy: IO with ENOSPC as the cause, no file left', async () => {
    const { child } = await chain();
    await withVolumeOf(8 * MiB, async (dir) => {
      await expectDiskFull(exportToFile(child, join(dir, 'x.vhd'), { type: 'dynamic' }));
      expect(await listFolder(dir)).toEqual([]);
    });
  });
});
