import type { FileHandle } from 'node:fs/promises';
import { toVhdIoError } from './errors.js';
import { writeGathered } from './file-io.js';
import { FlushBehind } from './flush-behind.js';

/**
 * Bytes handed to the thread pool in one writev at most: small blocks go several at a time. Larger batches (8 MiB)
 * measured slower: on this kind of virtual machine the kernel's copy out of user memory costs more the more
 * distinct pages a copy's working set spans (tools/bench/analysis.md, issue 13).
 */
export const WRITE_BATCH_BYTES = 2 * 1024 * 1024;
/** The memory a ring aims at; small for the same reason (a few buffers that stay hot beat many). */
const RING_BYTES = 4 * 1024 * 1024;
const MIN_RING_BUFFERS = 3;
const MAX_RING_BUFFERS = 8;

/**
 * Buffers of `bufferBytes` a bulk copy gets: as many as fit in RING_BYTES, 3 to 8 — one being read, one being
 * written, one queued behind it; only 2 of a buffer larger than RING_BYTES (blocks of up to 256 MiB).
 */
export function ringBuffersFor(bufferBytes: number): number {
  if (bufferBytes > RING_BYTES) return 2;
  return Math.max(MIN_RING_BUFFERS, Math.min(MAX_RING_BUFFERS, Math.floor(RING_BYTES / bufferBytes)));
}

interface Batch {
  parts: Uint8Array[];
  /** Ring buffers among the parts: free again once the batch is written. */
  owned: Uint8Array[];
  position: number;
  bytes: number;
}

/**
 * Writes a new file in the thread pool while the calling thread goes on reading: a bulk copy fills buffers of a
 * small ring (`buffer()`), queues them (`write()`), and contiguous writes go out as one writev of up to
 * WRITE_BATCH_BYTES. A buffer returns to the ring once its batch is written, so memory stays at the ring, and the
 * same few buffers are reused (fresh memory costs a page fault per 4 KiB). Batches are written one at a time, in
 * the order queued. A failed write fails the next call (a VhdIoError for `path`); `settle()` must run before the
 * file is closed, whatever happened. Bytes written also feed a FlushBehind.
 */
export class WriteBehind {
  readonly #handle: FileHandle;
  readonly #path: string;
  readonly #free: Uint8Array[];
  /** Each ring buffer by its memory: a queued part that is (a view of) one gives that buffer back once written. */
  readonly #ring: Map<ArrayBufferLike, Uint8Array>;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #flushBehind: FlushBehind;
  readonly #waiting: (() => void)[] = [];
  #batch: Batch | undefined;
  #lastWrite: Promise<void> = Promise.resolve();
  #failure: { error: unknown } | undefined;

  constructor(handle: FileHandle, path: string, ring: { buffers: number; bufferBytes: number }) {
    this.#handle = handle;
    this.#path = path;
    this.#free = Array.from({ length: ring.buffers }, () => new Uint8Array(ring.bufferBytes));
    this.#ring = new Map(this.#free.map((buffer) => [buffer.buffer, buffer]));
    this.#flushBehind = new FlushBehind(handle);
  }

  /** A ring buffer to fill; waits for a batch in flight when none is free. Give it back to `write` or `release`. */
  async buffer(): Promise<Uint8Array> {
    for (;;) {
      this.#throwIfFailed();
      const free = this.#free.pop();
      if (free !== undefined) return free;
      const oldest = this.#inFlight.values().next();
      if (oldest.done !== true) await oldest.value;
      else if (this.#batch !== undefined) this.#dispatch();
      else await new Promise<void>((resolve) => this.#waiting.push(resolve)); // every buffer is being filled
    }
  }

  /** Returns a buffer that was not written (an all-zero chunk). */
  release(buffer: Uint8Array): void {
    this.#free.push(buffer);
    this.#wake();
  }

  /**
   * Queues `parts` (consecutive bytes) at `position`. A part that is a ring buffer, or a view of one, returns that
   * buffer to the ring once written; the other parts must stay unchanged until `drain()`.
   */
  write(parts: readonly Uint8Array[], position: number): void {
    this.#throwIfFailed();
    const bytes = parts.reduce((sum, part) => sum + part.length, 0);
    let batch = this.#batch;
    if (batch !== undefined && (batch.position + batch.bytes !== position || batch.bytes + bytes > WRITE_BATCH_BYTES)) {
      this.#dispatch();
      batch = undefined;
    }
    batch ??= this.#batch = { parts: [], owned: [], position, bytes: 0 };
    for (const part of parts) {
      batch.parts.push(part);
      const owned = this.#ring.get(part.buffer);
      if (owned !== undefined) batch.owned.push(owned);
    }
    batch.bytes += bytes;
    if (batch.bytes >= WRITE_BATCH_BYTES) this.#dispatch();
    this.#wake();
  }

  /** Writes what is queued and waits for every write and early flush; throws the first failure. */
  async drain(): Promise<void> {
    if (this.#batch !== undefined) this.#dispatch();
    await this.settle();
    this.#throwIfFailed();
    try {
      await this.#flushBehind.settle();
    } catch (error) {
      throw toVhdIoError(error, 'writing', this.#path);
    }
  }

  /** Waits for the writes in flight, never throwing: after it the file may be closed or removed. */
  async settle(): Promise<void> {
    this.#batch = undefined;
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
    await this.#flushBehind.settle().catch(() => undefined);
  }

  #dispatch(): void {
    const batch = this.#batch!;
    this.#batch = undefined;
    // One writev at a time, in order: writers of one file queue on its inode lock anyway (two at once measured no
    // faster), and a pool thread stays free for the early flushes.
    const writing: Promise<void> = this.#lastWrite
      .then(async () => writeGathered(this.#handle, batch.parts, batch.position))
      .then(
        () => this.#flushBehind.wrote(batch.bytes),
        (error: unknown) => {
          this.#failure ??= { error };
        },
      )
      .finally(() => {
        this.#free.push(...batch.owned);
        this.#inFlight.delete(writing);
        this.#wake();
      });
    this.#inFlight.add(writing);
    this.#lastWrite = writing;
  }

  /** Lets callers of buffer() that found nothing to wait for look again. */
  #wake(): void {
    for (const resolve of this.#waiting.splice(0)) resolve();
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw toVhdIoError(this.#failure.error, 'writing', this.#path);
  }
}
