import { resolve } from 'node:path';
import {
  MAX_CHAIN_DEPTH,
  VhdChainError,
  VhdFormatError,
  blobSource,
  bytesSource,
  openImageChain,
  readImage,
  timestampMismatch as recordedTimeMismatch,
  vhdSecondsOfModifiedTime,
} from '@vhdkit/vhd-format';
import type { ChainLayer, ParentResolver, RandomAccessSource, VhdImage } from '@vhdkit/vhd-format';
import { imageReadError, metadataOf } from '../metadata.js';
import { FileSource } from '../file-source.js';
import { VhdIoError } from '../errors.js';
import { ChainDisk } from './disk.js';
import { chainError } from './errors.js';
import { ImageFile } from './image-file.js';
import { swapWordsNatively } from '../swap-words.js';
import { fileParentResolver } from './resolve-parent.js';
import { isHttpLocation, locationParentResolver, openHttpImage, openSource } from '../source-location.js';
import type { OpenDiskOptions, VhdDisk } from './types.js';

/** Most images a chain may hold: vhd-format's one limit (32), used by opening, creation and check alike. */
export const DEFAULT_MAX_DEPTH = MAX_CHAIN_DEPTH;

/**
 * What openDisk opens: a file path (read-write if asked), or read-only an http(s) URL (a `URL`, or a string
 * starting with `http://` or `https://`), any RandomAccessSource, bytes in memory or a Blob. A source's name is
 * what its parents' relative locators resolve against: a file's folder, or the URL (parents then come over HTTP).
 */
export type DiskInput = string | URL | RandomAccessSource | Uint8Array | Blob;

/**
 * Opens an image and its whole chain. Only the top image can be writable (and only a file); parents are opened
 * read-only. Each parent's unique id must equal the child's recorded parent id ('PARENT_MISMATCH');
 * a differing parent timestamp is 'PARENT_TIMESTAMP_MISMATCH' unless `timestampMismatch: 'accept'`.
 */
export async function openDisk(input: DiskInput, options: OpenDiskOptions = {}): Promise<VhdDisk> {
  return openChain(input, options);
}

/** openChain's options beyond openDisk's, for this package's own operations. */
export interface ChainOpenOptions extends OpenDiskOptions {
  /**
   * The top image is a file nobody can see yet (convert's temporary image): its writes skip the fdatasyncs
   * that keep a visible image openable after a crash; `flush`/`close` still sync it before it is published.
   */
  unpublished?: boolean;
}

/** Same as openDisk, typed as the implementation (merge and convert use its internals). */
export async function openChain(input: DiskInput, options: ChainOpenOptions = {}): Promise<ChainDisk> {
  const isUrl = input instanceof URL || (typeof input === 'string' && isHttpLocation(input));
  const isPath = typeof input === 'string' && !isUrl;
  const label = typeof input === 'string' || input instanceof URL ? String(input) : sourceName(input);
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 1 || maxDepth > MAX_CHAIN_DEPTH) {
    throw chainError('OUT_OF_RANGE', `maxDepth must be an integer from 1 to ${MAX_CHAIN_DEPTH}, got ${options.maxDepth}`, label);
  }
  const writable = options.writable ?? false;
  if (writable && !isPath) throw chainError('READ_ONLY', 'only an image file can be opened for writing', label);
  const blockingReads = options.blockingReads ?? false;
  const top = await topSource(input, writable, blockingReads);
  let layers: ChainLayer[];
  try {
    layers = await openImageChain(top, {
      resolveParent: parentResolver(options, blockingReads),
      timestampMismatch: options.timestampMismatch ?? 'error',
      maxDepth,
      read: (source) => readLayer(source, source === top),
    });
  } catch (error) {
    // Sources openChain opened itself are closed; a caller's source stays the caller's.
    if (typeof input === 'string' || input instanceof URL) await top.close?.().catch(() => undefined);
    throw error instanceof VhdChainError ? chainError(error.code as VhdIoError['code'], error.message, error.childName, undefined, error.facts) : error;
  }
  try {
    const files = layers.map((layer, index) => ImageFile.fromSource(layer.source, metadataOf(layer.image, layer.source), index === 0 && writable));
    let disk: ChainDisk | undefined;
    for (let index = files.length - 1; index >= 0; index--) {
      disk = new ChainDisk(files[index]!, disk, layers[index]!.warnings, {
        syncSteps: !(index === 0 && options.unpublished),
        tableEntriesOnFlush: index === 0 && options.tableEntriesOnFlush === true,
      });
    }
    return disk!;
  } catch (error) {
    await Promise.allSettled(layers.map((layer) => layer.source.close?.()));
    throw error;
  }
}

