import type { RawSource } from './raw-source.js';

export interface SourceChunk {
  /** `chunkBytes` long; past `validBytes` (at the end of the source) it is zeros. */
  bytes: Uint8Array;
  validBytes: number;
  /** Offset of the chunk in the source. */
  position: number;
}

/**
 * The source in chunks of `chunkBytes`, the last one zero-padded; a yielded chunk is valid until the caller asks
 * for the next. Two buffers take turns, so the next chunk is being read while the caller writes this one — unless
 * the source reads on the calling thread (`blocking`), where nothing could overlap and one buffer, faulted in once
 * and kept in the CPU cache, is faster. Memory: one or two chunks, whatever the source's length.
 */
export async function* sourceChunks(source: RawSource, chunkBytes: number): AsyncGenerator<SourceChunk> {
  if (source.blocking) {
    yield* blockingChunks(source, chunkBytes);
    return;
  }
  const buffers = [new Uint8Array(chunkBytes), new Uint8Array(chunkBytes)];
  let position = 0;
  let turn = 0;
  let reading: Promise<number> | undefined = source.readInto(buffers[0]!);
  try {
    while (reading) {
      const validBytes = await reading;
      reading = undefined;
      if (validBytes === 0) return;
      const bytes = buffers[turn]!;
      if (validBytes < chunkBytes) bytes.fill(0, validBytes);
      else reading = source.readInto(buffers[1 - turn]!);
      yield { bytes, validBytes, position };
      position += validBytes;
      turn = 1 - turn;
    }
  } finally {
    // A read still in flight when the caller stops (error, abort) must settle before the source is closed.
    await reading?.catch(() => undefined);
  }
}

async function* blockingChunks(source: RawSource, chunkBytes: number): AsyncGenerator<SourceChunk> {
  const bytes = new Uint8Array(chunkBytes);
  let position = 0;
  for (;;) {
    const validBytes = await source.readInto(bytes);
    if (validBytes === 0) return;
    if (validBytes < chunkBytes) bytes.fill(0, validBytes);
    yield { bytes, validBytes, position };
    if (validBytes < chunkBytes) return;
    position += validBytes;
  }
}
