import type { PathStyle } from './path-style.js';
import { pathApiFor } from './path-style.js';

/** Windows MAX_PATH counts the terminating NUL, so a usable path has at most 259 UTF-16 code units. */
export const MAX_PATH_UTF16_UNITS = 260;

/** Why a path text is refused; the facade maps each reason to one catalogue code. */
export type PathProblem =
  | { kind: 'missing' }                                   // null / undefined → E_POINTER
  | { kind: 'not-a-string' }                              // number, object… → ERROR_BAD_PATHNAME
  | { kind: 'empty' }                                     // '' → ERROR_BAD_PATHNAME
  | { kind: 'drive-relative' }                            // 'C:name' → ERROR_BAD_PATHNAME
  | { kind: 'invalid-character'; character: string; index: number } // → ERROR_INVALID_NAME
  | { kind: 'names-a-folder' }                            // C:\vms\c.vhd\, '/d/new/' → ERROR_INVALID_NAME
  | { kind: 'too-long'; lengthUtf16: number };            // → ERROR_BUFFER_OVERFLOW

// Characters Windows refuses in file names (naming-a-file rules), minus the separators handled per style.
const FORBIDDEN_EVERYWHERE = new Set(['"', '*', '?', '<', '>', '|']);

function isControlCharacter(codeUnit: number): boolean {
  return codeUnit < 0x20;
}

function isDriveLetterColon(text: string, index: number): boolean {
  return index === 1 && /^[A-Za-z]$/.test(text[0] ?? '');
}

/** The first problem of the kinds checked before resolution: missing, not a string, empty. */
export function presenceProblem(value: unknown): PathProblem | undefined {
  if (value === null || value === undefined) return { kind: 'missing' };
  if (typeof value !== 'string') return { kind: 'not-a-string' };
  if (value.length === 0) return { kind: 'empty' };
  return undefined;
}

/**
 * The first character Windows would refuse in `text` under `style`.
 * win32: `/` is invalid (Virtual PC's table), `:` only as a drive letter's. posix: `:` and `\` are invalid too —
 * `\` because Windows reads it as a separator, so a name holding it cannot survive a W2ru locator.
 */
export function invalidCharacterProblem(text: string, style: PathStyle): PathProblem | undefined {
  for (let index = 0; index < text.length; index++) {
    const character = text[index]!;
    const forbidden =
      FORBIDDEN_EVERYWHERE.has(character) ||
      isControlCharacter(text.charCodeAt(index)) ||
      (character === ':' && !(style === 'win32' && isDriveLetterColon(text, index))) ||
      (style === 'win32' ? character === '/' : character === '\\');
    if (forbidden) return { kind: 'invalid-character', character, index };
  }
  return undefined;
}

/**
 * A path that ends in a separator names a folder, never a file: Windows refuses to create or open a file through
 * `C:\vms\c.vhd\` (STATUS_OBJECT_NAME_INVALID, i.e. ERROR_INVALID_NAME). Checked on the text as given, because
 * resolution drops the trailing separator. Under win32 `/` is already an invalid character.
 */
export function namesAFolderProblem(text: string, style: PathStyle): PathProblem | undefined {
  return text.endsWith(style === 'win32' ? '\\' : '/') ? { kind: 'names-a-folder' } : undefined;
}

/** `C:name` is relative to drive C's current folder, which this API never consults. */
export function isDriveRelative(text: string, style: PathStyle): boolean {
  return style === 'win32' && /^[A-Za-z]:(?![\\])/.test(text);
}

/** True for an absolute path in the given style; drive-relative paths (`C:name`) are not absolute. */
export function isAbsolutePath(text: string, style: PathStyle): boolean {
  return pathApiFor(style).isAbsolute(text) && !isDriveRelative(text, style);
}

/** Both paths of a create-differencing call, absolute after resolution. */
export interface ResolvedPair {
  imagePath: string;
  parentPath: string;
}

/**
 * Resolves a relative path against the folder of the OTHER (absolute) path, never against `process.cwd()`:
 * ('diffs/child.vhd', '/vms/base.vhd') → '/vms/diffs/child.vhd'; ('/vms/child.vhd', '../base/base.vhd') → '/base/base.vhd'.
 * Both absolute: each is normalised. The caller has already refused "both relative".
 */
export function resolvePair(imagePath: string, parentPath: string, style: PathStyle): ResolvedPair {
  const api = pathApiFor(style);
  const imageAbsolute = isAbsolutePath(imagePath, style);
  const parentAbsolute = isAbsolutePath(parentPath, style);
  if (!imageAbsolute && !parentAbsolute) throw new RangeError('resolvePair needs at least one absolute path');
  const parent = parentAbsolute ? api.resolve(parentPath) : api.resolve(api.dirname(api.resolve(imagePath)), parentPath);
  const image = imageAbsolute ? api.resolve(imagePath) : api.resolve(api.dirname(parent), imagePath);
  return { imagePath: image, parentPath: parent };
}

export function lengthProblem(resolvedPath: string): PathProblem | undefined {
  return resolvedPath.length >= MAX_PATH_UTF16_UNITS ? { kind: 'too-long', lengthUtf16: resolvedPath.length } : undefined;
}
