/**
 * Builds dynamic and differencing images in memory with this package's own encoders, in the layout
 * planDynamicLayout gives (blocks appended in the order given). Used to feed the streaming parser.
 */
import {
  createDynamicHeader,
  createFooter,
  DiskType,
  encodeBat,
  encodeDynamicHeader,
  encodeFooter,
  encodeLocatorPath,
  planDynamicLayout,
  sectorBitmapByteSize,
  SECTOR_SIZE,
  UNUSED_BAT_ENTRY,
  blockOffsetForNewBlock,
  FOOTER_SIZE,
} from '../../src/index.js';
import type { Footer, DynamicHeader, LocatorPlatformCode, ParentLocatorEntry } from '../../src/index.js';

export interface BuiltBlock {
  blockIndex: number;
  bitmap: Uint8Array;
  data: Uint8Array;
}

export interface BuildOptions {
  virtualSize: number;
  blockSize: number;
  /** Blocks in the order they are written to the file. */
  blocks: BuiltBlock[];
  parent?: { uniqueId: Uint8Array; name: string; locators: { platformCode: LocatorPlatformCode; path: string }[] };
}

export interface BuiltImage {
  bytes: Uint8Array;
  footer: Footer;
  header: DynamicHeader;
  bat: Uint32Array;
  blockOffsets: Map<number, number>;
}

/** A block whose bitmap is full and whose data is a recognisable pattern. */
export function patternBlock(blockIndex: number, blockSize: number): BuiltBlock {
  const data = new Uint8Array(blockSize);
  for (let index = 0; index < blockSize; index += 512) data[index] = (blockIndex * 7 + index / 512) & 0xff;
  const bitmap = new Uint8Array(sectorBitmapByteSize(blockSize)).fill(0xff);
  return { blockIndex, bitmap, data };
}

export function buildDynamicImage(options: BuildOptions): BuiltImage {
  const { virtualSize, blockSize } = options;
  const locatorData = (options.parent?.locators ?? []).map((locator) => ({ ...locator, data: encodeLocatorPath(locator.platformCode, locator.path) }));
  const layout = planDynamicLayout({
    virtualSize,
    blockSize,
    locators: locatorData.map((locator) => ({ platformCode: locator.platformCode, dataBytes: locator.data.length })),
  });
  const bat = new Uint32Array(layout.maxTableEntries).fill(UNUSED_BAT_ENTRY);
  const blockOffsets = new Map<number, number>();
  let offset = layout.firstBlockOffset;
  for (const block of options.blocks) {
    blockOffsets.set(block.blockIndex, offset);
    bat[block.blockIndex] = offset / SECTOR_SIZE;
    offset = blockOffsetForNewBlock(offset + layout.bitmapByteSize + blockSize, layout.bitmapByteSize);
  }
  const footerOffset = options.blocks.length === 0 ? layout.firstBlockOffset : offset;
  const diskType = options.parent ? DiskType.Differencing : DiskType.Dynamic;
  const footer = createFooter({ diskType, currentSize: virtualSize, uniqueId: new Uint8Array(16).fill(0x5a), timestamp: 820540800 });
  const parentLocators: ParentLocatorEntry[] = locatorData.map((locator, index) => ({
    platformCode: locator.platformCode,
    platformDataSpace: layout.locators[index]!.dataSpace,
    platformDataLength: locator.data.length,
    reserved: 0,
    platformDataOffset: layout.locators[index]!.dataOffset,
  }));
  const header = createDynamicHeader({
    tableOffset: layout.tableOffset,
    maxTableEntries: layout.maxTableEntries,
    blockSize,
    parentUniqueId: options.parent?.uniqueId,
    parentUnicodeName: options.parent?.name,
    parentLocators,
  });

  const bytes = new Uint8Array(footerOffset + FOOTER_SIZE);
  const footerBytes = encodeFooter(footer);
  bytes.set(footerBytes, 0);
  bytes.set(encodeDynamicHeader(header), layout.headerOffset);
  bytes.set(encodeBat(bat, layout.tableByteSize), layout.tableOffset);
  locatorData.forEach((locator, index) => bytes.set(locator.data, layout.locators[index]!.dataOffset));
  for (const block of options.blocks) {
    const at = blockOffsets.get(block.blockIndex)!;
    bytes.set(block.bitmap, at);
    bytes.set(block.data, at + layout.bitmapByteSize);
  }
  bytes.set(footerBytes, footerOffset);
  return { bytes, footer, header, bat, blockOffsets };
}

/** Splits bytes into chunks of `size` as an async iterable (views, no copies). */
export async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}
