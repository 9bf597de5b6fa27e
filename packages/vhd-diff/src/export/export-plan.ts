import {
  DEFAULT_BLOCK_SIZE,
  DiskType,
  FOOTER_SIZE,
  UNUSED_BAT_ENTRY,
  VhdFormatError,
  createDynamicHeader,
  encodeBat,
  encodeDynamicHeader,
  encodeFooter,
  packedBlockOffset,
  planPackedDynamicLayout,
  type PackedDynamicLayout,
} from '@vhdkit/vhd-format';
import { VhdIoError } from '../errors.js';
import { standaloneFooter } from '../create/creator.js';
import type { ByteRange, VhdDisk } from '../chain/types.js';

/** What an export writes, decided before the first byte: so its exact length is known up front. */
export type ExportPlan =
  | { type: 'fixed'; virtualSize: number; length: number; footer: Uint8Array }
  | {
      type: 'dynamic';
      virtualSize: number;
      length: number;
      blockSize: number;
      /** Indexes of the blocks stored, ascending: those some layer of the chain holds (per allocatedRanges). */
      blocks: number[];
      layout: PackedDynamicLayout;
      /** Footer copy, header and BAT: the bytes before the first block. */
      head: Uint8Array;
      footer: Uint8Array;
    };

/**
 * The plan of a standalone image holding `disk`'s content. Dynamic output keeps the chain's block size (2 MiB for a
 * fixed source) and stores every block that some layer holds, from allocation alone — not content, which would need
 * reading the disk before knowing the length.
 */
export function planExport(disk: VhdDisk, type: 'fixed' | 'dynamic'): ExportPlan {
  const { virtualSize, path } = disk;
  if (type === 'fixed') {
    const footer = encodeFooter(standaloneFooter(DiskType.Fixed, virtualSize, {}, path));
    return { type, virtualSize, length: virtualSize + FOOTER_SIZE, footer };
  }
  const blockSize = disk.blockSize ?? DEFAULT_BLOCK_SIZE;
  const blocks = blocksHolding(disk.allocatedRanges(), blockSize, virtualSize);
  let layout: PackedDynamicLayout;
  try {
    layout = planPackedDynamicLayout({ virtualSize, blockSize, blockCount: blocks.length, table: 'before-blocks' });
  } catch (error) {
    if (error instanceof VhdFormatError) throw new VhdIoError('UNSUPPORTED', `cannot lay out an export of ${path}: ${error.message}`, { path, cause: error });
    throw error;
  }
  const table = new Uint32Array(layout.maxTableEntries).fill(UNUSED_BAT_ENTRY);
  blocks.forEach((blockIndex, stored) => {
    table[blockIndex] = packedBlockOffset(layout, stored) / 512;
  });
  const footer = encodeFooter(standaloneFooter(DiskType.Dynamic, virtualSize, {}, path));
  const header = encodeDynamicHeader(createDynamicHeader({ tableOffset: layout.tableOffset, maxTableEntries: layout.maxTableEntries, blockSize }));
  const head = new Uint8Array(layout.firstBlockOffset);
  head.set(footer, 0);
  head.set(header, layout.headerOffset);
  head.set(encodeBat(table, layout.tableByteSize), layout.tableOffset);
  return { type, virtualSize, length: layout.fileSize, blockSize, blocks, layout, head, footer };
}

/** Block indexes that any of the (sorted) ranges touches, ascending, each once, inside the disk. */
export function blocksHolding(ranges: readonly ByteRange[], blockSize: number, virtualSize: number): number[] {
  const blocks: number[] = [];
  const lastBlock = Math.ceil(virtualSize / blockSize) - 1;
  for (const range of ranges) {
    if (range.length <= 0) continue;
    const first = Math.max(Math.floor(range.offset / blockSize), blocks.length > 0 ? blocks.at(-1)! + 1 : 0);
    const last = Math.min(Math.ceil((range.offset + range.length) / blockSize) - 1, lastBlock);
    for (let blockIndex = first; blockIndex <= last; blockIndex++) blocks.push(blockIndex);
  }
  return blocks;
}
