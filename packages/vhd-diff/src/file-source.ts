import type { FileHandle } from 'node:fs/promises';
import type { RandomAccessSource, ReadOptions } from '@vhdkit/vhd-format';
import { VhdIoError, toVhdIoError } from './errors.js';
import { openImageFile, openImageHandle } from './open-image.js';
import { readFully, readFullySync, readGatheredFully, readGatheredFullySync } from './file-io.js';

/**
 * Opens a file read-only for inspection: a regular file only (a FIFO or device is refused at once, never waited on),
 * without touching its access time where the kernel allows (openImageHandle).
 */
export async function openReadOnly(path: string): Promise<FileHandle> {
  return openImageHandle(path, 'read');
}

/** How a `FileSource` opens its file (read-only or writable) and reads it (on the calling thread or the pool). */
export interface FileSourceOptions {
  /** Open read-write ('r+'): the top image of a chain opened for writing. Default: read-only, O_NOATIME. */
  writable?: boolean;
  /** Reads run on the calling thread (fs.readSync) instead of libuv's thread pool (OpenDiskOptions.blockingReads). */
  blockingReads?: boolean;
}

/**
 * A VHD file as a RandomAccessSource, plus the file-only fast paths the chain reader uses: reads into caller memory,
 * gathered (preadv) reads, blocking reads. Refuses anything but a regular file before reading a byte.
 */
export class FileSource implements RandomAccessSource {
  /** Size and time when opened (writes that grow the file do not change them). */
  readonly size: number;
  readonly modifiedTime: Date;

  private constructor(
    readonly name: string,
    readonly handle: FileHandle,
    stats: { size: number; mtime: Date },
    readonly blockingReads: boolean,
  ) {
    this.size = stats.size;
    this.modifiedTime = stats.mtime;
  }

  /** `path` must be absolute: it is the source's name, which parents' relative locators resolve against. */
  static async open(path: string, options: FileSourceOptions = {}): Promise<FileSource> {
    const { handle, stats } = await openImageFile(path, options.writable ? 'write' : 'read');
    return new FileSource(path, handle, stats, options.blockingReads ?? false);
  }

  async read(offset: number, length: number, options?: ReadOptions): Promise<Uint8Array> {
    // Not zeroed first (the BAT is 4 MiB): readInto fills every byte or throws, so nothing unread is ever handed out.
    // Unpooled, so the buffer's ArrayBuffer holds these bytes only.
    const bytes = new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length);
    await this.readInto(bytes, offset, options);
    return bytes;
  }

  /** Fills all of `target`; a file that ends first is CORRUPT (it shrank under the reader). */
  async readInto(target: Uint8Array, offset: number, options?: ReadOptions): Promise<void> {
    if (options?.signal?.aborted) throw new VhdIoError('ABORTED', `reading ${this.name} was cancelled`, { path: this.name, cause: options.signal.reason });
    const filled = await this.io(() => readFully(this.handle, target, offset));
    if (filled < target.length) throw this.ended(target.length, offset, filled);
  }

  /**
   * Fills `target` from `position` (the chain's fast path: blocking when asked). Placement was checked at open, so
   * a file that ends first shrank under the reader: CORRUPT, never a partly filled buffer reported as read.
   */
  async readAt(target: Uint8Array, position: number): Promise<void> {
    const found = this.readsBlock() ? this.ioSync(() => readFullySync(this.handle.fd, target, position)) : await this.io(() => readFully(this.handle, target, position));
    if (found < target.length) throw this.ended(target.length, position, found);
  }

  /** Fills `parts` in order from consecutive file bytes at `position` (one preadv), as readAt. */
  async readGatheredAt(parts: readonly Uint8Array[], position: number): Promise<void> {
    const wanted = parts.reduce((sum, part) => sum + part.length, 0);
    const found = this.readsBlock() ? this.ioSync(() => readGatheredFullySync(this.handle.fd, parts, position)) : await this.io(() => readGatheredFully(this.handle, parts, position));
    if (found < wanted) throw this.ended(wanted, position, found);
  }

  private ended(wanted: number, position: number, found: number): VhdIoError {
    return new VhdIoError('CORRUPT', `${this.name}: expected ${wanted} bytes at offset ${position}, the file ended after ${found}`, { path: this.name });
  }

  async close(): Promise<void> {
    await this.io(() => this.handle.close());
  }

  /** Blocking reads while the handle is open; a closed one (fd -1) takes the FileHandle path, which says EBADF. */
  private readsBlock(): boolean {
    return this.blockingReads && this.handle.fd >= 0;
  }

  private async io<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw toVhdIoError(error, 'reading', this.name);
    }
  }

  private ioSync<T>(operation: () => T): T {
    try {
      return operation();
    } catch (error) {
      throw toVhdIoError(error, 'reading', this.name);
    }
  }
}
