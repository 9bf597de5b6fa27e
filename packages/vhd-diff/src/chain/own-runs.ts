import { heldRuns } from '@vhdkit/vhd-format';
import type { ImageFile } from './image-file.js';

/** A run of sectors this file holds itself: its virtual position and where its bytes are in the file. */
export interface OwnRun {
  virtualOffset: number;
  length: number;
  fileOffset: number;
}

/**
 * The sectors a dynamic or differencing file marks as its own (bitmap bits set), in virtual order,
 * clipped to the virtual size. Whole blocks with full bitmaps come out as one run.
 */
export async function ownRuns(file: ImageFile): Promise<OwnRun[]> {
  const runs: OwnRun[] = [];
  const geometry = file.geometry;
  if (!geometry) return runs;
  for (let blockIndex = 0; blockIndex < file.bat.length; blockIndex++) {
    const dataOffset = file.blockDataOffset(blockIndex);
    if (dataOffset === undefined) continue;
    const blockStart = blockIndex * geometry.blockSize;
    if (blockStart >= file.virtualSize) continue;
    const blockEnd = Math.min(blockStart + geometry.blockSize, file.virtualSize);
    // The same per-sector decision as every chain read (vhd-format's heldRuns), over the block's part of the disk.
    for (const run of heldRuns(await file.blockState(blockIndex), 0, blockEnd - blockStart)) {
      if (run.held) runs.push({ virtualOffset: blockStart + run.from, length: run.to - run.from, fileOffset: dataOffset + run.from });
    }
  }
  return runs;
}

/**
 * Runs in order, in batches of at most `maxBytes` (a larger run is a batch of its own). A batch goes on across a gap
 * between runs only while it stays within `gatherBytes`: thousands of small scattered runs share a batch, while
 * large runs apart from each other stay batches of their own.
 */
export function runBatches(runs: readonly OwnRun[], maxBytes: number, gatherBytes: number): OwnRun[][] {
  const batches: OwnRun[][] = [];
  let current: OwnRun[] = [];
  let currentEnd = -1;
  let currentBytes = 0;
  for (const run of runs) {
    const gap = run.virtualOffset !== currentEnd;
    if (current.length > 0 && (currentBytes + run.length > maxBytes || (gap && currentBytes + run.length > gatherBytes))) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(run);
    currentEnd = run.virtualOffset + run.length;
    currentBytes += run.length;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
