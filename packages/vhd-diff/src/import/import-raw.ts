import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { DEFAULT_BLOCK_SIZE, MAX_VIRTUAL_SIZE, isValidBlockSize, uniqueIdToString } from '@vhdkit/vhd-format';
import type { DiskType, Footer } from '@vhdkit/vhd-format';
import { VhdIoError, throwIfAborted } from '../errors.js';
import { eventLoopTurns } from '../chain/event-loop-turns.js';
import { publishNewFile } from '../publish.js';
import { standaloneFooter } from '../create/creator.js';
import { checkBlockSize, virtualSizeFor } from '../create/sizes.js';
import { DynamicOutput } from './dynamic-output.js';
import { FixedOutput } from './fixed-output.js';
import { openRawSource, type RawSource } from './raw-source.js';
import { sourceChunks } from './source-chunks.js';
import type { ImportOptions, ImportedDisk } from './types.js';

/** Azure takes VHDs whose virtual size is a whole number of MiB (see the README, "Import"). */
const AZURE_SIZE_UNIT = 1024 * 1024;

/**
 * Makes a new VHD at `outPath` from a raw disk: a file path, or a Node Readable of unknown length (a pipe). Reads
 * the source once, front to back, one chunk (a dynamic block, or 2 MiB for fixed) at a time, so memory stays flat.
 * Dynamic output stores only blocks with a non-zero byte; fixed output is the bytes plus a footer (zero stretches
 * left as holes). Published like creation: a temporary file beside the destination, fsynced, then linked to its
 * name, never replacing anything; a failure or abort leaves no file. A Readable not read to its end is destroyed.
 */
export async function importRaw(source: string | Readable, outPath: string, options: ImportOptions): Promise<ImportedDisk> {
  const imagePath = resolve(outPath);
  throwIfAborted(options.signal, imagePath);
  const request = checkRequest(options, imagePath);
  const raw = await openRawSource(source);
  // A read may wait on a pipe that stays open: an abort must not wait for its next byte.
  const interrupt = () => raw.interrupt();
  options.signal?.addEventListener('abort', interrupt, { once: true });
  try {
    const knownSize = knownVirtualSize(request, raw, imagePath);
    let outcome: { virtualSize: number; fileSize: number; sourceBytes: number; storedBlocks?: number } | undefined;
    let footer: Footer | undefined;
    const footerFor = (diskType: typeof DiskType.Fixed | typeof DiskType.Dynamic, virtualSize: number): Footer => {
      footer = standaloneFooter(diskType, virtualSize, options, imagePath);
      return footer;
    };
    await publishNewFile(
      imagePath,
      async (handle) => {
        const output = request.type === 'fixed' ? new FixedOutput(handle, imagePath) : new DynamicOutput(handle, imagePath, request.blockSize, knownSize);
        try {
          if (request.type === 'fixed' && knownSize !== undefined) {
            // Sized first, so a file too large for the volume (EFBIG on FAT32) fails at once; finish() sets it again.
            await handle.truncate(knownSize);
          }
          const totalBytes = raw.knownBytes ?? knownSize ?? 0;
          const limitBytes = knownSize ?? MAX_VIRTUAL_SIZE;
          let sourceBytes = 0;
          options.onProgress?.({ bytesWritten: 0, totalBytes });
          // Reads of a file block the calling thread: without these turns no timer, signal handler or abort could act.
          const turn = eventLoopTurns();
          try {
            for await (const chunk of sourceChunks(raw, output)) {
              throwIfAborted(options.signal, imagePath);
              if (chunk.position + chunk.validBytes > limitBytes) throw sourceTooLong(request, limitBytes, imagePath, raw.name);
              output.accept(chunk);
              sourceBytes += chunk.validBytes;
              options.onProgress?.({ bytesWritten: sourceBytes, totalBytes: Math.max(totalBytes, sourceBytes) });
              await turn();
            }
          } catch (error) {
            throwIfAborted(options.signal, imagePath); // an interrupted read fails as the abort it is
            throw error;
          }
          throwIfAborted(options.signal, imagePath);
          const virtualSize = knownSize ?? virtualSizeFor(roundUp(sourceBytes, request.sizeUnit), imagePath);
          if (request.type === 'dynamic') checkBlockSize(request.blockSize, virtualSize, imagePath);
          outcome =
            output instanceof FixedOutput
              ? { virtualSize, sourceBytes, fileSize: await output.finish(virtualSize, footerFor) }
              : { virtualSize, sourceBytes, ...(await output.finish(virtualSize, footerFor)) };
        } finally {
          await output.settle(); // after a failure no block write may still run when the file is closed and removed
        }
      },
      { signal: options.signal },
    );
    const { uniqueId } = footer!;
    return {
      path: imagePath,
      diskType: request.type,
      ...outcome!,
      ...(request.type === 'dynamic' && { blockSize: request.blockSize }),
      uniqueId,
      uniqueIdText: uniqueIdToString(uniqueId),
    };
  } finally {
    options.signal?.removeEventListener('abort', interrupt);
    await raw.close().catch(() => undefined);
  }
}

