import { resolve } from 'node:path';
import { DiskType, FOOTER_SIZE, encodeFooter, uniqueIdToString } from '@vhdkit/vhd-format';
import { throwIfAborted } from '../errors.js';
import { standaloneFooter } from './creator.js';
import { virtualSizeFor } from './sizes.js';
import type { CreateOptions, CreatedDisk } from './types.js';
import { writeImageFile } from './write-image.js';

/**
 * Creates a fixed image of `sizeBytes` (rounded up to whole sectors; at most 2040 GiB) at `path`: a sparse data area
 * that reads as zeros, then the footer. Only the footer is written, so even 2040 GiB is instant and takes no space
 * on file systems with sparse files. Never replaces an existing file.
 */
export async function createFixedDisk(path: string, sizeBytes: number, options: CreateOptions = {}): Promise<CreatedDisk> {
  const imagePath = resolve(path);
  throwIfAborted(options.signal, imagePath);
  const virtualSize = virtualSizeFor(sizeBytes, imagePath);
  const footer = standaloneFooter(DiskType.Fixed, virtualSize, options, imagePath);
  const { uniqueId } = footer;
  const fileSize = virtualSize + FOOTER_SIZE;
  await writeImageFile(imagePath, { fileSize, sparseBytes: virtualSize, pieces: [{ offset: virtualSize, bytes: encodeFooter(footer) }] }, options);
  return { path: imagePath, diskType: 'fixed', virtualSize, fileSize, uniqueId, uniqueIdText: uniqueIdToString(uniqueId) };
}
