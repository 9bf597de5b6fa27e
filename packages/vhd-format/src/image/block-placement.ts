/**
 * Where an image's blocks may lie: each allocated block (bitmap + data) must end inside the data area and must not
 * overlap the footer copy, header, BAT or locator data. Blocks that break the rule are never read: reading one is a
 * typed error, so a hostile BAT entry can neither hand out metadata bytes as data nor point past the image.
 */
import { UNUSED_BAT_ENTRY, SECTOR_SIZE, DYNAMIC_HEADER_SIZE } from '../constants.js';
import { batByteSize } from '../bat.js';
import { VhdFormatError } from '../errors.js';
import { isUnusedLocator, locatorDataSpaceBytes } from '../parent-locator.js';
import { SectorBitmap } from '../sector-bitmap.js';
import type { ReadOptions } from '../source/random-access-source.js';
import type { VhdImage } from './read-image.js';

/** [start, end) of a structure in the image. */
export interface ImageRegion {
  start: number;
  end: number;
  what: string;
}

/** Footer copy and header, BAT region, and the data of every locator the reader accepted. */
export function metadataRegions(image: VhdImage): ImageRegion[] {
  const { header, headerOffset } = image;
  if (!header || headerOffset === undefined) return [];
  const regions: ImageRegion[] = [
    { start: 0, end: headerOffset + DYNAMIC_HEADER_SIZE, what: 'footer copy and dynamic header' },
    { start: header.tableOffset, end: header.tableOffset + batByteSize(header.maxTableEntries), what: 'BAT' },
  ];
  header.parentLocators.forEach((locator, index) => {
    if (isUnusedLocator(locator) || image.rejectedLocators.has(index)) return;
    // A data space claimed past the data area is clamped: it cannot hold anything a reader would use.
    const end = Math.max(locator.platformDataOffset + locator.platformDataLength, Math.min(locator.platformDataOffset + locatorDataSpaceBytes(locator), image.dataAreaEnd));
    regions.push({ start: locator.platformDataOffset, end, what: `parent locator ${index} (${JSON.stringify(locator.platformCode)})` });
  });
  return regions;
}

/** The allocation facts of an image's BAT, with misplaced blocks found once at open. */
export class BlockPlacement {
  readonly misplaced: ReadonlySet<number>;
  private readonly bat: Uint32Array;

  constructor(private readonly image: VhdImage) {
    if (!image.geometry || !image.bat) throw new VhdFormatError('NOT_DYNAMIC', 0, 'the image has no block allocation table');
    this.bat = image.bat;
    this.misplaced = misplacedBlocks(image, metadataRegions(image));
  }

  isAllocated(blockIndex: number): boolean {
    return blockIndex < this.bat.length && this.bat[blockIndex] !== UNUSED_BAT_ENTRY;
  }

  /** Image offset of an allocated block's sector bitmap (its data follows); undefined when unallocated. */
  bitmapOffset(blockIndex: number): number | undefined {
    if (!this.isAllocated(blockIndex)) return undefined;
    if (this.misplaced.has(blockIndex)) throw misplacedError(blockIndex, this.bat[blockIndex]!);
    return this.bat[blockIndex]! * SECTOR_SIZE;
  }

  /** The sector bitmap of an allocated, well-placed block. */
  async readBitmap(blockIndex: number, options?: ReadOptions): Promise<SectorBitmap | undefined> {
    const offset = this.bitmapOffset(blockIndex);
    if (offset === undefined) return undefined;
    const { bitmapByteSize, sectorsPerBlock } = this.image.geometry!;
    const bytes = await this.image.source.read(offset, bitmapByteSize, options);
    return new SectorBitmap(bytes, sectorsPerBlock);
  }
}

/** The typed error for reading a block whose BAT entry the placement rule refused. */
export function misplacedError(blockIndex: number, entry: number): VhdFormatError {
  return new VhdFormatError('BLOCK_OUT_OF_RANGE', entry * SECTOR_SIZE, `block ${blockIndex}'s BAT entry (sector ${entry}) places it outside the data area or over metadata`, { field: 'bat' });
}

/**
 * The placement rule for one allocated block at [start, end) (bitmap and data): 'outside' when it ends past the data
 * area, the metadata region it overlaps, or undefined when it is well placed. Readers and the checker both ask this.
 */
export function blockPlacementFault(start: number, end: number, dataAreaEnd: number, regions: readonly ImageRegion[]): 'outside' | ImageRegion | undefined {
  if (end > dataAreaEnd) return 'outside';
  return regions.find((region) => start < region.end && region.start < end);
}

/** Allocated blocks that end past the data area or overlap metadata. O(entries × regions); regions ≤ 10. */
export function misplacedBlocks(image: VhdImage, regions: readonly ImageRegion[]): Set<number> {
  const { bitmapByteSize, blockSize } = image.geometry!;
  const span = bitmapByteSize + blockSize;
  const misplaced = new Set<number>();
  const bat = image.bat!;
  for (let blockIndex = 0; blockIndex < bat.length; blockIndex++) {
    const entry = bat[blockIndex]!;
    if (entry === UNUSED_BAT_ENTRY) continue;
    const start = entry * SECTOR_SIZE;
    if (blockPlacementFault(start, start + span, image.dataAreaEnd, regions) !== undefined) misplaced.add(blockIndex);
  }
  return misplaced;
}

/** First byte after every referenced structure: metadata regions and well-placed allocated blocks. */
export function referencedEnd(image: VhdImage, bat: Uint32Array, ignored: ReadonlySet<number>): number {
  let end = Math.max(0, ...metadataRegions(image).map((region) => region.end));
  const { bitmapByteSize, blockSize } = image.geometry!;
  for (let blockIndex = 0; blockIndex < bat.length; blockIndex++) {
    const entry = bat[blockIndex]!;
    if (entry !== UNUSED_BAT_ENTRY && !ignored.has(blockIndex)) end = Math.max(end, entry * SECTOR_SIZE + bitmapByteSize + blockSize);
  }
  return end;
}
