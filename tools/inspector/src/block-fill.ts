/**
 * How full each block of one image is, from its BAT and sector bitmaps: the facts the allocation map draws.
 * Bitmaps are read a few at a time so a large image's map fills in while the rest of the page is usable.
 */
import { BlockPlacement, blockStateOf } from '@vhdkit/vhd-format';
import type { VhdImage } from '@vhdkit/vhd-format';

/** Ordered from least to most written; a map cell holding several blocks shows the highest. Misplaced is damage. */
export const BlockFill = { Empty: 0, Allocated: 1, Partly: 2, Full: 3, Misplaced: 4 } as const;
export type BlockFill = (typeof BlockFill)[keyof typeof BlockFill];

export const BLOCK_FILL_NAMES: Record<BlockFill, string> = {
  [BlockFill.Empty]: 'empty (not allocated)',
  [BlockFill.Allocated]: 'allocated, nothing written',
  [BlockFill.Partly]: 'partly written',
  [BlockFill.Full]: 'fully written',
  [BlockFill.Misplaced]: 'misplaced (BAT points outside the data area or over metadata)',
};

export interface BlockFillOptions {
  /** Called after each batch of bitmaps with the fills so far (unread allocated blocks show as allocated). */
  onProgress?: (fills: Uint8Array, bitmapsRead: number, bitmapsTotal: number) => void;
  signal?: AbortSignal;
}

const BITMAPS_IN_FLIGHT = 16;
const PROGRESS_EVERY_BITMAPS = 4096;

/** One BlockFill per BAT entry that covers the disk; undefined for a fixed image (every sector is stored). */
export async function readBlockFills(image: VhdImage, options: BlockFillOptions = {}): Promise<Uint8Array | undefined> {
  if (!image.bat || !image.geometry) return undefined;
  const placement = new BlockPlacement(image);
  const blockCount = Math.min(image.bat.length, Math.ceil(image.footer.currentSize / image.geometry.blockSize));
  const fills = new Uint8Array(blockCount);
  const toRead: number[] = [];
  for (let blockIndex = 0; blockIndex < blockCount; blockIndex++) {
    if (!placement.isAllocated(blockIndex)) continue;
    if (placement.misplaced.has(blockIndex)) fills[blockIndex] = BlockFill.Misplaced;
    else {
      fills[blockIndex] = BlockFill.Allocated;
      toRead.push(blockIndex);
    }
  }
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < toRead.length) {
      const blockIndex = toRead[next++]!;
      const bitmap = await placement.readBitmap(blockIndex, { signal: options.signal });
      if (bitmap) fills[blockIndex] = fillOf(blockStateOf(bitmap));
      done++;
      if (done % PROGRESS_EVERY_BITMAPS === 0) options.onProgress?.(fills, done, toRead.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(BITMAPS_IN_FLIGHT, toRead.length) }, worker));
  return fills;
}

function fillOf(state: { full: boolean; empty: boolean }): BlockFill {
  if (state.full) return BlockFill.Full;
  return state.empty ? BlockFill.Allocated : BlockFill.Partly;
}

/** How many blocks have each fill. */
export function countFills(fills: Uint8Array): Record<BlockFill, number> {
  const counts: Record<BlockFill, number> = { 0: 0, 1: 0, 2: 0, 3: 0, 4: 0 };
  for (const fill of fills) counts[fill as BlockFill]++;
  return counts;
}
