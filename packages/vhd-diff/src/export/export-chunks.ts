import { fullBlockBitmap } from '@vhdkit/vhd-format';
import { VhdIoError, throwIfAborted } from '../errors.js';
import { eventLoopTurns } from '../chain/event-loop-turns.js';
import { ChainDisk } from '../chain/disk.js';
import type { VhdDisk } from '../chain/types.js';
import type { ExportPlan } from './export-plan.js';

/** Fixed output is read in chunks of this size. */
const FIXED_CHUNK_BYTES = 2 * 1024 * 1024;
/**
 * Reads kept in flight ahead of the consumer (libuv's thread pool has 4 threads). A chain that reads on the calling
 * thread (OpenDiskOptions.blockingReads) cannot overlap them: one at a time, into one reused buffer that stays in
 * the CPU cache.
 */
const READ_AHEAD = { threadPool: 3, blocking: 1 } as const;

export interface ExportChunkOptions {
  signal?: AbortSignal;
  /**
   * Reuse a small ring of buffers instead of allocating each chunk: only for a consumer that is done with a chunk
   * when it asks for the next one (a file writer). Fresh memory costs a page fault per 4 KiB, which on some virtual
   * machines is most of the cost of a copy.
   */
  reuseBuffers?: boolean;
  /**
   * Where each chunk is read into instead (a WriteBehind's ring, whose consumer gives each chunk back once it is
   * written): takes precedence over `reuseBuffers`. Each buffer is `exportChunkBytes(plan)` long; a shorter last
   * chunk is the start of one.
   */
  chunkBuffer?: () => Promise<Uint8Array>;
}

type ChunkBuffer = (length: number) => Uint8Array | Promise<Uint8Array>;

/**
 * Where chunk memory comes from: a fresh buffer each time, or the next of a ring (the reads in flight + 1 held;
 * blocking reads fill a chunk only once the consumer is done with the last, so one buffer serves).
 */
function chunkBuffers(reuse: boolean, ringSize: number, chunkBytes: number): ChunkBuffer {
  if (!reuse) return (length) => Buffer.allocUnsafe(length);
  const ring = Array.from({ length: ringSize }, () => Buffer.allocUnsafe(chunkBytes));
  let next = 0;
  return (length) => ring[next++ % ring.length]!.subarray(0, length);
}

/**
 * The planned image's bytes, in order, as fresh chunks (a consumer may keep them) unless `reuseBuffers`. Dynamic: the head (footer copy,
 * header, BAT), then each stored block as one chunk (bitmap + data), then the footer. Fixed: the disk's bytes,
 * then the footer. Throws if what came out is not exactly `plan.length` bytes: the length was promised.
 */
export async function* exportChunks(disk: VhdDisk, plan: ExportPlan, options: ExportChunkOptions = {}): AsyncGenerator<Uint8Array> {
  const { signal } = options;
  let emitted = 0;
  const blocking = disk instanceof ChainDisk && disk.file.blockingReads;
  const inFlight = blocking ? READ_AHEAD.blocking : READ_AHEAD.threadPool;
  const { chunkBuffer } = options;
  const buffers: ChunkBuffer = chunkBuffer
    ? async (length) => (await chunkBuffer()).subarray(0, length)
    : chunkBuffers(options.reuseBuffers === true, blocking ? 1 : inFlight + 1, exportChunkBytes(plan));
  const pieces = plan.type === 'dynamic' ? dynamicPieces(disk, plan, buffers, inFlight) : fixedPieces(disk, plan.virtualSize, buffers, inFlight);
  const turn = eventLoopTurns();
  for await (const piece of pieces) {
    throwIfAborted(signal, disk.path);
    emitted += piece.length;
    yield piece;
    await turn();
  }
  yield plan.footer;
  emitted += plan.footer.length;
  if (emitted !== plan.length) {
    throw new VhdIoError('CORRUPT', `the export of ${disk.path} came to ${emitted} bytes, not the ${plan.length} promised`, { path: disk.path });
  }
}

/** The length of the chunks that hold the disk's bytes: a dynamic block with its bitmap, or FIXED_CHUNK_BYTES. */
export function exportChunkBytes(plan: ExportPlan): number {
  return plan.type === 'dynamic' ? plan.layout.blockSpanBytes : FIXED_CHUNK_BYTES;
}

async function* dynamicPieces(disk: VhdDisk, plan: Extract<ExportPlan, { type: 'dynamic' }>, buffer: ChunkBuffer, inFlight: number): AsyncGenerator<Uint8Array> {
  yield plan.head;
  const { blockSize, layout, virtualSize } = plan;
  const bitmapBytes = layout.bitmapByteSize;
  const fullBitmap = fullBlockBitmap(0, blockSize, blockSize);
  yield* readAhead(plan.blocks, inFlight, async (blockIndex) => {
    const chunk = await buffer(layout.blockSpanBytes);
    const blockStart = blockIndex * blockSize;
    chunk.set(blockStart + blockSize <= virtualSize ? fullBitmap : fullBlockBitmap(blockIndex, blockSize, virtualSize));
    const data = chunk.subarray(bitmapBytes);
    const read = await disk.read(data, blockStart);
    data.fill(0, read); // the part of the last block past the disk's end
    return chunk;
  });
}

function fixedPieces(disk: VhdDisk, virtualSize: number, buffer: ChunkBuffer, inFlight: number): AsyncGenerator<Uint8Array> {
  function* offsets(): Generator<number> {
    for (let offset = 0; offset < virtualSize; offset += FIXED_CHUNK_BYTES) yield offset;
  }
  return readAhead(offsets(), inFlight, async (offset) => {
    const chunk = await buffer(Math.min(FIXED_CHUNK_BYTES, virtualSize - offset));
    await disk.read(chunk, offset);
    return chunk;
  });
}

/** Runs `read` for each item in order, up to `inFlight` at once, yielding results in order. */
async function* readAhead<T>(items: Iterable<T>, inFlight: number, read: (item: T) => Promise<Uint8Array>): AsyncGenerator<Uint8Array> {
  const pending: Promise<Uint8Array>[] = [];
  const iterator = items[Symbol.iterator]();
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && pending.length < inFlight) {
        const next = iterator.next();
        if (next.done === true) {
          exhausted = true;
          break;
        }
        const reading = read(next.value);
        reading.catch(() => undefined); // awaited in order below
        pending.push(reading);
      }
      if (pending.length === 0) return;
      yield await pending.shift()!;
    }
  } finally {
    await Promise.allSettled(pending);
  }
}
