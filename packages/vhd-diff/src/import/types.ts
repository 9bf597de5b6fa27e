import type { CreateOptions, CreatedDisk } from '../create/types.js';

/** What `importRaw` makes of a raw disk: type, size, block size, Azure's rules. */
export interface ImportOptions extends CreateOptions {
  type: 'fixed' | 'dynamic';
  /**
   * The virtual size (rounded up to whole sectors); the source may be shorter (the rest reads as zeros), never
   * longer. Default: the source's length, rounded up to whole sectors.
   */
  size?: number;
  /** Dynamic images only; default 2 MiB. */
  blockSize?: number;
  /**
   * Azure's rules for uploaded VHDs: a fixed image whose virtual size is a whole number of MiB (rounded up, the
   * padding zeroed) and whose footer current size is that size. Requires `type: 'fixed'`.
   */
  azure?: boolean;
}

/**
 * A created image plus what was read. Progress (`onProgress`) counts source bytes read; `totalBytes` is the source
 * length (or the size asked for) when known, and 0 while the length of a stream is still unknown.
 */
export interface ImportedDisk extends CreatedDisk {
  /** Bytes read from the source. */
  sourceBytes: number;
  /** Dynamic images: blocks stored (those holding a non-zero byte). */
  storedBlocks?: number;
}
