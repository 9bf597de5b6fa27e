/**
 * The one seam between bytes and the format: anything that knows its size and can read a range of itself.
 * A file (vhd-diff), a Uint8Array, a Blob or File, an HTTP(S) URL read with Range requests: every reader,
 * resolver and checker in this package works over this interface and nothing else.
 */
export interface RandomAccessSource {
  /** Total bytes of the source, known when it is opened. */
  readonly size: number;
  /**
   * What the source is called in messages and what a child's parent locators are resolved against: an absolute
   * file path or a URL. Never bytes read from the source.
   */
  readonly name: string;
  /**
   * When the source last changed, if it can tell (a file's mtime, an HTTP Last-Modified). A differencing child
   * records its parent's; chain opening compares the two.
   */
  readonly modifiedTime?: Date;
  /**
   * Exactly `length` bytes from `offset`, in a buffer the caller owns, or a rejection. `offset` and `length` are
   * non-negative safe integers and `offset + length <= size`; a source never returns fewer bytes than asked for
   * (a short read is an error, never a partly filled buffer).
   */
  read(offset: number, length: number, options?: ReadOptions): Promise<Uint8Array>;
  /**
   * Optional: fills all of `target` from `offset`, under the same rules as `read`. Sources that can read into
   * caller memory (a file descriptor) offer it so a reader holds big structures (the BAT) once, not twice.
   */
  readInto?(target: Uint8Array, offset: number, options?: ReadOptions): Promise<void>;
  /**
   * Optional: fills each of `targets` in turn from consecutive bytes at `offset` (a block's bitmap and data in
   * one request over HTTP, with no staging buffer), under the same rules as `read`.
   */
  readGatheredInto?(targets: readonly Uint8Array[], offset: number, options?: ReadOptions): Promise<void>;
  /** Releases what the source holds (file descriptors, connections). Reads after close reject. */
  close?(): Promise<void>;
}

/** Options of one read from a RandomAccessSource. */
export interface ReadOptions {
  /** Stops a read that is still waiting (a slow server, a stalled pipe). */
  signal?: AbortSignal;
}
