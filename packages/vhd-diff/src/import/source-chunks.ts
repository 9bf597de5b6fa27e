import type { RawSource } from './raw-source.js';

export interface SourceChunk {
  /** A ring buffer, one chunk long; past `validBytes` (at the end of the source) it is zeros. */
  bytes: Uint8Array;
  validBytes: number;
  /** Offset of the chunk in the source. */
  position: number;
}

/** Where chunks are read into: a small ring of reused buffers, each one chunk long (a WriteBehind). */
export interface ChunkRing {
  buffer(): Promise<Uint8Array>;
  release(buffer: Uint8Array): void;
}

/**
 * The source in chunks of the ring's buffer length, the last one zero-padded. Each chunk is read into the next
 * free ring buffer, which the caller then owns: it queues it for writing or releases it. The writes run in the
 * thread pool while the next chunks are read, so memory stays at the ring, whatever the source's length.
 */
export async function* sourceChunks(source: RawSource, ring: ChunkRing): AsyncGenerator<SourceChunk> {
  let position = 0;
  for (;;) {
    const bytes = await ring.buffer();
    let validBytes: number;
    try {
      validBytes = await source.readInto(bytes);
    } catch (error) {
      ring.release(bytes);
      throw error;
    }
    if (validBytes === 0) {
      ring.release(bytes);
      return;
    }
    if (validBytes < bytes.length) bytes.fill(0, validBytes);
    yield { bytes, validBytes, position };
    if (validBytes < bytes.length) return;
    position += validBytes;
  }
}
