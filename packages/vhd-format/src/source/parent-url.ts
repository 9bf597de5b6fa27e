/**
 * Where a differencing child served over HTTP finds its parent: the child's relative locator path (W2ru/Wi2r,
 * e.g. `.\parent.vhd` or `..\base\parent.vhd`) resolved against the child's URL, as a file's relative locator
 * resolves against the child's folder.
 */

/** A drive-letter path (`C:\…`, `C:/…`), a UNC path (`\\server\share`) or a rooted one: not relative to the child. */
function isAbsoluteWindowsPath(path: string): boolean {
  return /^[A-Za-z]:/.test(path) || path.startsWith('\\') || path.startsWith('/');
}

/**
 * The parent's absolute URL, or undefined when `locatorPath` is absolute (a Windows drive or share means nothing
 * to a web server) or empty. Each path segment is percent-encoded, so spaces, `#` and `?` stay part of the name.
 */
export function parentUrl(childUrl: string, locatorPath: string): string | undefined {
  if (locatorPath === '' || isAbsoluteWindowsPath(locatorPath)) return undefined;
  const segments = locatorPath.split(/[\\/]+/).map((segment) => (segment === '.' || segment === '..' ? segment : encodeURIComponent(segment)));
  return new URL(segments.join('/'), childUrl).href;
}
