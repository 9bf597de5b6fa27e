import type { FileHandle } from 'node:fs/promises';
import { DiskType, FOOTER_SIZE, encodeFooter } from '@vhdkit/vhd-format';
import type { Footer } from '@vhdkit/vhd-format';
import { toVhdIoError } from '../errors.js';
import { isAllZero, writeFully, writeFullySync } from '../file-io.js';
import { FlushBehind } from '../flush-behind.js';
import type { SourceChunk } from './source-chunks.js';

/** Fixed output copies in chunks of this size; all-zero chunks are left as holes of a sparse file. */
export const FIXED_CHUNK_BYTES = 2 * 1024 * 1024;

/**
 * A fixed image: the source's bytes at their own offsets, then the footer at the virtual size. Zero chunks are not
 * written (the file is sized at the end, so they read as zeros, as does the padding up to the virtual size).
 */
export class FixedOutput {
  readonly #handle: FileHandle;
  readonly #path: string;
  readonly #flushBehind: FlushBehind;

  constructor(handle: FileHandle, path: string) {
    this.#handle = handle;
    this.#path = path;
    this.#flushBehind = new FlushBehind(handle);
  }

  /** Writes the chunk's bytes at their offset, on the calling thread (as DynamicOutput), unless all zeros. */
  accept(chunk: SourceChunk): void {
    const data = chunk.bytes.subarray(0, chunk.validBytes);
    if (isAllZero(data)) return;
    try {
      writeFullySync(this.#handle.fd, data, chunk.position);
    } catch (error) {
      throw toVhdIoError(error, 'writing', this.#path);
    }
    this.#flushBehind.wrote(data.length);
  }

  /** Sizes the file and writes the footer; returns the file size. */
  async finish(virtualSize: number, footerFor: (diskType: typeof DiskType.Fixed, virtualSize: number) => Footer): Promise<number> {
    const footer = encodeFooter(footerFor(DiskType.Fixed, virtualSize));
    await this.#io(async () => {
      await this.#flushBehind.settle();
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
