import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '@vhdkit/test-support';
import { copyDiskTo, createDifferencingDisk, createDynamicDisk, openDisk } from '../src/index.js';
import type { VhdDisk } from '../src/index.js';
import { KiB, MiB, patternBytes, rawBitmap, rawLayout } from './helpers/chain-images.js';
import { expectVhdIoError, keptStreamChunks } from './helpers/disk-io.js';

/**
 * The fast read paths (issue 7 performance work), checked for correctness only: streams that skip reads for
 * stretches no layer holds, one preadv for a block's bitmap and data, and chunks that stay the consumer's.
 * The expected bytes come from a plain array updated alongside every write, never from the reader.
 */

const SIZE = 24 * MiB;
const BLOCK = 512 * KiB; // smaller than a 2 MiB stream chunk: one chunk spans several blocks of every layer

interface Chain {
  base: string;
  middle: string;
  top: string;
  /** Expected virtual bytes of each layer, built from the writes alone. */
  model: { base: Uint8Array; middle: Uint8Array; top: Uint8Array };
}

async function writeBoth(disk: VhdDisk, model: Uint8Array, bytes: Uint8Array, offset: number): Promise<void> {
  await disk.write(bytes, offset);
  model.set(bytes, offset);
}

/**
 * base (dynamic) ← middle (differencing) ← top (differencing). Holes of every size: 0–2 MiB held only by
 * the top, 4–8 MiB held by nobody (zero chunks), a hole shorter than a chunk at 10.5–11 MiB, partial sectors
 * and zeros written over parent data (a held stretch of zeros must not fall through to the parent).
 */
async function makeChain(dir: string, seed: number): Promise<Chain> {
  const base = join(dir, `base-${seed}.vhd`);
  const middle = join(dir, `middle-${seed}.vhd`);
  const top = join(dir, `top-${seed}.vhd`);
  const model = { base: new Uint8Array(SIZE), middle: new Uint8Array(0), top: new Uint8Array(0) };
  await createDynamicDisk(base, SIZE, { blockSize: BLOCK });
  let disk = await openDisk(base, { writable: true });
  try {
    await writeBoth(disk, model.base, patternBytes(2 * MiB, seed), 2 * MiB); // blocks 4–7, full
    await writeBoth(disk, model.base, patternBytes(BLOCK + 3 * KiB, seed + 1), 8 * MiB + 700); // partial edges
    await writeBoth(disk, model.base, patternBytes(1536 * KiB, seed + 2), 9 * MiB); // to 10.5 MiB
    await writeBoth(disk, model.base, patternBytes(5 * MiB, seed + 3), 11 * MiB);
    await writeBoth(disk, model.base, patternBytes(3 * KiB, seed + 4), SIZE - 3 * KiB); // the last sectors
  } finally {
    await disk.close();
  }
  await createDifferencingDisk(middle, base);
  model.middle = model.base.slice();
  disk = await openDisk(middle, { writable: true });
  try {
    await writeBoth(disk, model.middle, patternBytes(5 * 512, seed + 5), 2 * MiB + 3 * 512); // sectors inside a full parent block
    await writeBoth(disk, model.middle, new Uint8Array(BLOCK), 12 * MiB); // zeros over parent data, a whole block
    await writeBoth(disk, model.middle, patternBytes(100, seed + 6), 14 * MiB + 1000); // part of one sector
    await writeBoth(disk, model.middle, patternBytes(64 * KiB, seed + 7), 20 * MiB); // a block the base leaves empty
  } finally {
    await disk.close();
  }
  await createDifferencingDisk(top, middle);
  model.top = model.middle.slice();
  disk = await openDisk(top, { writable: true });
  try {
    await writeBoth(disk, model.top, patternBytes(2 * MiB, seed + 8), 0); // 0–2 MiB: only the top holds it
    await writeBoth(disk, model.top, patternBytes(10 * 512, seed + 9), 8 * MiB + 300); // over the base's partial block
    await writeBoth(disk, model.top, new Uint8Array(4096), 11 * MiB + 4096); // zeros over base data
    await writeBoth(disk, model.top, patternBytes(BLOCK, seed + 10), 16 * MiB); // a block the middle leaves empty
  } finally {
    await disk.close();
  }
  return { base, middle, top, model };
}

