import { link, lstat, stat, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DEFAULT_BLOCK_SIZE } from '@vhdkit/vhd-format';
import { createDynamicDisk, createFixedDisk, temporaryPathFor, throwIfAborted } from './creation-api.js';
import type { CreatedDisk } from './creation-api.js';
import { chainError, withIo } from './errors.js';
import { isAllZero } from '../file-io.js';
import { syncFolder } from '../publish.js';
import { eventLoopTurns } from './event-loop-turns.js';
import { openChain } from './open-disk.js';
import type { ByteRange, ProgressOptions } from './types.js';

/** Copy granularity for fixed output (dynamic output copies one destination block at a time). */
const FIXED_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Flattens a chain into a new standalone fixed or dynamic image. Only ranges some layer holds are read;
 * all-zero chunks are skipped (a dynamic destination allocates no block for them). Published like
 * creation: built under a temporary name beside the destination, synced once, then hard-linked to its name
 * (never replacing an existing file), so the destination appears complete or not at all. `blockingReads`
 * reads the source as OpenDiskOptions.blockingReads does.
 */
export async function convert(
  sourcePath: string,
  destinationPath: string,
  options: ProgressOptions & { type: 'fixed' | 'dynamic'; timestampMismatch?: 'error' | 'accept'; blockingReads?: boolean },
): Promise<CreatedDisk> {
  const destination = resolve(destinationPath);
  if (options.type !== 'fixed' && options.type !== 'dynamic') {
    throw chainError('UNSUPPORTED', `convert makes fixed or dynamic images, not ${String(options.type)}`, destination);
  }
  await refuseExisting(destination);
  const source = await openChain(sourcePath, { timestampMismatch: options.timestampMismatch, blockingReads: options.blockingReads });
  const temporary = temporaryPathFor(destination);
  let created: CreatedDisk | undefined;
  try {
    throwIfAborted(options.signal, destination);
    const blockSize = source.blockSize ?? DEFAULT_BLOCK_SIZE;
    created =
      options.type === 'dynamic'
        ? await createDynamicDisk(temporary, source.virtualSize, { blockSize, signal: options.signal })
        : await createFixedDisk(temporary, source.virtualSize, { signal: options.signal });
    const chunkBytes = options.type === 'dynamic' ? blockSize : FIXED_CHUNK_BYTES;
    // Nobody sees the temporary image before it is published: one sync at close instead of two per write.
    const target = await openChain(temporary, { writable: true, unpublished: true });
    try {
      const chunks = alignedChunks(source.allocatedRanges(), chunkBytes, source.virtualSize);
      const totalBytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
      let bytesWritten = 0;
      options.onProgress?.({ bytesWritten, totalBytes });
      const buffer = new Uint8Array(chunkBytes);
      // All-zero chunks are read (blockingReads: on this thread) and not written: nothing else would let it turn.
      const turn = eventLoopTurns();
      for (const chunk of chunks) {
        await turn();
        throwIfAborted(options.signal, destination);
        const bytes = buffer.subarray(0, chunk.length);
        await source.read(bytes, chunk.offset);
        if (!isAllZero(bytes)) await target.write(bytes, chunk.offset);
        bytesWritten += chunk.length;
        options.onProgress?.({ bytesWritten, totalBytes });
      }
    } finally {
      await target.close();
    }
    throwIfAborted(options.signal, destination);
    await withIo(destination, async () => {
      try {
        await link(temporary, destination);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
          throw chainError('ALREADY_EXISTS', `${destination} already exists; it is never replaced`, destination, error);
        }
        throw error;
      }
    });
    await withIo(destination, () => syncFolder(dirname(destination)));
  } finally {
    await source.close().catch(() => undefined);
    if (created) await unlink(temporary).catch(() => undefined);
  }
  const { size } = await withIo(destination, () => stat(destination));
  return { ...created!, path: destination, fileSize: size };
}

async function refuseExisting(path: string): Promise<void> {
  try {
    await lstat(path);
  } catch {
    return;
  }
  throw chainError('ALREADY_EXISTS', `${path} already exists; it is never replaced`, path);
}

/** Ranges widened to chunk boundaries and cut into chunks (clipped to the disk size). */
export function alignedChunks(ranges: readonly ByteRange[], chunkBytes: number, virtualSize: number): ByteRange[] {
  const chunks: ByteRange[] = [];
  let nextFree = 0;
  for (const range of ranges) {
    let offset = Math.max(Math.floor(range.offset / chunkBytes) * chunkBytes, nextFree);
    const end = Math.min(Math.ceil((range.offset + range.length) / chunkBytes) * chunkBytes, virtualSize);
    for (; offset < end; offset += chunkBytes) chunks.push({ offset, length: Math.min(chunkBytes, end - offset) });
    nextFree = Math.max(nextFree, end);
  }
  return chunks;
}
