import type { FileHandle } from 'node:fs/promises';
import { DiskType, FOOTER_SIZE, encodeFooter } from '@vhdkit/vhd-format';
import type { Footer } from '@vhdkit/vhd-format';
import { toVhdIoError } from '../errors.js';
import { isAllZero, writeFully } from '../file-io.js';
import { WriteBehind, ringBuffersFor } from '../write-behind.js';
import type { ChunkRing, SourceChunk } from './source-chunks.js';

/** Fixed output copies in chunks of this size; all-zero chunks are left as holes of a sparse file. */
export const FIXED_CHUNK_BYTES = 2 * 1024 * 1024;

/**
 * A fixed image: the source's bytes at their own offsets, then the footer at the virtual size. Zero chunks are not
 * written (the file is sized at the end, so they read as zeros, as does the padding up to the virtual size).
 */
export class FixedOutput implements ChunkRing {
  readonly #handle: FileHandle;
  readonly #path: string;
  readonly #writer: WriteBehind;

  constructor(handle: FileHandle, path: string) {
    this.#handle = handle;
    this.#path = path;
    this.#writer = new WriteBehind(handle, path, { buffers: ringBuffersFor(FIXED_CHUNK_BYTES), bufferBytes: FIXED_CHUNK_BYTES });
  }

  /** A ring buffer to read the next chunk into (see sourceChunks). */
  buffer(): Promise<Uint8Array> {
    return this.#writer.buffer();
  }

  release(buffer: Uint8Array): void {
    this.#writer.release(buffer);
  }

  /** Queues the chunk's bytes at their offset (written in the thread pool, as DynamicOutput), unless all zeros. */
  accept(chunk: SourceChunk): void {
    const data = chunk.bytes.subarray(0, chunk.validBytes);
    if (isAllZero(data)) {
      this.#writer.release(chunk.bytes);
      return;
    }
    this.#writer.write([data], chunk.position);
  }

  /** Waits for the writes in flight (after a failure or abort, before the file is closed and removed). */
  settle(): Promise<void> {
    return this.#writer.settle();
  }

  /** Sizes the file and writes the footer; returns the file size. */
  async finish(virtualSize: number, footerFor: (diskType: typeof DiskType.Fixed, virtualSize: number) => Footer): Promise<number> {
    const footer = encodeFooter(footerFor(DiskType.Fixed, virtualSize));
    await this.#writer.drain();
    await this.#io(async () => {
      await this.#handle.truncate(virtualSize);
      await writeFully(this.#handle, footer, virtualSize);
    });
    return virtualSize + FOOTER_SIZE;
  }

  async #io(operation: () => Promise<void>): Promise<void> {
    try {
      await operation();
    } catch (error) {
      throw toVhdIoError(error, 'writing', this.#path);
    }
  }
}
