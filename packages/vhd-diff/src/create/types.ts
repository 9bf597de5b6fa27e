import type { DiskTypeName } from '@vhdkit/vhd-format';

/** Bytes written so far out of the bytes this creation writes (holes of sparse files are not written). */
export interface WriteProgress {
  bytesWritten: number;
  totalBytes: number;
}

/** Options of the create functions. */
export interface CreateOptions {
  /** Cancels at any point before the file is published; the temporary file is removed. */
  signal?: AbortSignal;
  /** Called at the start, after every chunk written, and at the end. */
  onProgress?: (progress: WriteProgress) => void;
  /** The footer timestamp (default: now). */
  now?: Date;
  /** The new image's 16-byte unique id (default: a random RFC 4122 version 4 id). */
  uniqueId?: Uint8Array;
}

/** The facts of a newly created image. */
export interface CreatedDisk {
  path: string;
  diskType: DiskTypeName;
  /** Footer current size: the size readers present. */
  virtualSize: number;
  fileSize: number;
  /** Dynamic and differencing images only. */
  blockSize?: number;
  uniqueId: Uint8Array;
  uniqueIdText: string;
  /** Differencing images only: the parent and the paths written into the parent locators. */
  parent?: { path: string; uniqueIdText: string; locators: { platformCode: string; path: string }[] };
}
