import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';

/**
 * Names of the temporary files creation and convert write before publishing, and the clean-up of those a killed
 * process left behind. An unnamed O_TMPFILE file would leave nothing, but giving it a name needs linkat with
 * AT_SYMLINK_FOLLOW on /proc/self/fd/N (or CAP_DAC_READ_SEARCH for AT_EMPTY_PATH), which Node does not offer: its
 * link() does not follow that magic link. So each name carries its owner (host tag and pid), and the next creation
 * in the same folder removes those whose owner is gone.
 */

/** `.name.vhd.<host>-<pid>.<random>.tmp`: hidden, unique, recognisably ours and naming its owner. */
const TEMPORARY_NAME = /^\..+\.([0-9a-f]{8})-(\d+)\.[0-9a-f]{12}\.tmp$/;

/** 8 hex digits of the host name's hash: a pid means something only on the host that made the file. */
const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

export function temporaryPathFor(destinationPath: string): string {
  const name = basename(destinationPath).slice(0, 100);
  return join(dirname(destinationPath), `.${name}.${HOST_TAG}-${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Whether a process with this pid exists on this host (EPERM: it exists but belongs to someone else). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files in `folder` whose owner process is gone: named by this host, a pid that no longer
 * runs, a regular file (never a link or folder). Best effort: a file that cannot be examined or removed is left, and
 * nothing here fails the creation that asked. Returns the names removed.
 */
export async function removeStaleTemporaries(folder: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(folder);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = TEMPORARY_NAME.exec(name);
    if (match === null || match[1] !== HOST_TAG) continue;
    const pid = Number(match[2]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || processExists(pid)) continue;
    const path = join(folder, name);
    try {
      if (!(await fs.lstat(path)).isFile()) continue;
      await fs.unlink(path);
      removed.push(name);
    } catch {
      // Gone already, or not ours to remove: leave it.
    }
  }
  return removed;
}
