import type { Writable } from 'node:stream';
import { throwIfAborted } from './creation-api.js';
import type { ChainDisk } from './disk.js';
import { eventLoopTurns } from './event-loop-turns.js';
import { streamRange } from './streams.js';
import type { VhdDisk } from './types.js';

const COPY_CHUNK_BYTES = 2 * 1024 * 1024;
/**
 * Buffers in the ring: while one chunk is being written, the others are filled ahead. Thread-pool reads need
 * several in flight to overlap. Blocking reads (OpenDiskOptions.blockingReads) run on this thread, so they
 * cannot overlap a write that blocks too (process stdout on Linux, files) and gain little against one that
 * does not: one buffer, which stays in the CPU cache and is faulted in once.
 */
const RING_SIZE = { threadPool: 4, blocking: 1 } as const;

/**
 * Writes the virtual disk's bytes (fs-style { start, end }, end inclusive) to `destination`, reusing a ring
 * of 2 MiB buffers: a buffer is filled again only after the destination called back for it. That avoids
 * allocating fresh memory for every chunk, which costs a page fault per 4 KiB (expensive on some virtual
 * machines; a stream must pay it, since its consumer may keep chunks). Only for destinations that are done
 * with a chunk when they call back (files, pipes, sockets, hashes), not for ones that keep chunks.
 * Does not end the destination. Returns the bytes written.
 */
export async function copyDiskTo(
  disk: VhdDisk,
  destination: Writable,
  options: { start?: number; end?: number; signal?: AbortSignal } = {},
): Promise<number> {
  const chain = disk as ChainDisk;
  const range = streamRange(chain, options);
  const ringSize = chain.file.blockingReads ? RING_SIZE.blocking : RING_SIZE.threadPool;
  const ring = Array.from({ length: ringSize }, () => Buffer.allocUnsafe(COPY_CHUNK_BYTES));
  const reads: { buffer: Buffer; done: Promise<void> }[] = [];
  let position = range.start;
  let next = 0;
  /** Starts reads into every buffer not being filled (called when none is the destination's). */
  const readAhead = (): void => {
    while (position < range.end && reads.length < ringSize) {
      const alignedNext = (Math.floor(position / COPY_CHUNK_BYTES) + 1) * COPY_CHUNK_BYTES;
      const length = Math.min(alignedNext, range.end) - position;
      const buffer = ring[next++ % ringSize]!.subarray(0, length);
      const done = chain.fill(buffer, position);
      done.catch(() => undefined); // awaited in order below
      reads.push({ buffer, done });
      position += length;
    }
  };
  let written = 0;
  // Blocking reads, stretches of zeros and a destination that calls back at once (stdout on Linux, files) never
  // wait on the event loop: without these turns no signal, timer or abort could act until the copy ends.
  const turn = eventLoopTurns();
  try {
    readAhead();
    while (reads.length > 0) {
      throwIfAborted(options.signal, disk.path);
      const { buffer, done } = reads.shift()!;
      await done;
      await new Promise<void>((resolve, reject) => {
        destination.write(buffer, (error) => (error ? reject(error) : resolve()));
      });
      written += buffer.length;
      await turn();
      readAhead();
    }
  } finally {
    await Promise.allSettled(reads.map((read) => read.done));
  }
  return written;
}
