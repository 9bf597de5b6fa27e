/**
 * Read-ahead for sources where each request costs a round trip: a small read fetches a whole window from its
 * offset, and later reads that fall inside a window (fetched, or still in flight) are served from it. A few
 * windows are kept, most recent first, so memory stays at `maxWindows × windowBytes`.
 */

interface Window {
  offset: number;
  length: number;
  bytes: Promise<Uint8Array>;
}

/** Fetches `length` bytes at `offset` for a window; not tied to any one caller's AbortSignal. */
export type WindowFetch = (offset: number, length: number) => Promise<Uint8Array>;

/** Settles with `promise`, or rejects with `onAbort()` as soon as `signal` fires (the promise keeps running). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, onAbort: () => unknown): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(onAbort());
    signal.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

export class ReadAheadWindows {
  private windows: Window[] = [];

  constructor(
    private readonly windowBytes: number,
    private readonly maxWindows: number,
    private readonly sourceSize: number,
    private readonly fetchWindow: WindowFetch,
  ) {}

  /** Whether a read of `length` bytes should go through the windows (large reads go straight to the source). */
  covers(length: number): boolean {
    return length > 0 && length < this.windowBytes;
  }

  /** A copy of the bytes, from a window holding the range (fetched now if none does). */
  async read(offset: number, length: number, signal: AbortSignal | undefined, onAbort: () => unknown): Promise<Uint8Array> {
    const window = this.windowFor(offset, length);
    const bytes = await untilAborted(window.bytes, signal, onAbort);
    const start = offset - window.offset;
    return bytes.slice(start, start + length);
  }

  private windowFor(offset: number, length: number): Window {
    const index = this.windows.findIndex((window) => window.offset <= offset && offset + length <= window.offset + window.length);
    if (index >= 0) {
      const [found] = this.windows.splice(index, 1);
      this.windows.unshift(found!);
      return found!;
    }
    const window: Window = { offset, length: Math.min(this.windowBytes, this.sourceSize - offset), bytes: Promise.resolve(new Uint8Array(0)) };
    window.bytes = this.fetchWindow(window.offset, window.length);
    // A failed window is forgotten, so the next read asks again (its own retries already ran).
    window.bytes.catch(() => {
      this.windows = this.windows.filter((kept) => kept !== window);
    });
    this.windows.unshift(window);
    this.windows.length = Math.min(this.windows.length, this.maxWindows);
    return window;
  }
}
