/**
 * Where things go in a new dynamic or differencing image, following what Windows writes
 * (docs/windows-child-layout.md): 4 KiB-aligned regions, block data 4 KiB-aligned with its bitmap just before.
 */
import { isSafeNonNegativeInteger, roundUp } from './bytes.js';
import { batByteSize } from './bat.js';
import { FOOTER_SIZE, MAX_VIRTUAL_SIZE, SECTOR_SIZE, WINDOWS_ALIGNMENT, DYNAMIC_HEADER_SIZE } from './constants.js';
import { isValidBlockSize } from './dynamic-header.js';
import { VhdFormatError } from './errors.js';
import { sectorBitmapByteSize } from './sector-bitmap.js';

/** A locator to place: its platform code and the byte length of its encoded path. */
export interface LocatorPlan {
  platformCode: string;
  dataBytes: number;
}

/** A locator's data region in a planned layout. */
export interface PlacedLocator {
  platformCode: string;
  dataOffset: number;
  /** Bytes reserved for the data (what Windows stores as the data space). */
  dataSpace: number;
  dataBytes: number;
}

/** Where the header, locator data, BAT and first block of a new dynamic or differencing image go. */
export interface DynamicLayout {
  /** 512 */
  headerOffset: number;
  tableOffset: number;
  maxTableEntries: number;
  /** The BAT's padded region (4 KiB multiple with locators as Windows does, else 512), padding 0xFF. */
  tableByteSize: number;
  /** Same order as the plan's locators. */
  locators: PlacedLocator[];
  bitmapByteSize: number;
  /** File offset of the first block's bitmap; its data starts bitmapByteSize later, 4 KiB aligned. */
  firstBlockOffset: number;
  /** Size of the image with no blocks: the footer sits at firstBlockOffset. */
  emptyFileSize: number;
}

/** Windows gives the relative locator a 64 KiB region, every other one 4 KiB (at least). */
const W2RU_MIN_SPACE = 64 * 1024;
/** Without locators the BAT follows the header directly (as QEMU and Windows' plain dynamic images do). */
const PLAIN_TABLE_OFFSET = SECTOR_SIZE + DYNAMIC_HEADER_SIZE;

/** Where the next block's bitmap goes, after `endOfDataOffset`, so that the block's data is 4 KiB aligned. */
export function blockOffsetForNewBlock(endOfDataOffset: number, bitmapByteSize: number): number {
  return roundUp(endOfDataOffset + bitmapByteSize, WINDOWS_ALIGNMENT) - bitmapByteSize;
}

function locatorSpace(plan: LocatorPlan, minimum: number): number {
  return Math.max(minimum, roundUp(plan.dataBytes, WINDOWS_ALIGNMENT));
}

/**
 * The data space Windows reserves for a locator holding `dataBytes`: 4 KiB multiples, at least 64 KiB for W2ru and
 * 4 KiB for the others. Used for new images (planDynamicLayout) and for locators rewritten later (setParent).
 */
export function locatorDataSpace(platformCode: string, dataBytes: number): number {
  return locatorSpace({ platformCode, dataBytes }, platformCode === 'W2ru' ? W2RU_MIN_SPACE : WINDOWS_ALIGNMENT);
}

/** Where a locator region appended after `endOfData` starts: the next 4 KiB boundary, as Windows aligns them. */
export function locatorRegionOffset(endOfData: number): number {
  return roundUp(endOfData, WINDOWS_ALIGNMENT);
}

/**
 * The Windows layout: header at 512; W2ku data at 4096; the BAT next (4 KiB padded); W2ru data after
 * the BAT; any other locators after that; then the first block. Without locators: BAT at 1536.
 */
export function planDynamicLayout(init: { virtualSize: number; blockSize: number; locators?: LocatorPlan[] }): DynamicLayout {
  const { virtualSize, blockSize } = init;
  if (!isSafeNonNegativeInteger(virtualSize) || virtualSize > MAX_VIRTUAL_SIZE) {
    throw new VhdFormatError('BAD_SIZE', 0, `virtual size ${virtualSize} is outside 0..${MAX_VIRTUAL_SIZE}`);
  }
  if (!isValidBlockSize(blockSize)) throw new VhdFormatError('BAD_BLOCK_SIZE', 0, `block size ${blockSize} is not a valid power of two`);
  const plans = init.locators ?? [];
  for (const plan of plans) {
    if (!isSafeNonNegativeInteger(plan.dataBytes)) throw new VhdFormatError('BAD_LOCATOR', 0, `locator ${plan.platformCode} data length ${plan.dataBytes} is invalid`);
  }
  const maxTableEntries = Math.ceil(virtualSize / blockSize);
  const bitmapByteSize = sectorBitmapByteSize(blockSize);
  const placed = new Map<LocatorPlan, PlacedLocator>();
  const place = (plan: LocatorPlan, offset: number, space: number): number => {
    placed.set(plan, { platformCode: plan.platformCode, dataOffset: offset, dataSpace: space, dataBytes: plan.dataBytes });
    return offset + space;
  };

  let tableOffset: number;
  let tableByteSize: number;
  let cursor: number;
  if (plans.length === 0) {
    tableOffset = PLAIN_TABLE_OFFSET;
    tableByteSize = batByteSize(maxTableEntries, SECTOR_SIZE);
    cursor = tableOffset + tableByteSize;
  } else {
    cursor = WINDOWS_ALIGNMENT;
    for (const plan of plans) if (plan.platformCode === 'W2ku') cursor = place(plan, cursor, locatorDataSpace(plan.platformCode, plan.dataBytes));
    tableOffset = cursor;
    tableByteSize = batByteSize(maxTableEntries, WINDOWS_ALIGNMENT);
    cursor += tableByteSize;
    for (const plan of plans) if (plan.platformCode === 'W2ru') cursor = place(plan, cursor, locatorDataSpace(plan.platformCode, plan.dataBytes));
    for (const plan of plans) if (!placed.has(plan)) cursor = place(plan, cursor, locatorDataSpace(plan.platformCode, plan.dataBytes));
  }
  const firstBlockOffset = blockOffsetForNewBlock(cursor, bitmapByteSize);
  return {
    headerOffset: SECTOR_SIZE,
    tableOffset,
    maxTableEntries,
    tableByteSize,
    locators: plans.map((plan) => placed.get(plan) as PlacedLocator),
    bitmapByteSize,
    firstBlockOffset,
    emptyFileSize: firstBlockOffset + FOOTER_SIZE,
  };
}
