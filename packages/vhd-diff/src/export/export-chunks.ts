import { fullBlockBitmap } from '@vhdkit/vhd-format';
import { VhdIoError, throwIfAborted } from '../errors.js';
import { eventLoopTurns } from '../chain/event-loop-turns.js';
import type { VhdDisk } from '../chain/types.js';
import type { ExportPlan } from './export-plan.js';

/** Fixed output is read in chunks of this size. */
const FIXED_CHUNK_BYTES = 2 * 1024 * 1024;
/** Reads kept in flight ahead of the consumer (libuv's thread pool has 4 threads). */
const READ_AHEAD = 3;

/**
 * The planned image's bytes, in order, as fresh chunks (a consumer may keep them). Dynamic: the head (footer copy,
 * header, BAT), then each stored block as one chunk (bitmap + data), then the footer. Fixed: the disk's bytes,
 * then the footer. Throws if what came out is not exactly `plan.length` bytes: the length was promised.
 */
export async function* exportChunks(disk: VhdDisk, plan: ExportPlan, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  let emitted = 0;
  const pieces = plan.type === 'dynamic' ? dynamicPieces(disk, plan) : fixedPieces(disk, plan.virtualSize);
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

async function* dynamicPieces(disk: VhdDisk, plan: Extract<ExportPlan, { type: 'dynamic' }>): AsyncGenerator<Uint8Array> {
  yield plan.head;
  const { blockSize, layout, virtualSize } = plan;
  const bitmapBytes = layout.bitmapByteSize;
  yield* readAhead(plan.blocks, async (blockIndex) => {
    const chunk = new Uint8Array(layout.blockSpanBytes);
    chunk.set(fullBlockBitmap(blockIndex, blockSize, virtualSize));
    // A new Uint8Array is zeroed: the part of the last block past the disk's end stays zeros.
    await disk.read(chunk.subarray(bitmapBytes), blockIndex * blockSize);
    return chunk;
  });
}

function fixedPieces(disk: VhdDisk, virtualSize: number): AsyncGenerator<Uint8Array> {
  function* offsets(): Generator<number> {
    for (let offset = 0; offset < virtualSize; offset += FIXED_CHUNK_BYTES) yield offset;
  }
  return readAhead(offsets(), async (offset) => {
    const chunk = new Uint8Array(Math.min(FIXED_CHUNK_BYTES, virtualSize - offset));
    await disk.read(chunk, offset);
    return chunk;
  });
}

/** Runs `read` for each item in order, up to READ_AHEAD at once, yielding results in order. */
async function* readAhead<T>(items: Iterable<T>, read: (item: T) => Promise<Uint8Array>): AsyncGenerator<Uint8Array> {
  const pending: Promise<Uint8Array>[] = [];
  const iterator = items[Symbol.iterator]();
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && pending.length < READ_AHEAD) {
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
