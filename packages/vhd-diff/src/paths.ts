import { posix, win32 } from 'node:path';

/**
 * Paths as the W2ku/W2ru parent locators hold them (docs/format.md#parent-locators).
 *
 * A path is read as a Windows path when it looks like one (`C:\…`, `C:/…`, `\\server\share\…`) or when running on
 * Windows; otherwise as a POSIX path. POSIX paths are written with `\` as the separator (`/srv/vm/p.vhd` →
 * `\srv\vm\p.vhd`): that is the Windows form of a rooted path, and readers that turn `\` back into `/` (as docs/format.md#locator-resolution
 * asks resolvers to) get the original path again. A POSIX name that itself contains `\` could not be read back, so such
 * paths are refused by `locatorPathProblem`.
 */

const WINDOWS_ABSOLUTE = /^(?:[A-Za-z]:[\\/]|\\\\)/;

type PathFlavour = 'win32' | 'posix';

function flavourOf(path: string): PathFlavour {
  return process.platform === 'win32' || WINDOWS_ABSOLUTE.test(path) ? 'win32' : 'posix';
}

/** The absolute path for the W2ku locator: Windows paths normalised, POSIX paths resolved with `\` separators. */
export function windowsAbsolutePath(path: string): string {
  if (flavourOf(path) === 'win32') return win32.resolve(path);
  return posix.resolve(path).split('/').join('\\');
}

/**
 * The W2ru locator path of `toFile` relative to the folder `fromFolder`, as Windows writes it: `.\p.vhd`,
 * `.\sub\p.vhd`, `..\base\p.vhd`. Undefined when no relative path exists (different drive letters or UNC shares,
 * or one Windows and one POSIX path).
 */
export function windowsRelativePath(fromFolder: string, toFile: string): string | undefined {
  const flavour = flavourOf(fromFolder);
  if (flavourOf(toFile) !== flavour) return undefined;
  let relative: string;
  if (flavour === 'win32') {
    const from = win32.resolve(fromFolder);
    const to = win32.resolve(toFile);
    // Different drive letters or UNC shares: no relative path (win32.relative would climb across shares).
    if (windowsRoot(from) !== windowsRoot(to)) return undefined;
    relative = win32.relative(from, to);
    if (relative === '' || win32.isAbsolute(relative)) return undefined;
  } else {
    relative = posix.relative(posix.resolve(fromFolder), posix.resolve(toFile));
    if (relative === '') return undefined;
    relative = relative.split('/').join('\\');
  }
  return relative === '..' || relative.startsWith('..\\') ? relative : `.\\${relative}`;
}

/** `C:` or `\\server\share`, compared case-insensitively as Windows does. */
function windowsRoot(path: string): string {
  return win32.parse(path).root.replace(/[\\/]+$/, '').toLowerCase();
}

/** Path operations for the path's own flavour (so Windows paths work the same on any platform). */
export function pathApiFor(path: string): typeof win32 {
  return flavourOf(path) === 'win32' ? win32 : posix;
}

/** Why `path` cannot be written into a Windows locator, or undefined when it can. */
export function locatorPathProblem(path: string): string | undefined {
  if (flavourOf(path) === 'posix' && path.includes('\\')) {
    return `the path ${path} contains '\\', which a Windows parent locator would read as a folder separator`;
  }
  return undefined;
}
