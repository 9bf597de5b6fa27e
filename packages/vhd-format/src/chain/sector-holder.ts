/**
 * The one per-sector decision of every chain read: of a byte range inside one block, which runs this layer holds
 * and which come from the layer below (the parent for a differencing image, zeros for a dynamic one). A sector is
 * held when its block is allocated and its bitmap bit is set (docs/format.md#bat-and-blocks, #differencing-child). Every reader of a chain — the
 * vhd-diff file paths and the source-based ChainReader — asks this function and nothing else.
 */
import { SECTOR_SIZE } from '../constants.js';
import type { SectorBitmap } from '../sector-bitmap.js';

/** What a block's bitmap says; `full`/`empty` let readers skip the per-sector walk. */
export interface BlockState {
  bitmap: SectorBitmap;
  full: boolean;
  empty: boolean;
}

/** [from, to) bytes within a block, held by this layer or not. */
export interface HeldRun {
  from: number;
  to: number;
  held: boolean;
}

/**
 * The runs of [fromByte, toByte) within a block (toByte ≤ block size): `state` undefined means the block is not
 * allocated in this layer. Runs are maximal, in order, and cover the range exactly.
 */
export function* heldRuns(state: BlockState | undefined, fromByte: number, toByte: number): Generator<HeldRun> {
  if (toByte <= fromByte) return;
  if (state === undefined || state.empty) {
    yield { from: fromByte, to: toByte, held: false };
    return;
  }
  if (state.full) {
    yield { from: fromByte, to: toByte, held: true };
    return;
  }
  for (const run of state.bitmap.runs(Math.floor(fromByte / SECTOR_SIZE), Math.ceil(toByte / SECTOR_SIZE))) {
    const from = Math.max(run.start * SECTOR_SIZE, fromByte);
    const to = Math.min((run.start + run.count) * SECTOR_SIZE, toByte);
    if (to > from) yield { from, to, held: run.set };
  }
}

/** A state for a bitmap just read (readers that cache states share full and empty ones instead). */
export function blockStateOf(bitmap: SectorBitmap): BlockState {
  return { bitmap, full: bitmap.isFull(), empty: bitmap.isEmpty() };
}
