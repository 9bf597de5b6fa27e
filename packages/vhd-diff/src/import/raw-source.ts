import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { VhdIoError, toVhdIoError } from '../errors.js';
import { readFullySync } from '../file-io.js';

/**
 * The bytes of a raw disk, read front to back. A regular file says its length up front; a pipe, a FIFO, a device
 * or a Node Readable is read until it ends, its length unknown until then.
 */
export interface RawSource {
  /** How the source is named in errors: its path, or 'stream'. */
  readonly name: string;
  /** The length, when known before reading (regular files). */
  readonly knownBytes: number | undefined;
  /** Fills `target` from where the last call stopped; fewer bytes than asked only at the end. */
  readInto(target: Uint8Array): Promise<number>;
  /** Makes a read waiting for bytes that may never come (an open pipe) fail at once. */
  interrupt(): void;
  close(): Promise<void>;
}

export async function openRawSource(source: string | Readable): Promise<RawSource> {
  return typeof source === 'string' ? openRawFile(resolve(source)) : new StreamSource(source);
}

async function openRawFile(path: string): Promise<RawSource> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw toVhdIoError(error, 'opening', path);
  }
  try {
    const stats = await handle.stat();
    if (stats.isDirectory()) {
      throw new VhdIoError('UNSUPPORTED', `${path} is a folder, not a raw disk image`, { path, params: { reason: 'source-is-folder' } });
    }
    return new FileSource(handle, path, stats.isFile() ? stats.size : undefined);
  } catch (error) {
    await handle.close();
    throw toVhdIoError(error, 'reading', path);
  }
}

/**
 * A regular file read with positional reads on the calling thread (a thread-pool hand-off per read costs about as
 * much as the copy itself: tools/bench/analysis.md); anything else (FIFO, device) from its current position in the
 * thread pool, as it may wait for bytes.
 */
class FileSource implements RawSource {
  readonly name: string;
  readonly knownBytes: number | undefined;
  /** A regular file: read on the calling thread. */
  readonly #blocking: boolean;
  readonly #handle: FileHandle;
  #position = 0;

  constructor(handle: FileHandle, path: string, knownBytes: number | undefined) {
    this.#handle = handle;
    this.name = path;
    this.knownBytes = knownBytes;
    this.#blocking = knownBytes !== undefined;
  }

  async readInto(target: Uint8Array): Promise<number> {
    if (this.#blocking) return this.#readBlocking(target);
    let filled = 0;
    try {
      while (filled < target.length) {
        const position = this.knownBytes === undefined ? null : this.#position;
        const { bytesRead } = await this.#handle.read(target, filled, target.length - filled, position);
        if (bytesRead === 0) break;
        filled += bytesRead;
        this.#position += bytesRead;
      }
    } catch (error) {
      throw toVhdIoError(error, 'reading', this.name);
    }
    return filled;
  }

  #readBlocking(target: Uint8Array): number {
    let filled: number;
    try {
      filled = readFullySync(this.#handle.fd, target, this.#position);
    } catch (error) {
      throw toVhdIoError(error, 'reading', this.name);
    }
    this.#position += filled;
    return filled;
  }

  /** Reads of files end by themselves (a FIFO's reader waits in the thread pool and cannot be interrupted). */
  interrupt(): void {}

  close(): Promise<void> {
    return this.#handle.close();
  }
}

/** A Node Readable, its chunks copied into the caller's buffers (a chunk may straddle two of them). */
class StreamSource implements RawSource {
  readonly name = 'stream';
  readonly knownBytes = undefined;
  readonly #stream: Readable;
  readonly #chunks: AsyncIterator<unknown>;
  #pending: Uint8Array = new Uint8Array(0);
  #ended = false;

  constructor(stream: Readable) {
    this.#stream = stream;
    this.#chunks = stream[Symbol.asyncIterator]();
  }

  /** Destroying the stream rejects the pending read. */
  interrupt(): void {
    this.#stream.destroy();
  }

  async readInto(target: Uint8Array): Promise<number> {
    let filled = 0;
    while (filled < target.length) {
      if (this.#pending.length === 0) {
        if (this.#ended) break;
        const next = await this.#next();
        if (next === undefined) break;
        this.#pending = next;
        continue;
      }
      const count = Math.min(this.#pending.length, target.length - filled);
      target.set(this.#pending.subarray(0, count), filled);
      this.#pending = this.#pending.subarray(count);
      filled += count;
    }
    return filled;
  }

  async #next(): Promise<Uint8Array | undefined> {
    let next: IteratorResult<unknown>;
    try {
      next = await this.#chunks.next();
    } catch (error) {
      throw new VhdIoError('IO', `reading the source stream failed: ${(error as Error).message}`, { cause: error, params: { reason: 'source-stream', path: this.name } });
    }
    if (next.done === true) {
      this.#ended = true;
      return undefined;
    }
    if (!(next.value instanceof Uint8Array)) {
      throw new VhdIoError('UNSUPPORTED', 'the source stream yields text, not bytes (do not set an encoding on it)', { params: { reason: 'source-not-bytes' } });
    }
    return next.value;
  }

  /** Stops reading: a stream not read to its end is destroyed (that is what ending its iteration does). */
  async close(): Promise<void> {
    if (!this.#ended) await this.#chunks.return?.().catch(() => undefined);
  }
}
