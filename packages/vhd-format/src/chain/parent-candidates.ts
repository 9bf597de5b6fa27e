/**
 * Where a differencing child's parent may be, in the order readers try them: relative locators first (they survive
 * moving a folder), then absolute ones, then the header's parent name beside the child. Relative paths resolve
 * against the child's name: its folder for a file path, the child's URL for a URL (parentUrl's rule).
 * Pure string work, no I/O: a ParentResolver decides which candidate exists.
 */
import type { VhdImage } from '../image/read-image.js';
import { parentUrl } from '../source/parent-url.js';

/** One place to look for a parent. */
export interface ParentCandidate {
  /** The locator's platform code, or 'name' for the header's parent unicode name. */
  from: string;
  /** An absolute POSIX path, a Windows path (for a Windows child name) or an absolute URL. */
  location: string;
}

/** Locator codes in the order they are tried. */
const LOCATOR_ORDER = ['W2ru', 'Wi2r', 'W2ku', 'Wi2k', 'MacX'] as const;
const RELATIVE_CODES: ReadonlySet<string> = new Set(['W2ru', 'Wi2r']);
const DRIVE_PATH = /^[A-Za-z]:[\\/]/;
const URL_NAME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** Whether a source name is a URL (http, https, file…) rather than a file path. */
export function isUrlName(name: string): boolean {
  return URL_NAME.test(name) && !DRIVE_PATH.test(name);
}

/** The candidates for `child` (named `childName`), without duplicates. */
export function parentCandidates(child: Pick<VhdImage, 'header' | 'parentLocatorPaths'>, childName: string): ParentCandidate[] {
  const resolve = isUrlName(childName) ? urlResolver(childName) : pathResolver(childName);
  const candidates: ParentCandidate[] = [];
  const add = (from: string, location: string | undefined): void => {
    if (location !== undefined && !candidates.some((candidate) => candidate.location === location)) candidates.push({ from, location });
  };
  for (const code of LOCATOR_ORDER) {
    for (const locator of child.parentLocatorPaths) {
      if (locator.platformCode === code && locator.path.length > 0) add(code, resolve(code, locator.path));
    }
  }
  const name = baseName(child.header?.parentUnicodeName ?? '');
  if (name.length > 0 && name !== '.' && name !== '..') add('name', resolve('W2ru', name));
  return candidates;
}

type Resolve = (platformCode: string, stored: string) => string | undefined;

/** Against a URL: relative locators and the name follow parentUrl's rule; absolute ones name the writer's own disks. */
function urlResolver(childUrl: string): Resolve {
  return (platformCode, stored) => (RELATIVE_CODES.has(platformCode) ? parentUrl(childUrl, stored) : undefined);
}

/** Against a file path: POSIX names take POSIX and relative locators; a drive-letter child also takes drive paths. */
function pathResolver(childPath: string): Resolve {
  const windowsChild = DRIVE_PATH.test(childPath);
  const folder = parentFolder(childPath.replaceAll('\\', '/'));
  return (platformCode, stored) => {
    if (platformCode === 'MacX') return stored.startsWith('/') ? normalize(stored) : undefined;
    const path = stored.replaceAll('\\', '/');
    if (DRIVE_PATH.test(path)) return windowsChild ? normalize(path) : undefined;
    if (!RELATIVE_CODES.has(platformCode) && path.startsWith('/')) return normalize(path);
    return normalize(`${folder}/${path}`);
  };
}

function parentFolder(path: string): string {
  const cut = path.lastIndexOf('/');
  if (cut < 0) return '.';
  return cut === 0 ? '' : path.slice(0, cut);
}

/** Removes '.', '..' and doubled separators ('..' never climbs above the root or the drive). */
function normalize(path: string): string {
  const drive = DRIVE_PATH.test(path) ? path.slice(0, 2) : '';
  const rest = path.slice(drive.length);
  const absolute = rest.startsWith('/');
  const parts: string[] = [];
  for (const part of rest.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..') parts.push(part);
    else if (parts.length > 0 && parts.at(-1) !== '..') parts.pop();
    else if (!absolute) parts.push(part);
  }
  return `${drive}${absolute ? '/' : ''}${parts.join('/')}`;
}

/** The last component of a name that may use either separator (Windows writes full paths there). */
function baseName(name: string): string {
  const parts = name.split(/[\\/]/);
  return parts[parts.length - 1] ?? '';
}
