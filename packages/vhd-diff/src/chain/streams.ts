import { Readable } from 'node:stream';
import type { ChainDisk } from './disk.js';
import { chainError } from './errors.js';
import { eventLoopTurns } from './event-loop-turns.js';

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

/** A chunk to come: a read in flight, or a stretch no layer holds (allocated zeroed when its turn comes). */
type PendingChunk = { read: Promise<Uint8Array> } | { zeroBytes: number };

/**
 * Yields fresh chunks (consumers may keep them; nothing handed out is written again), aligned to chunk
 * boundaries after the first. Up to READ_AHEAD_CHUNKS reads are in flight, so the thread pool copies the
 * next chunk while this one is consumed; a chunk no layer holds is a zeroed buffer, without any read.
 * (Zero chunks stay chunk-sized: larger ones would come untouched from mmap, but a consumer that reads
 * them makes them resident, and memory must stay flat whatever the consumer does.)
 */
async function* chunks(disk: ChainDisk, range: StreamRange): AsyncGenerator<Uint8Array> {
  const pending: PendingChunk[] = [];
  let position = range.start;
  const planNext = (): void => {
    const alignedNext = (Math.floor(position / STREAM_CHUNK_BYTES) + 1) * STREAM_CHUNK_BYTES;
    const end = Math.min(alignedNext, range.end);
    const length = end - position;
    if (disk.unheldEnd(position, end) === end) {
      pending.push({ zeroBytes: length });
    } else {
      const chunk = Buffer.allocUnsafe(length);
      const read = disk.fill(chunk, position).then(() => chunk);
      read.catch(() => undefined); // observed when its turn comes; never an unhandled rejection meanwhile
      pending.push({ read });
    }
    position = end;
  };
  const turn = eventLoopTurns();
  try {
    while (position < range.end || pending.length > 0) {
      while (position < range.end && pending.length < READ_AHEAD_CHUNKS) planNext();
      const next = pending.shift()!;
      yield 'read' in next ? await next.read : Buffer.alloc(next.zeroBytes);
      await turn();
    }
  } finally {
    await Promise.allSettled(pending.map((next) => ('read' in next ? next.read : undefined)));
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
