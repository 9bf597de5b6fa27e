import { MAX_BLOCK_SIZE, MIN_BLOCK_SIZE, isValidBlockSize } from '@vhdkit/vhd-format';
import type { ImageMetadata } from './creation-api.js';
import { chainError } from './errors.js';

/**
 * Refuses an image whose block size is not a power of two from MIN_BLOCK_SIZE to MAX_BLOCK_SIZE. Lenient metadata
 * reading only records that problem, but every offset computed from such a block size is wrong: reads would return
 * bytes that are not the disk's, and a merge of a child with block size 0 found "0 sectors" and deleted the child.
 * So opening a chain (read or write), setParent and repair all require it; `check` still reports such images.
 */
export function requireUsableGeometry(metadata: ImageMetadata): void {
  const blockSize = metadata.header?.blockSize;
  if (blockSize !== undefined && !isValidBlockSize(blockSize)) {
    throw chainError(
      'CORRUPT',
      `${metadata.path}: block size ${blockSize} is not a power of two from ${MIN_BLOCK_SIZE} to ${MAX_BLOCK_SIZE} bytes; the image is damaged`,
      metadata.path,
    );
  }
}
