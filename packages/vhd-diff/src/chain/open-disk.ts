import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { VHD_EPOCH_UNIX_SECONDS, uniqueIdToString, uniqueIdsEqual } from '@vhdkit/vhd-format';
import { readImageMetadata } from './creation-api.js';
import type { ImageMetadata } from './creation-api.js';
import { ChainDisk } from './disk.js';
import { chainError, withIo } from './errors.js';
import { ImageFile } from './image-file.js';
import { requireUsableGeometry } from './geometry-guard.js';
import { MAX_CHAIN_DEPTH } from './chain-depth.js';
import { resolveParentPath } from './resolve-parent.js';
import { readParentMetadata } from './parent-metadata.js';
import type { OpenDiskOptions, VhdDisk } from './types.js';

/** openDisk's default maxDepth: the one chain depth limit (creation and check apply it too). */
export const DEFAULT_MAX_DEPTH = MAX_CHAIN_DEPTH;

interface ChainOptions {
  timestampMismatch: 'error' | 'accept';
  maxDepth: number;
}

/**
 * Opens an image and its whole chain. Only the top image can be writable; parents are opened
 * read-only. Each parent's unique id must equal the child's recorded parent id ('PARENT_MISMATCH');
 * a differing parent timestamp is 'PARENT_TIMESTAMP_MISMATCH' unless `timestampMismatch: 'accept'`.
 */
export async function openDisk(path: string, options: OpenDiskOptions = {}): Promise<VhdDisk> {
  return openChain(path, options);
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
export async function openChain(path: string, options: ChainOpenOptions = {}): Promise<ChainDisk> {
  const chainOptions: ChainOptions = {
    timestampMismatch: options.timestampMismatch ?? 'error',
    maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
  };
  if (!Number.isSafeInteger(chainOptions.maxDepth) || chainOptions.maxDepth < 1) {
    throw chainError('OUT_OF_RANGE', `maxDepth must be a positive integer, got ${options.maxDepth}`, path);
  }
  // Open from the top down, then build the ChainDisk objects from the bottom up.
  const files: ImageFile[] = [];
  const warnings: string[][] = [];
  const seen = new Set<string>();
  try {
    let nextPath: string | undefined = resolve(path);
    let explicitParent = options.parentPath === undefined ? undefined : resolve(options.parentPath);
    let writable = options.writable ?? false;
    let known: ImageMetadata | undefined;
    while (nextPath !== undefined) {
      const identity = await withIo(nextPath, () => realpath(nextPath!));
      if (seen.has(identity)) throw chainError('CHAIN_LOOP', `the chain comes back to ${nextPath}`, nextPath, undefined, { reason: 'chain-loop', path: nextPath });
      seen.add(identity);
      if (files.length >= chainOptions.maxDepth) {
        throw chainError('CHAIN_TOO_DEEP', `the chain has more than ${chainOptions.maxDepth} images`, nextPath, undefined, { reason: 'chain-too-deep', maxDepth: chainOptions.maxDepth });
      }
      known ??= await readImageMetadata(nextPath, { bat: true });
      // Before any block arithmetic: a nonsensical block size would make every offset computed from it wrong.
      requireUsableGeometry(known);
      const file = await ImageFile.open(nextPath, writable, known, options.blockingReads ?? false);
      files.push(file);
      const fileWarnings = file.metadata.problems.map((problem) => `${file.path}: ${problem.message}`);
      warnings.push(fileWarnings);
      writable = false;
      if (file.diskType !== 'differencing') break;
      const parentPath = explicitParent ?? (await findParent(file.metadata));
      explicitParent = undefined;
      known = await verifyParent(file.metadata, parentPath, chainOptions, fileWarnings);
      nextPath = parentPath;
    }
  } catch (error) {
    await Promise.allSettled(files.map((file) => file.close()));
    throw error;
  }
  let disk: ChainDisk | undefined;
  for (let index = files.length - 1; index >= 0; index--) {
    disk = new ChainDisk(files[index]!, disk, warnings[index]!, { syncSteps: !(index === 0 && options.unpublished) });
  }
  return disk!;
}

async function findParent(child: ImageMetadata): Promise<string> {
  const { path, tried } = await resolveParentPath(child);
  if (path !== undefined) return path;
  const name = child.header?.parentUnicodeName ?? '';
  throw chainError('PARENT_NOT_FOUND', `parent '${name}' not found (tried: ${tried.join(', ') || 'no usable locator'})`, child.path, undefined, {
    reason: 'parent-not-found', name, tried: tried.join(', '),
  });
}

/** Unique id must match; the timestamp is compared with the parent file's mtime (0 = not recorded). Returns the parent's metadata. */
async function verifyParent(child: ImageMetadata, parentPath: string, options: ChainOptions, warnings: string[]): Promise<ImageMetadata> {
  const header = child.header!;
  const parent = await readParentMetadata(parentPath, child.path, { bat: true });
  if (!uniqueIdsEqual(parent.footer.uniqueId, header.parentUniqueId)) {
    throw chainError(
      'PARENT_MISMATCH',
      `${parentPath} has unique id ${uniqueIdToString(parent.footer.uniqueId)} but ${child.path} expects its parent to be ${uniqueIdToString(header.parentUniqueId)}`,
      child.path,
      undefined,
      { reason: 'parent-id', parentPath, parentId: uniqueIdToString(parent.footer.uniqueId), childPath: child.path, expectedId: uniqueIdToString(header.parentUniqueId) },
    );
  }
  if (parent.footer.currentSize !== child.footer.currentSize) {
    warnings.push(`${child.path}: parent ${parentPath} is ${parent.footer.currentSize} bytes, the child ${child.footer.currentSize}`);
  }
  const mismatch = timestampMismatch(header.parentTimestamp, parent.mtime);
  if (mismatch !== undefined) {
    if (options.timestampMismatch === 'error') {
      throw chainError('PARENT_TIMESTAMP_MISMATCH', `${mismatch} (${parentPath})`, child.path, undefined, {
        reason: 'parent-timestamp', parentPath, recorded: header.parentTimestamp, actual: vhdSecondsOfMtime(parent.mtime),
      });
    }
    warnings.push(`${child.path}: ${mismatch}; accepted`);
  }
  return parent;
}

/** A message when the recorded parent time and the parent's mtime differ; 0 means not recorded. */
export function timestampMismatch(recordedVhdSeconds: number, parentMtime: Date): string | undefined {
  if (recordedVhdSeconds === 0) return undefined;
  const actual = vhdSecondsOfMtime(parentMtime);
  if (actual === recordedVhdSeconds) return undefined;
  return `parent timestamp ${recordedVhdSeconds} recorded in the child differs from the parent's modification time ${actual} (VHD seconds)`;
}

/** A file time in VHD seconds, clamped to the u32 field (files older than 2000 give 0, as creation writes them). */
export function vhdSecondsOfMtime(mtime: Date): number {
  return Math.min(Math.max(Math.floor(mtime.getTime() / 1000) - VHD_EPOCH_UNIX_SECONDS, 0), 0xffff_ffff);
}
