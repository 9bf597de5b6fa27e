import { VhdFormatError } from '../errors.js';
import type { RandomAccessSource, ReadOptions } from './random-access-source.js';
import { checkReadRange, throwIfAborted } from './check-range.js';
import type { MemorySourceInit } from './bytes-source.js';

/**
 * A Blob or a browser File, read slice by slice (the image is never loaded whole). A File gives its name and
 * lastModified unless `init` says otherwise.
 */
export function blobSource(blob: Blob, init: MemorySourceInit = {}): RandomAccessSource {
  const file = blob as Partial<File>;
  const name = init.name ?? (typeof file.name === 'string' && file.name.length > 0 ? file.name : 'blob');
  const modifiedTime = init.modifiedTime ?? (typeof file.lastModified === 'number' ? new Date(file.lastModified) : undefined);
  const size = blob.size;
  const read = async (offset: number, length: number, options?: ReadOptions): Promise<Uint8Array> => {
    throwIfAborted(options?.signal);
    checkReadRange(name, size, offset, length);
    const bytes = new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    throwIfAborted(options?.signal);
    if (bytes.length !== length) {
      throw new VhdFormatError('SHORT_READ', offset, `${name}: asked for ${length} bytes at offset ${offset}, got ${bytes.length}`);
    }
    return bytes;
  };
  const source: RandomAccessSource = { size, name, read };
  return modifiedTime === undefined ? source : { ...source, modifiedTime };
}
