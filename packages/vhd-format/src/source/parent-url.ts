/**
 * The one rule for where a differencing child served over a URL finds its parent. A locator stores a Windows file
 * path, never URL text, so:
 * - only a relative path (W2ru/Wi2r, e.g. `.\parent.vhd`, `..\base\parent.vhd`, or the header's parent name) maps
 *   to a URL: backslashes (and slashes) separate segments, `.` and `..` move as in a folder (never above the
 *   server's root), and every other segment is percent-encoded whole, so a space, `%`, `#` or `?` stays part of
 *   the file name (`..\base%20disk.vhd` names the file `base%20disk.vhd`, URL `…/base%2520disk.vhd`);
 * - an absolute path (a drive `C:\…` or `C:…`, a share `\\server\share\…`, a rooted `\…` or `/…`) names the
 *   writer's own disks and maps to nothing: a URL child's parent is never looked for on another origin or in
 *   `file:`. Each segment's encoding keeps the result on the child's origin whatever the locator holds.
 */

/** A drive-letter path (`C:\…`, `C:…`), a UNC path (`\\server\share`) or a rooted one: not relative to the child. */
function isAbsoluteWindowsPath(path: string): boolean {
  return /^[A-Za-z]:/.test(path) || path.startsWith('\\') || path.startsWith('/');
}

/**
 * The parent's absolute URL on the child's origin, or undefined when `locatorPath` is absolute, empty, or names a
 * folder rather than a file (it ends in `.`, `..` or a separator).
 */
export function parentUrl(childUrl: string, locatorPath: string): string | undefined {
  if (locatorPath === '' || isAbsoluteWindowsPath(locatorPath)) return undefined;
  const segments = locatorPath.split(/[\\/]+/);
  const last = segments.at(-1);
  if (last === '' || last === '.' || last === '..') return undefined;
  const encoded = segments.map((segment) => (segment === '.' || segment === '..' ? segment : encodeURIComponent(segment)));
  let url: URL;
  try {
    url = new URL(encoded.join('/'), childUrl);
  } catch {
    return undefined;
  }
  return url.origin === new URL(childUrl).origin ? url.href : undefined;
}
