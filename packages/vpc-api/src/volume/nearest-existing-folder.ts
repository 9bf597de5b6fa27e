import { lstat, stat } from 'node:fs/promises';
import path from 'node:path';

export type AncestorScan =
  | { kind: 'folder'; folder: string; missing: string[] }   // missing: folders to create, outermost first
  | { kind: 'blocked-by-file'; file: string };              // a component exists and is not a folder

/**
 * Walks up from `folder` to the nearest ancestor that exists. Returns it with the missing folders below it, or the
 * component that is a file (then the image folder cannot be created: ERROR_PATH_NOT_FOUND).
 */
export async function scanAncestors(folder: string): Promise<AncestorScan> {
  const missing: string[] = [];
  let current = folder;
  for (;;) {
    const stats = await statOrUndefined(current);
    if (stats !== undefined) {
      if (!stats.isDirectory()) return { kind: 'blocked-by-file', file: current };
      return { kind: 'folder', folder: current, missing };
    }
    const parent = path.dirname(current);
    if (parent === current) return { kind: 'folder', folder: current, missing };
    missing.unshift(current); // outermost first
    current = parent;
  }
}

async function statOrUndefined(target: string) {
  try {
    return await stat(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      // A dangling symlink is "something exists here" — treat it as a blocking non-folder.
      try {
        return await lstat(target);
      } catch {
        return undefined;
      }
    }
    if (code === 'ENOTDIR') return undefined; // an ancestor is a file; found when the walk reaches it
    throw error;
  }
}
