import type { RandomAccessSource, ReadOptions } from './random-access-source.js';
import { checkReadRange, throwIfAborted } from './check-range.js';

/** Where an in-memory image says it came from (for messages and for resolving its parents' relative locators). */
export interface MemorySourceInit {
  /** Default 'memory' (bytes) or the File's name (Blob). */
  name?: string;
  modifiedTime?: Date;
}

/** An image held in memory. Reads copy, so callers may change what they get back. */
export function bytesSource(bytes: Uint8Array, init: MemorySourceInit = {}): RandomAccessSource {
  const name = init.name ?? 'memory';
  const source: RandomAccessSource = {
    size: bytes.length,
    name,
    read(offset: number, length: number, options?: ReadOptions): Promise<Uint8Array> {
      try {
        throwIfAborted(options?.signal);
        checkReadRange(name, bytes.length, offset, length);
        return Promise.resolve(bytes.slice(offset, offset + length));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
    readInto(target: Uint8Array, offset: number, options?: ReadOptions): Promise<void> {
      try {
        throwIfAborted(options?.signal);
        checkReadRange(name, bytes.length, offset, target.length);
        target.set(bytes.subarray(offset, offset + target.length));
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
  };
  return init.modifiedTime === undefined ? source : { ...source, modifiedTime: init.modifiedTime };
}
