import { FOOTER_SIZE, SECTOR_SIZE, blockOffsetForNewBlock, planDynamicLayout } from '@vhdkit/vhd-diff';
import { MAX_PATH_UTF16_UNITS } from '../paths/path-rules.js';

// The longest locator path the facade lets through (259 UTF-16 units) as UTF-16LE bytes: an upper bound that keeps
// this estimate independent of the exact relative path vhd-diff will write.
const LOCATOR_BOUND_BYTES = MAX_PATH_UTF16_UNITS * 2;

export function roundUpToSector(sizeBytes: number): number {
  return Math.ceil(sizeBytes / SECTOR_SIZE) * SECTOR_SIZE;
}

/** A fixed image is its data plus the 512-byte footer. */
export function fixedFileBytes(virtualSizeBytes: number): number {
  return roundUpToSector(virtualSizeBytes) + FOOTER_SIZE;
}

/**
 * The size a dynamic or differencing image reaches once every block is allocated, using vhd-format's layout plan
 * (the same one the writer uses): metadata up to the first block, then one bitmap + data stride per block, then the
 * footer. Differencing children get room for W2ku and W2ru locators of the longest allowed path.
 */
export function fullyExpandedDynamicFileBytes(virtualSizeBytes: number, blockSizeBytes: number, differencing: boolean): number {
  const locators = differencing
    ? [
        { platformCode: 'W2ku', dataBytes: LOCATOR_BOUND_BYTES },
        { platformCode: 'W2ru', dataBytes: LOCATOR_BOUND_BYTES },
      ]
    : [];
  const layout = planDynamicLayout({ virtualSize: virtualSizeBytes, blockSize: blockSizeBytes, locators });
  const blockCount = Math.ceil(virtualSizeBytes / blockSizeBytes);
  const secondBlockOffset = blockOffsetForNewBlock(layout.firstBlockOffset + layout.bitmapByteSize + blockSizeBytes, layout.bitmapByteSize);
  const strideBytes = secondBlockOffset - layout.firstBlockOffset;
  return layout.firstBlockOffset + blockCount * strideBytes + FOOTER_SIZE;
}
