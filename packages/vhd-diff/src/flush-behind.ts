import type { FileHandle } from 'node:fs/promises';

/** Bytes written between two early flushes: large enough that the flushes are few, small enough to overlap the copy. */
export const FLUSH_BEHIND_BYTES = 64 * 1024 * 1024;

/**
 * Starts flushing a file being written in bulk while the copy goes on, so the fsync that makes it durable at the
 * end finds little left to write: the disk works during the copy instead of after it. One `datasync` at a time
 * runs in the thread pool, started once another FLUSH_BEHIND_BYTES were written. It is only a head start: the
 * caller's final fsync still decides durability, and a failed early flush fails `settle()`.
 */
export class FlushBehind {
  readonly #handle: FileHandle;
  readonly #everyBytes: number;
  #unflushedBytes = 0;
  #flushing: Promise<void> | undefined;
  #failure: { error: unknown } | undefined;

  constructor(handle: FileHandle, everyBytes = FLUSH_BEHIND_BYTES) {
    this.#handle = handle;
    this.#everyBytes = everyBytes;
  }

  /** Counts bytes just written; starts a flush when enough piled up and none is running. */
  wrote(bytes: number): void {
    this.#unflushedBytes += bytes;
    if (this.#flushing || this.#unflushedBytes < this.#everyBytes) return;
    this.#unflushedBytes = 0;
    this.#flushing = this.#handle.datasync().then(
      () => {
        this.#flushing = undefined;
      },
      (error: unknown) => {
        this.#flushing = undefined;
        this.#failure ??= { error };
      },
    );
  }

  /** Waits for a flush still running; throws what an early flush failed with. Call before the final fsync. */
  async settle(): Promise<void> {
    await this.#flushing;
    if (this.#failure) throw this.#failure.error;
  }
}
