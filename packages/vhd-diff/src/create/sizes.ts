import { MAX_BLOCK_SIZE, MAX_TABLE_ENTRIES, MAX_VIRTUAL_SIZE, MIN_BLOCK_SIZE, SECTOR_SIZE, isValidBlockSize } from '@vhdkit/vhd-format';
import { VhdIoError } from '../errors.js';

/** The requested virtual size rounded up to whole sectors, after refusing what no VHD reader accepts. */
export function virtualSizeFor(sizeBytes: number, path: string): number {
  if (typeof sizeBytes !== 'number' || !Number.isSafeInteger(sizeBytes)) {
    throw new VhdIoError('UNSUPPORTED', `the size of ${path} must be a whole number of bytes, got ${String(sizeBytes)}`, { path });
  }
  if (sizeBytes <= 0) {
    throw new VhdIoError('SIZE_TOO_SMALL', `the size of ${path} must be positive, got ${sizeBytes}`, { path });
  }
  const rounded = Math.ceil(sizeBytes / SECTOR_SIZE) * SECTOR_SIZE;
  if (rounded > MAX_VIRTUAL_SIZE) {
    throw new VhdIoError(
      'SIZE_TOO_LARGE',
      `the size of ${path} (${sizeBytes} bytes) exceeds the VHD maximum of 2040 GiB (${MAX_VIRTUAL_SIZE} bytes)`,
      { path },
    );
  }
  return rounded;
}

/**
 * Block sizes must be a power of two and a whole number of sectors (docs/format.md#dynamic-header), within vhd-format's limits,
 * and leave the BAT within its entry limit (a 2040 GiB disk needs blocks of at least 512 KiB).
 */
export function checkBlockSize(blockSize: number, virtualSize: number, path: string): number {
  if (!isValidBlockSize(blockSize)) {
    throw new VhdIoError(
      'UNSUPPORTED',
      `block size ${String(blockSize)} for ${path} is not a power of two from ${MIN_BLOCK_SIZE} to ${MAX_BLOCK_SIZE} bytes`,
      { path },
    );
  }
  const entries = Math.ceil(virtualSize / blockSize);
  if (entries > MAX_TABLE_ENTRIES) {
    throw new VhdIoError(
      'UNSUPPORTED',
      `block size ${blockSize} is too small for ${path}: ${entries} BAT entries, more than the ${MAX_TABLE_ENTRIES} readers accept`,
      { path },
    );
  }
  return blockSize;
}

export function checkUniqueId(uniqueId: Uint8Array, path: string): Uint8Array {
  if (!(uniqueId instanceof Uint8Array) || uniqueId.length !== 16) {
    throw new VhdIoError('UNSUPPORTED', `the unique id for ${path} must be 16 bytes`, { path });
  }
  return uniqueId;
}
