/**
 * Reads exact byte counts from a sequence of chunks of any size, without seeking. A read that lies
 * inside the current chunk is a zero-copy view; only reads that span chunks are assembled into a
 * new buffer, so memory stays at one read (at most one block) whatever the chunk sizes.
 */
import { FOOTER_SIZE } from './constants.js';
import { VhdFormatError } from './errors.js';

/** Chunks from anywhere: a Node or web stream, an async generator, or a plain array/iterable of chunks. */
export type ChunkSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | ReadableStream<Uint8Array>;

/** Reads that may share a buffer from one call to the next: a block's bitmap and its data. */
export type ReuseSlot = 'bitmap' | 'data';

/** What the streaming parser held, for callers (and tests) that check its memory use. */
export interface ParseStats {
  /** Bytes consumed from the source so far. */
  bytesConsumed: number;
  /** Most bytes the parser itself held at once: an assembled read plus the BAT. Views of source chunks are not counted. */
  maxBufferedBytes: number;
}

const EMPTY = new Uint8Array(0);

function isReadableStream(source: ChunkSource): source is ReadableStream<Uint8Array> {
  return typeof (source as ReadableStream<Uint8Array>).getReader === 'function';
}

/** Web streams are read through a reader so this also works where they are not async iterable (older browsers). */
async function* webStreamChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      yield value;
    }
  } finally {
    // Stopped early: tell the producer we no longer want data.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

function isAsyncIterable(source: ChunkSource): source is AsyncIterable<Uint8Array> {
  return typeof (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function';
}

/** The source's own iterator when it has one (no extra generator layer per chunk: 1-byte chunks stay cheap). */
function chunkIterator(source: ChunkSource): AsyncIterator<Uint8Array> {
  if (isReadableStream(source)) return webStreamChunks(source);
  if (isAsyncIterable(source)) return source[Symbol.asyncIterator]();
  const iterator = source[Symbol.iterator]();
  return {
    next: async () => iterator.next(),
    return: async () => iterator.return?.() ?? { done: true, value: undefined },
  };
}

export class ChunkReader {
  /** File offset of the next unread byte. */
  position = 0;
  private current: Uint8Array = EMPTY;
  private readonly chunks: AsyncIterator<Uint8Array>;
  private ended = false;
  /** Bytes held for the whole parse (the BAT), counted in every buffered measurement. */
  heldBytes = 0;

  /** One reusable buffer per slot when the caller allows reuse (see ParseVhdStreamOptions.reuseBuffers). */
  private readonly scratch = new Map<ReuseSlot, Uint8Array>();

  constructor(
    source: ChunkSource,
    readonly stats: ParseStats,
    private readonly reuseBuffers = false,
  ) {
    this.chunks = chunkIterator(source);
  }

  /** Next non-empty chunk as a plain Uint8Array view (Node Buffers are re-wrapped, not copied), or undefined at the end. */
  private async nextChunk(): Promise<Uint8Array | undefined> {
    while (!this.ended) {
      const next = await this.chunks.next();
      if (next.done) {
        this.ended = true;
        return undefined;
      }
      const chunk: unknown = next.value;
      if (!(chunk instanceof Uint8Array)) throw new TypeError('a VHD stream must yield Uint8Array chunks');
      if (chunk.length === 0) continue;
      // Node Buffers become plain Uint8Array views (no copy), so events never hand out Buffers.
      return Object.getPrototypeOf(chunk) === Uint8Array.prototype ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
    return undefined;
  }

  private consume(length: number): void {
    this.position += length;
    this.stats.bytesConsumed = this.position;
  }

  /** Records `bytes` held besides the long-lived ones (heldBytes). */
  noteBuffered(bytes: number): void {
    this.stats.maxBufferedBytes = Math.max(this.stats.maxBufferedBytes, bytes + this.heldBytes);
  }

  /**
   * Exactly `length` bytes; TRUNCATED when the stream ends first. The result may be a view of a source
   * chunk; with a `slot` and reuse enabled, bytes spanning chunks go into that slot's reused buffer.
   */
  async read(length: number, slot?: ReuseSlot): Promise<Uint8Array> {
    if (this.current.length >= length) {
      const view = this.current.subarray(0, length);
      this.current = this.current.subarray(length);
      this.consume(length);
      return view;
    }
    const assembled = this.assemblyBuffer(length, slot);
    let filled = 0;
    while (filled < length) {
      if (this.current.length === 0) {
        const chunk = await this.nextChunk();
        if (!chunk) {
          throw new VhdFormatError('TRUNCATED', this.position + filled, `stream ended ${length - filled} bytes short of a ${length}-byte structure at ${this.position}`);
        }
        this.current = chunk;
      }
      const take = Math.min(length - filled, this.current.length);
      if (take === this.current.length) {
        assembled.set(this.current, filled);
        this.current = EMPTY;
      } else {
        assembled.set(this.current.subarray(0, take), filled);
        this.current = this.current.subarray(take);
      }
      filled += take;
    }
    this.consume(length);
    return assembled;
  }

  private assemblyBuffer(length: number, slot: ReuseSlot | undefined): Uint8Array {
    if (!this.reuseBuffers || slot === undefined) {
      this.noteBuffered(length);
      return new Uint8Array(length);
    }
    let buffer = this.scratch.get(slot);
    if (!buffer || buffer.length < length) {
      buffer = new Uint8Array(length);
      this.scratch.set(slot, buffer);
    }
    let scratchBytes = 0;
    for (const kept of this.scratch.values()) scratchBytes += kept.length;
    this.noteBuffered(scratchBytes);
    return buffer.subarray(0, length);
  }

  /** Discards bytes up to `offset` (which must not be behind the current position). */
  async skipTo(offset: number): Promise<void> {
    while (this.position < offset) {
      if (this.current.length === 0) {
        const chunk = await this.nextChunk();
        if (!chunk) throw new VhdFormatError('TRUNCATED', this.position, `stream ended at ${this.position}, before offset ${offset}`);
        this.current = chunk;
      }
      const take = Math.min(offset - this.position, this.current.length);
      this.current = this.current.subarray(take);
      this.consume(take);
    }
  }

  /** Consumes the rest of the stream and returns its last `FOOTER_SIZE` bytes (fewer if the rest is shorter) with their offset. */
  async readTail(): Promise<{ bytes: Uint8Array; offset: number }> {
    const tail = new Uint8Array(FOOTER_SIZE);
    this.noteBuffered(FOOTER_SIZE);
    let tailLength = 0;
    for (;;) {
      const chunk = this.current.length > 0 ? this.current : await this.nextChunk();
      this.current = EMPTY;
      if (!chunk) break;
      if (chunk.length >= FOOTER_SIZE) {
        tail.set(chunk.subarray(chunk.length - FOOTER_SIZE));
        tailLength = FOOTER_SIZE;
      } else {
        const keep = Math.min(tailLength, FOOTER_SIZE - chunk.length);
        tail.copyWithin(0, tailLength - keep, tailLength);
        tail.set(chunk, keep);
        tailLength = keep + chunk.length;
      }
      this.consume(chunk.length);
    }
    return { bytes: tail.subarray(0, tailLength), offset: this.position - tailLength };
  }

  /** Stops the source early (e.g. the consumer broke out of the loop); a no-op once it has ended. */
  async close(): Promise<void> {
    if (!this.ended) await this.chunks.return?.();
  }
}
