import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import type { ImageMetadata } from './creation-api.js';

/** What resolution reads from a child's metadata (check passes what it decoded itself). */
export type ParentSearchInput = Pick<ImageMetadata, 'path' | 'header' | 'parentLocatorPaths'>;

/** Locator codes in the order they are tried: relative first (it survives moving a folder), then absolute. */
const LOCATOR_ORDER = ['W2ru', 'Wi2r', 'W2ku', 'Wi2k', 'MacX'] as const;
const RELATIVE_CODES = new Set(['W2ru', 'Wi2r']);

/** A Windows drive path ('C:\…' or 'C:/…') cannot name a file on a POSIX host. */
const DRIVE_PATH = /^[A-Za-z]:[\\/]/;

/** Turns one stored parent path into a host path, or undefined when it cannot exist here. */
function hostPath(platformCode: string, stored: string, childFolder: string): string | undefined {
  if (stored.length === 0) return undefined;
  if (platformCode === 'MacX') return isAbsolute(stored) ? stored : undefined;
  if (sep === '/' && DRIVE_PATH.test(stored)) return undefined;
  const path = sep === '/' ? stored.replaceAll('\\', '/') : stored;
  if (RELATIVE_CODES.has(platformCode)) return resolve(childFolder, path);
  return isAbsolute(path) ? resolve(path) : resolve(childFolder, path);
}

/** The last component of a name that may use either separator (Windows writes full paths there). */
function baseName(name: string): string {
  const parts = name.split(/[\\/]/);
  return parts[parts.length - 1] ?? '';
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds a differencing child's parent: W2ru (relative to the child's folder, backslashes accepted),
 * W2ku, MacX, then the header's parent name beside the child. `tried` lists the host paths checked,
 * in order. Drive-letter paths are skipped on POSIX hosts (they cannot name a file here).
 */
export async function resolveParentPath(child: ParentSearchInput): Promise<{ path: string | undefined; tried: string[] }> {
  const childFolder = dirname(child.path);
  const candidates: string[] = [];
  for (const code of LOCATOR_ORDER) {
    for (const locator of child.parentLocatorPaths) {
      if (locator.platformCode !== code) continue;
      const path = hostPath(code, locator.path, childFolder);
      if (path !== undefined) candidates.push(path);
    }
  }
  const name = baseName(child.header?.parentUnicodeName ?? '');
  if (name.length > 0 && name !== '.' && name !== '..') candidates.push(resolve(childFolder, name));
  const tried: string[] = [];
  for (const candidate of candidates) {
    if (tried.includes(candidate)) continue;
    tried.push(candidate);
    if (await isFile(candidate)) return { path: candidate, tried };
  }
  return { path: undefined, tried };
}