interface ImportRequest {
  type: 'fixed' | 'dynamic';
  blockSize: number;
  size: number | undefined;
  azure: boolean;
  /** Virtual sizes are rounded up to this: a sector, or a MiB for Azure. */
  sizeUnit: number;
}

/** The options, checked once: everything that can be refused before the source is opened. */
function checkRequest(options: ImportOptions, imagePath: string): ImportRequest {
  const { type } = options;
  if (type !== 'fixed' && type !== 'dynamic') {
    throw new VhdIoError('UNSUPPORTED', `an import makes a fixed or dynamic image, not ${String(type)}`, { path: imagePath });
  }
  const azure = options.azure === true;
  if (azure && type !== 'fixed') {
    throw new VhdIoError('UNSUPPORTED', `Azure accepts only fixed VHDs; ${imagePath} was asked to be ${type}`, { path: imagePath, params: { reason: 'azure-needs-fixed' } });
  }
  if (type === 'fixed' && options.blockSize !== undefined) {
    throw new VhdIoError('UNSUPPORTED', `a fixed image has no block size (${imagePath})`, { path: imagePath });
  }
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  if (!isValidBlockSize(blockSize)) checkBlockSize(blockSize, 0, imagePath); // throws the usual message
  return { type, blockSize, size: options.size, azure, sizeUnit: azure ? AZURE_SIZE_UNIT : 512 };
}

/** The virtual size when it is known before reading: the size asked for, or a regular file's length. */
function knownVirtualSize(request: ImportRequest, raw: RawSource, imagePath: string): number | undefined {
  const bytes = request.size ?? raw.knownBytes;
  if (bytes === undefined) return undefined;
  const virtualSize = virtualSizeFor(roundUp(virtualSizeFor(bytes, imagePath), request.sizeUnit), imagePath);
  if (request.size !== undefined && raw.knownBytes !== undefined && raw.knownBytes > virtualSize) {
    throw sourceTooLong(request, virtualSize, imagePath, raw.name);
  }
  if (request.type === 'dynamic') checkBlockSize(request.blockSize, virtualSize, imagePath);
  return virtualSize;
}

function sourceTooLong(request: ImportRequest, limitBytes: number, imagePath: string, sourceName: string): VhdIoError {
  if (request.size === undefined) {
    return new VhdIoError('SIZE_TOO_LARGE', `the source ${sourceName} is larger than the VHD maximum of 2040 GiB (${MAX_VIRTUAL_SIZE} bytes)`, { path: imagePath });
  }
  return new VhdIoError('SIZE_TOO_SMALL', `the source ${sourceName} holds more than the ${limitBytes} bytes asked for ${imagePath}`, {
    path: imagePath,
    params: { reason: 'source-larger-than-size', source: sourceName, sizeBytes: limitBytes },
  });
}

function roundUp(value: number, unit: number): number {
  return Math.ceil(value / unit) * unit;
}
