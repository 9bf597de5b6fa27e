import { Readable } from 'node:stream';
import type { ChainDisk } from './disk.js';
import { chainError } from './errors.js';

/** Chunk size of the streams: a whole default block, read with one syscall when it is allocated. */
const STREAM_CHUNK_BYTES = 2 * 1024 * 1024;
/** Reads kept in flight ahead of the consumer (libuv's thread pool has 4 threads). */
const READ_AHEAD_CHUNKS = 3;

export interface StreamRange {
  start: number;
  /** Exclusive. */
  end: number;
}

/** Normalises fs-style { start, end (inclusive) } against the disk size. */
export function streamRange(disk: ChainDisk, options: { start?: number; end?: number }): StreamRange {
  const start = options.start ?? 0;
  const endInclusive = options.end ?? disk.virtualSize - 1;
  for (const value of [start, endInclusive]) {
    if (!Number.isSafeInteger(value) || value < -1) {
      throw chainError('OUT_OF_RANGE', `stream bound ${value} is not a non-negative integer`, disk.path);
    }
  }
  if (start < 0) throw chainError('OUT_OF_RANGE', `stream start ${start} is negative`, disk.path);
  return { start, end: Math.max(start, Math.min(endInclusive + 1, disk.virtualSize)) };
}

/**
 * Yields fresh chunks (consumers may keep them), aligned to chunk boundaries after the first. Up to
 * READ_AHEAD_CHUNKS reads are in flight, so the thread pool copies the next chunk while this one is consumed.
 */
async function* chunks(disk: ChainDisk, range: StreamRange): AsyncGenerator<Uint8Array> {
  const pending: Promise<Uint8Array>[] = [];
  let position = range.start;
  const readNext = (): void => {
    const alignedNext = (Math.floor(position / STREAM_CHUNK_BYTES) + 1) * STREAM_CHUNK_BYTES;
    const length = Math.min(alignedNext, range.end) - position;
    const chunk = Buffer.allocUnsafe(length);
    const read = disk.fill(chunk, position).then(() => chunk);
    read.catch(() => undefined); // observed when its turn comes; never an unhandled rejection meanwhile
    pending.push(read);
    position += length;
  };
  try {
    while (position < range.end || pending.length > 0) {
      while (position < range.end && pending.length < READ_AHEAD_CHUNKS) readNext();
      yield await pending.shift()!;
    }
  } finally {
    await Promise.allSettled(pending);
  }
}

export function nodeReadStream(disk: ChainDisk, options: { start?: number; end?: number }): Readable {
  const source = chunks(disk, streamRange(disk, options));
  return new Readable({
    highWaterMark: STREAM_CHUNK_BYTES,
    read() {
      source.next().then(
        (next) => this.push(next.done ? null : next.value),
        (error: unknown) => this.destroy(error as Error),
      );
    },
    destroy(error, callback) {
      source.return(undefined).then(() => callback(error), callback);
    },
  });
}

export function webReadStream(disk: ChainDisk, options: { start?: number; end?: number }): ReadableStream<Uint8Array> {
  const source = chunks(disk, streamRange(disk, options));
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await source.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await source.return(undefined);
    },
  });
}
