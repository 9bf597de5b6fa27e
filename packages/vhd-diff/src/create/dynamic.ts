import { resolve } from 'node:path';
import { DEFAULT_BLOCK_SIZE, DiskType, uniqueIdToString } from '@vhdkit/vhd-format';
import { throwIfAborted } from '../errors.js';
import { standaloneFooter } from './creator.js';
import { planDynamicImage } from './dynamic-image.js';
import { checkBlockSize, virtualSizeFor } from './sizes.js';
import type { CreateOptions, CreatedDisk } from './types.js';
import { writeImageFile } from './write-image.js';

/**
 * Creates an empty dynamic image of `sizeBytes` (rounded up to whole sectors; at most 2040 GiB) at `path`, with
 * `blockSize` blocks (default 2 MiB). Never replaces an existing file.
 */
export async function createDynamicDisk(
  path: string,
  sizeBytes: number,
  options: CreateOptions & { blockSize?: number } = {},
): Promise<CreatedDisk> {
  const imagePath = resolve(path);
  throwIfAborted(options.signal, imagePath);
  const virtualSize = virtualSizeFor(sizeBytes, imagePath);
  const blockSize = checkBlockSize(options.blockSize ?? DEFAULT_BLOCK_SIZE, virtualSize, imagePath);
  const footer = standaloneFooter(DiskType.Dynamic, virtualSize, options, imagePath);
  const { uniqueId } = footer;
  const plan = planDynamicImage({ footer, blockSize }, imagePath);
  await writeImageFile(imagePath, plan, options);
  return {
    path: imagePath,
    diskType: 'dynamic',
    virtualSize,
    fileSize: plan.fileSize,
    blockSize,
    uniqueId,
    uniqueIdText: uniqueIdToString(uniqueId),
  };
}
