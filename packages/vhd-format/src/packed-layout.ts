/**
 * The layout of a dynamic image written front to back in one pass (import of a raw disk, export as a stream):
 * footer copy at 0, header at 512, blocks back to back — each its sector bitmap then its data, no alignment gap,
 * as QEMU writes them — and the footer last. The BAT sits at 1536, before the blocks, when the size is known in
 * advance; when the size is only learnt at the end (a pipe), it follows the last block, which the format allows
 * (the header's table offset says where it is, docs/format.md#locator-placement) and which needs neither a guess nor moving data.
 */
import { batByteSize } from './bat.js';
import { isSafeNonNegativeInteger } from './bytes.js';
import { DYNAMIC_HEADER_SIZE, FOOTER_SIZE, MAX_TABLE_ENTRIES, MAX_VIRTUAL_SIZE, SECTOR_SIZE } from './constants.js';
import { isValidBlockSize } from './dynamic-header.js';
import { VhdFormatError } from './errors.js';
import { SectorBitmap, sectorBitmapByteSize } from './sector-bitmap.js';

/** Where the BAT goes: before the blocks (size known up front) or after them (size known only at the end). */
export type TablePlacement = 'before-blocks' | 'after-blocks';

/** Where everything goes in a one-pass dynamic image whose blocks are packed back to back (import, export). */
export interface PackedDynamicLayout {
  /** 512 */
  headerOffset: number;
  tableOffset: number;
  maxTableEntries: number;
  /** The BAT's region, padded with 0xFF to a whole sector. */
  tableByteSize: number;
  bitmapByteSize: number;
  /** Bitmap + data: the file bytes one block takes. */
  blockSpanBytes: number;
  /** File offset of the first block's bitmap. */
  firstBlockOffset: number;
  /** File offset of the footer at the end. */
  footerOffset: number;
  fileSize: number;
}

const HEADER_OFFSET = SECTOR_SIZE;
const BLOCKS_AFTER_HEADER = HEADER_OFFSET + DYNAMIC_HEADER_SIZE;
/** A BAT entry is a u32 sector number, so every block must start below 2^32 sectors (2 TiB). */
const MAX_SECTOR_NUMBER = 0xffff_fffe;

/**
 * The layout of a dynamic image of `virtualSize` bytes holding `blockCount` blocks of `blockSize` bytes. The
 * k-th stored block (in the order written) starts at `firstBlockOffset + k × blockSpanBytes` (see
 * packedBlockOffset). Throws VhdFormatError for sizes, block sizes or counts the format cannot express.
 */
export function planPackedDynamicLayout(init: {
  virtualSize: number;
  blockSize: number;
  blockCount: number;
  table: TablePlacement;
}): PackedDynamicLayout {
  const { virtualSize, blockSize, blockCount, table } = init;
  if (!isSafeNonNegativeInteger(virtualSize) || virtualSize > MAX_VIRTUAL_SIZE) {
    throw new VhdFormatError('BAD_SIZE', 0, `virtual size ${virtualSize} is outside 0..${MAX_VIRTUAL_SIZE}`);
  }
  if (!isValidBlockSize(blockSize)) throw new VhdFormatError('BAD_BLOCK_SIZE', 0, `block size ${blockSize} is not a valid power of two`);
  const maxTableEntries = Math.ceil(virtualSize / blockSize);
  if (maxTableEntries > MAX_TABLE_ENTRIES) {
    throw new VhdFormatError('TABLE_OUT_OF_RANGE', 0, `${maxTableEntries} BAT entries are more than the ${MAX_TABLE_ENTRIES} allowed`);
  }
  if (!isSafeNonNegativeInteger(blockCount) || blockCount > maxTableEntries) {
    throw new VhdFormatError('TABLE_OUT_OF_RANGE', 0, `${blockCount} blocks do not fit a BAT of ${maxTableEntries} entries`);
  }
  const tableByteSize = batByteSize(maxTableEntries, SECTOR_SIZE);
  const bitmapByteSize = sectorBitmapByteSize(blockSize);
  const blockSpanBytes = bitmapByteSize + blockSize;
  const blocksBytes = blockCount * blockSpanBytes;
  const tableOffset = table === 'before-blocks' ? BLOCKS_AFTER_HEADER : BLOCKS_AFTER_HEADER + blocksBytes;
  const firstBlockOffset = table === 'before-blocks' ? BLOCKS_AFTER_HEADER + tableByteSize : BLOCKS_AFTER_HEADER;
  if (blockCount > 0 && (firstBlockOffset + (blockCount - 1) * blockSpanBytes) / SECTOR_SIZE > MAX_SECTOR_NUMBER) {
    throw new VhdFormatError('TABLE_OUT_OF_RANGE', 0, `${blockCount} blocks of ${blockSize} bytes reach past the 2 TiB a BAT entry can address`);
  }
  const footerOffset = BLOCKS_AFTER_HEADER + tableByteSize + blocksBytes;
  return {
    headerOffset: HEADER_OFFSET,
    tableOffset,
    maxTableEntries,
    tableByteSize,
    bitmapByteSize,
    blockSpanBytes,
    firstBlockOffset,
    footerOffset,
    fileSize: footerOffset + FOOTER_SIZE,
  };
}

/** File offset of the bitmap of the `storedIndex`-th block written (0 = the first). */
export function packedBlockOffset(layout: PackedDynamicLayout, storedIndex: number): number {
  return layout.firstBlockOffset + storedIndex * layout.blockSpanBytes;
}

/**
 * The sector bitmap of a stored block of a standalone image: every sector of the block that lies inside the disk
 * is present; sectors past the end of the disk (in its last block) stay clear.
 */
export function fullBlockBitmap(blockIndex: number, blockSize: number, virtualSize: number): Uint8Array {
  const bitmap = SectorBitmap.forBlockSize(blockSize);
  const bytesInDisk = Math.min(blockSize, virtualSize - blockIndex * blockSize);
  if (bytesInDisk > 0) bitmap.setRange(0, Math.ceil(bytesInDisk / SECTOR_SIZE));
  return bitmap.bytes;
}
