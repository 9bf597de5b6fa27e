import path from 'node:path';

/**
 * How paths are spelled. `win32`: `\` separates, drive letters (`C:`) and UNC roots are roots, `/` is an invalid
 * character (as in the Virtual PC table). `posix`: `/` separates; characters Windows forbids stay forbidden so images
 * and their parent locators remain usable on Windows.
 */
export type PathStyle = 'win32' | 'posix';

/** The host's path style: 'win32' on Windows, else 'posix'. */
export function defaultPathStyle(): PathStyle {
  return process.platform === 'win32' ? 'win32' : 'posix';
}

/**
 * The `node:path` flavour for a style; never consults `process.cwd()` in this package (only absolute inputs). Typed
 * as `typeof path.posix` (both flavours share it) because newer @types/node no longer exports `path.PlatformPath`.
 */
export function pathApiFor(style: PathStyle): typeof path.posix {
  return style === 'win32' ? path.win32 : path.posix;
}
