import { SectorBitmap } from '@vhdkit/vhd-format';
import type { BlockState } from '@vhdkit/vhd-format';

/** What a block's bitmap says (vhd-format's type), cached so reads of full or empty blocks skip the per-sector walk. */
export type { BlockState } from '@vhdkit/vhd-format';

const UNKNOWN = 0;
const FULL = 1;
const EMPTY = 2;
const PARTIAL = 3;

/**
 * Partly set bitmaps a read-only file keeps (about 2.6 MB with 2 MiB blocks); the oldest are dropped and read
 * again if needed. Writable files keep all of theirs: the writer hands them over as it changes them.
 */
export const READ_ONLY_PARTIAL_BITMAPS = 4096;

/**
 * The block states of one file, with memory that stays flat however large the disk: full and empty blocks
 * cost one byte each and share one state object (nobody changes a bitmap in place: the writer copies
 * before it sets bits), and only partly set bitmaps keep their bytes.
 */
export class BlockStateCache {
  private readonly kinds: Uint8Array;
  private readonly partial = new Map<number, BlockState>();
  private readonly fullState: BlockState;
  private readonly emptyState: BlockState;

  /** `partialLimit`: most partly set bitmaps kept (the oldest is dropped first); unlimited by default. */
  constructor(blockCount: number, bitmapByteSize: number, sectorsPerBlock: number, private readonly partialLimit = Number.POSITIVE_INFINITY) {
    this.kinds = new Uint8Array(blockCount);
    const full = new SectorBitmap(new Uint8Array(bitmapByteSize), sectorsPerBlock);
    full.setRange(0, sectorsPerBlock);
    this.fullState = { bitmap: full, full: true, empty: false };
    this.emptyState = { bitmap: new SectorBitmap(new Uint8Array(bitmapByteSize), sectorsPerBlock), full: false, empty: true };
  }

  get(blockIndex: number): BlockState | undefined {
    switch (this.kinds[blockIndex]) {
      case FULL:
        return this.fullState;
      case EMPTY:
        return this.emptyState;
      case PARTIAL:
        return this.partial.get(blockIndex);
      default:
        return undefined;
    }
  }

  has(blockIndex: number): boolean {
    return this.get(blockIndex) !== undefined;
  }

  /** Records `bitmap` as block `blockIndex`'s (the cache owns it from now on) and returns its state. */
  remember(blockIndex: number, bitmap: SectorBitmap): BlockState {
    this.partial.delete(blockIndex);
    if (bitmap.isFull()) {
      this.kinds[blockIndex] = FULL;
      return this.fullState;
    }
    if (bitmap.isEmpty()) {
      this.kinds[blockIndex] = EMPTY;
      return this.emptyState;
    }
    if (this.partial.size >= this.partialLimit) {
      const oldest = this.partial.keys().next().value!;
      this.partial.delete(oldest);
      this.kinds[oldest] = UNKNOWN;
    }
    const state = { bitmap, full: false, empty: false };
    this.kinds[blockIndex] = PARTIAL;
    this.partial.set(blockIndex, state);
    return state;
  }

  /** Partly set bitmaps held now (tests check the bound with it). */
  get partialBitmapCount(): number {
    return this.partial.size;
  }
}