/** The top image: a file (read-write if asked), a URL over HTTP, or the caller's bytes or source. */
async function topSource(input: DiskInput, writable: boolean, blockingReads: boolean): Promise<RandomAccessSource> {
  if (input instanceof URL) return openHttpImage(input);
  if (typeof input !== 'string') return toSource(input);
  if (isHttpLocation(input)) return openHttpImage(input);
  return FileSource.open(resolve(input), { writable, blockingReads });
}

/**
 * The top's explicit parent (OpenDiskOptions.parentPath), a caller's resolver, or the first candidate that exists:
 * a file for a file child, a URL the server serves for a URL child.
 */
function parentResolver(options: OpenDiskOptions, blockingReads: boolean): ParentResolver {
  let explicitParent = options.parentPath;
  const byLocation = locationParentResolver(fileParentResolver({ blockingReads }));
  return async (child, candidates) => {
    if (explicitParent !== undefined) {
      const location = explicitParent;
      explicitParent = undefined;
      return openSource(location, { blockingReads });
    }
    return (options.resolveParent ?? byLocation)(child, candidates);
  };
}

/**
 * Reads one image of the chain. A parent that is not a VHD is reported by its path and the kind of damage, never
 * with the decoder's error (message or cause), which quotes the bytes it found: a hostile locator may point at any
 * file (say ..\..\etc\passwd), and nothing outside the chain may leak into an error.
 */
async function readLayer(source: RandomAccessSource, isTop: boolean): Promise<VhdImage> {
  try {
    return await readImage(source, { bat: true, swapWords: swapWordsNatively });
  } catch (error) {
    const mapped = imageReadError(error, source.name, source.size, false);
    if (isTop || !(mapped instanceof VhdIoError) || mapped.code !== 'NOT_A_VHD') throw mapped;
    await source.close?.().catch(() => undefined);
    const damage = mapped.cause instanceof VhdFormatError ? mapped.cause.code : (mapped.params?.reason ?? 'NOT_A_VHD');
    throw new VhdIoError('NOT_A_VHD', `${source.name} (named as a parent) is not a VHD (${damage})`, { path: source.name });
  }
}

function toSource(input: RandomAccessSource | Uint8Array | Blob): RandomAccessSource {
  if (input instanceof Uint8Array) return bytesSource(input);
  if (typeof Blob !== 'undefined' && input instanceof Blob) return blobSource(input);
  return input as RandomAccessSource;
}

function sourceName(input: RandomAccessSource | Uint8Array | Blob): string {
  if (input instanceof Uint8Array) return 'memory';
  return 'name' in input && typeof input.name === 'string' ? input.name : 'blob';
}

/** A message when the recorded parent time and the parent's mtime differ; 0 means not recorded. */
export function timestampMismatch(recordedVhdSeconds: number, parentMtime: Date): string | undefined {
  return recordedTimeMismatch(recordedVhdSeconds, parentMtime)?.message;
}

/** A file time in VHD seconds, clamped to the u32 field (files older than 2000 give 0, as creation writes them). */
export const vhdSecondsOfMtime = vhdSecondsOfModifiedTime;
