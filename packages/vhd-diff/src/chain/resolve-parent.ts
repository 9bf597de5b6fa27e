import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isUrlName, parentCandidates } from '@vhdkit/vhd-format';
import type { ParentResolver } from '@vhdkit/vhd-format';
import type { ImageMetadata } from './creation-api.js';
import { FileSource } from '../file-source.js';

/** What resolution reads from a child's metadata (check passes what it decoded itself). */
export type ParentSearchInput = Pick<ImageMetadata, 'path' | 'header' | 'parentLocatorPaths'>;

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The first of `paths` that is a regular file. */
export async function firstExistingFile(paths: readonly string[]): Promise<string | undefined> {
  for (const path of paths) if (await isFile(path)) return path;
  return undefined;
}

/**
 * Finds a differencing child's parent among vhd-format's candidates (W2ru relative to the child's folder, W2ku,
 * MacX, then the header's parent name beside the child). `tried` lists the host paths checked, in order.
 * Drive-letter paths are skipped on POSIX hosts (they cannot name a file here).
 */
export async function resolveParentPath(child: ParentSearchInput): Promise<{ path: string | undefined; tried: string[] }> {
  const tried: string[] = [];
  for (const candidate of parentCandidates(child, resolve(child.path))) {
    const path = resolve(candidate.location);
    if (tried.includes(path)) continue;
    tried.push(path);
    if (await isFile(path)) return { path, tried };
  }
  return { path: undefined, tried };
}

/** Parents as files: the first candidate that is a regular file, opened read-only (none for a URL-named child). */
export function fileParentResolver(options: { blockingReads?: boolean } = {}): ParentResolver {
  return async (child, candidates) => {
    if (isUrlName(child.source.name)) return undefined;
    const path = await firstExistingFile(candidates.map((candidate) => resolve(candidate.location)));
    return path === undefined ? undefined : FileSource.open(path, options);
  };
}