async function webStreamBytes(disk: VhdDisk, options?: { start?: number; end?: number }): Promise<Buffer> {
  return Buffer.from(await new Response(disk.readableWebStream(options)).arrayBuffer());
}

/** Whether two views share any byte of memory. */
function overlaps(a: Uint8Array, b: Uint8Array): boolean {
  return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.length && b.byteOffset < a.byteOffset + a.length;
}

/** Every read path runs twice: through libuv's thread pool (the default) and with blockingReads (`vpc cat`). */
describe.each([{ blockingReads: false }, { blockingReads: true }])('fast chain reads (blockingReads: $blockingReads)', { timeout: 60_000 }, (readOptions) => {
  let folder: { path: string; cleanup: () => Promise<void> };
  let chain: Chain;
  beforeAll(async () => {
    folder = await tempDir('vhdkit-read-perf-');
    chain = await makeChain(folder.path, 1);
  });
  afterAll(async () => {
    await folder.cleanup();
  });

  it('builds the chain it means to: a partial bitmap in the top, empty blocks in every layer at 4–8 MiB', async () => {
    const layouts = await Promise.all([chain.base, chain.middle, chain.top].map((path) => rawLayout(path)));
    for (const layout of layouts) {
      expect(layout.blockSize).toBe(BLOCK);
      for (let blockIndex = 8; blockIndex < 16; blockIndex++) expect(layout.bat[blockIndex]).toBe(0xffffffff); // 4–8 MiB
    }
    const top = layouts[2]!;
    const partialBlock = (8 * MiB) / BLOCK;
    const bitmap = await rawBitmap(chain.top, top, partialBlock);
    // Bytes 300–5419 of the block: sectors 0–10 set (edge sectors keep the bytes the chain showed), the rest clear.
    expect([...bitmap.subarray(0, 3)]).toEqual([0xff, 0xe0, 0x00]);
    expect(bitmap.subarray(2).every((byte) => byte === 0)).toBe(true);
  });

  it('streams each layer of the chain byte for byte, every chunk kept and never written again', async () => {
    for (const [path, expected] of [[chain.top, chain.model.top], [chain.middle, chain.model.middle], [chain.base, chain.model.base]] as const) {
      const disk = await openDisk(path, readOptions);
      try {
        const chunks = await keptStreamChunks(disk);
        expect(Buffer.concat(chunks).equals(expected)).toBe(true);
        for (let index = 1; index < chunks.length; index++) {
          for (let earlier = 0; earlier < index; earlier++) expect(overlaps(chunks[index]!, chunks[earlier]!)).toBe(false);
        }
        expect((await webStreamBytes(disk)).equals(expected)).toBe(true);
      } finally {
        await disk.close();
      }
    }
  });

  it('streams zero chunks only where no layer holds data: zeros a layer wrote stay zeros, parent data shows', async () => {
    const disk = await openDisk(chain.top, readOptions);
    try {
      const chunks = await keptStreamChunks(disk, { start: 4 * MiB, end: 12 * MiB + BLOCK - 1 });
      expect(chunks.map((chunk) => chunk.length)).toEqual(Array.from({ length: 4 }, () => 2 * MiB).concat([BLOCK]));
      expect(chunks.slice(0, 2).every((chunk) => chunk.every((byte) => byte === 0))).toBe(true); // 4–8 MiB: nobody holds it
      expect(Buffer.concat(chunks).equals(chain.model.top.subarray(4 * MiB, 12 * MiB + BLOCK))).toBe(true);
      expect(chain.model.top.subarray(12 * MiB, 12 * MiB + BLOCK).every((byte) => byte === 0)).toBe(true); // the middle's zeros
      expect(chain.model.base.subarray(12 * MiB, 12 * MiB + BLOCK).some((byte) => byte !== 0)).toBe(true); // over base data
    } finally {
      await disk.close();
    }
  });

  it('streams and copies any range like a plain read of the model (property)', async () => {
    const disk = await openDisk(chain.top, readOptions);
    try {
      const ranges = fc.tuple(fc.integer({ min: 0, max: SIZE - 1 }), fc.integer({ min: 0, max: 5 * MiB })).map(([start, span]) => ({ start, end: Math.min(SIZE - 1, start + span) }));
      await fc.assert(
        fc.asyncProperty(ranges, async (range) => {
          const expected = chain.model.top.subarray(range.start, range.end + 1);
          expect(Buffer.concat(await keptStreamChunks(disk, range)).equals(expected)).toBe(true);
          expect((await webStreamBytes(disk, range)).equals(expected)).toBe(true);
          const copied: Buffer[] = [];
          const sink = new Writable({
            write(chunk: Buffer, _encoding, callback) {
              copied.push(Buffer.from(chunk)); // copyDiskTo reuses its buffers after the callback
              callback();
            },
          });
          expect(await copyDiskTo(disk, sink, range)).toBe(expected.length);
          expect(Buffer.concat(copied).equals(expected)).toBe(true);
        }),
        { numRuns: 25, seed: 7 },
      );
    } finally {
      await disk.close();
    }
  });

  it('reads from the start of a block whose bitmap is not loaded yet, at every length, in a fresh open each time', async () => {
    // Blocks (512 KiB): 0 (top only, full), 16 (top sectors 0–10 over the base's partial block), 22 (top zeros over
    // base data), 4 (base full, middle sectors 3–7), 28 (middle: part of one sector), 40 (middle only), 32 (top only),
    // 47 (the last: reads past the end come back short).
    const starts = [0, 8 * MiB, 11 * MiB, 2 * MiB, 14 * MiB, 20 * MiB, 16 * MiB, 23 * MiB + BLOCK];
    const lengths = [1, 300, 700, 512 * 11, BLOCK, BLOCK + 513, 3 * BLOCK];
    for (const start of starts) {
      for (const length of lengths) {
        const disk = await openDisk(chain.top, readOptions);
        try {
          const target = new Uint8Array(length).fill(0xee);
          const expectedLength = Math.min(length, SIZE - start);
          expect(await disk.read(target, start)).toBe(expectedLength);
          expect(Buffer.from(target.subarray(0, expectedLength)).equals(chain.model.top.subarray(start, start + expectedLength))).toBe(true);
          // Read again: now from the cached bitmaps.
          const again = new Uint8Array(expectedLength);
          await disk.read(again, start);
          expect(Buffer.from(again).equals(chain.model.top.subarray(start, start + expectedLength))).toBe(true);
        } finally {
          await disk.close();
        }
      }
    }
  });

  it('turns a read that fails into a typed IO error naming the file (here: reading after close)', async () => {
    const disk = await openDisk(chain.top, readOptions);
    await disk.close();
    const error = await expectVhdIoError(disk.read(new Uint8Array(4096), 0), 'IO');
    expect(error.path).toBe(chain.top);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('EBADF');
  });

  it('keeps reading right through a writable top while it gains blocks and sectors', async () => {
    const dir = join(folder.path, 'writable');
    await mkdir(dir);
    const own = await makeChain(dir, 2);
    const expected = own.model.top;
    const disk = await openDisk(own.top, { writable: true, ...readOptions });
    try {
      expect(Buffer.concat(await keptStreamChunks(disk)).equals(expected)).toBe(true);
      await writeBoth(disk, expected, patternBytes(3000, 11), 5 * MiB + 100); // into the hole nobody held
      await writeBoth(disk, expected, patternBytes(512, 12), 9 * MiB + 512); // a sector in a block the top lacks
      expect(Buffer.concat(await keptStreamChunks(disk)).equals(expected)).toBe(true);
      const direct = new Uint8Array(SIZE);
      await disk.read(direct, 0);
      expect(Buffer.from(direct).equals(expected)).toBe(true);
    } finally {
      await disk.close();
    }
  });
});
