import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isUrlName, parentCandidates } from '@vhdkit/vhd-format';
import type { ParentResolver } from '@vhdkit/vhd-format';
import type { ImageMetadata } from './creation-api.js';
import { FileSource } from '../file-source.js';
import { isSameOrigin, openHttpImage } from '../source-location.js';

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

/** Whether the server serves `url` with ranges (opened, then closed). */
async function isServed(url: string): Promise<boolean> {
  try {
    await (await openHttpImage(url)).close?.();
    return true;
  } catch {
    return false;
  }
}

/** A URL-named child's parent: the first candidate (relative to the child's URL, on its server) that the server serves. */
async function resolveParentUrl(child: ParentSearchInput): Promise<{ path: string | undefined; tried: string[] }> {
  const tried: string[] = [];
  for (const candidate of parentCandidates(child, child.path)) {
    if (!isSameOrigin(candidate.location, child.path) || tried.includes(candidate.location)) continue;
    tried.push(candidate.location);
    if (await isServed(candidate.location)) return { path: candidate.location, tried };
  }
  return { path: undefined, tried };
}

/**
 * Finds a differencing child's parent among vhd-format's candidates (W2ru relative to the child's folder, W2ku,
 * MacX, then the header's parent name beside the child). `tried` lists the host paths checked, in order.
 * Drive-letter paths are skipped on POSIX hosts (they cannot name a file here). For a child read over HTTP (its
 * `path` is a URL) the candidates are URLs relative to it, and `path` is the first one the server serves.
 */
export async function resolveParentPath(child: ParentSearchInput): Promise<{ path: string | undefined; tried: string[] }> {
  if (isUrlName(child.path)) return resolveParentUrl(child);
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
