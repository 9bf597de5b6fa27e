import type { FileSystemKind } from './volume-probe.js';

/**
 * Largest file a host file system holds, where it is small enough to matter for a VHD: FAT32 stores sizes in 32 bits
 * (4 GiB − 1); FAT16 (and FAT12) as Virtual PC documents it, 2 GB (2 GiB − 1, the classic DOS/Win9x limit).
 * `undefined`: no practical limit for a ≤ 2040 GiB image.
 */
export function maxFileBytesOn(kind: FileSystemKind): number | undefined {
  switch (kind) {
    case 'fat32':
      return 4 * 1024 ** 3 - 1;
    case 'fat12':
    case 'fat16':
    case 'fat':
      return 2 * 1024 ** 3 - 1;
    default:
      return undefined;
  }
}
