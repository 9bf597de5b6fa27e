/**
 * Layout math for changing a disk's virtual size in place (docs: resize in packages/vhd-diff/README.md).
 * Pure: the file work that follows the plan lives in vhd-diff.
 */
import { batByteSize } from './bat.js';
import { isSafeNonNegativeInteger } from './bytes.js';
import { MAX_VIRTUAL_SIZE, SECTOR_SIZE } from './constants.js';
import { VhdFormatError } from './errors.js';
import type { Footer } from './footer.js';
import { geometryFromSize } from './geometry.js';

/** A byte range [start, end) of the file that holds something: a block (bitmap + data) or a locator's data. */
export interface FileRegion {
  start: number;
  end: number;
}

/** Whether `size` can be a disk's virtual size: a positive whole number of sectors up to 2040 GiB. */
export function isValidVirtualSize(size: number): boolean {
  return isSafeNonNegativeInteger(size) && size > 0 && size % SECTOR_SIZE === 0 && size <= MAX_VIRTUAL_SIZE;
}

/**
 * The footer of the same disk at a new size: current size and geometry change, everything else (original size,
 * unique id, creator, timestamp) stays as it was. Geometry is the specification's CHS for the new size, as Windows
 * computes it when it creates or expands a disk; the current size is the requested size itself, not the CHS product
 * (which is usually smaller), so readers that trust the current size see exactly what was asked for.
 */
export function resizedFooter(footer: Footer, newSize: number): Footer {
  if (!isValidVirtualSize(newSize)) {
    throw new VhdFormatError('BAD_SIZE', 0, `virtual size ${newSize} is not a positive multiple of 512 up to ${MAX_VIRTUAL_SIZE}`);
  }
  return { ...footer, currentSize: newSize, geometry: geometryFromSize(newSize) };
}

/** BAT entries a disk of `virtualSize` bytes needs. */
export function tableEntriesFor(virtualSize: number, blockSize: number): number {
  return Math.ceil(virtualSize / blockSize);
}

/** Where a BAT of `entries` entries at `tableOffset` ends, padded to whole sectors as every reader expects. */
export function tableRegionEnd(tableOffset: number, entries: number): number {
  return tableOffset + batByteSize(entries);
}

/**
 * The regions a BAT that grows to end at `newTableEnd` would overwrite: those that start at or after the table
 * (structures before it are never in the way) and before its new end, in the given order. They must move before
 * the table grows.
 */
export function regionsInTheWay<T extends FileRegion>(regions: readonly T[], tableOffset: number, newTableEnd: number): T[] {
  return regions.filter((region) => region.end > tableOffset && region.start < newTableEnd && region.start >= tableOffset);
}
