import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { SECTOR_SIZE, uniqueIdToString } from '@vhdkit/vhd-format';
import { throwIfAborted } from './creation-api.js';
import { chainError, withIo } from './errors.js';
import { readFully } from './file-io.js';
import { openChain } from './open-disk.js';
import { contiguousGroups, ownRuns } from './own-runs.js';
import type { MergeResult, ProgressOptions } from './types.js';

/** Child sectors are copied in groups of up to this many bytes (new parent blocks are then appended together). */
const MERGE_GROUP_BYTES = 32 * 1024 * 1024;

/** Written beside the child before the parent is first touched; says "this child is being merged". */
interface MergeJournal {
  kind: 'vhdkit-merge';
  version: 1;
  childPath: string;
  childUniqueId: string;
  parentPath: string;
  parentUniqueId: string;
}

export function mergeJournalPath(childPath: string): string {
  return `${resolve(childPath)}.merge-journal`;
}

/**
 * Commits a differencing child into its parent, copying only the sectors the child's bitmaps mark,
 * so parent data under unmarked sectors survives. Then the child is deleted (as Hyper-V's "merge into
 * parent" does): its content now lives in the parent, and the parent's new modification time would
 * break the child's recorded parent timestamp anyway.
 *
 * Resumable. The copy is idempotent (it writes the child's bytes at their own offsets; re-running
 * writes the same bytes, and the parent places new blocks deterministically), so the only state kept
 * is a journal, `<child>.merge-journal`, written before the parent is touched and removed last:
 *   journal → copy → fsync parent → delete child → delete journal.
 * Re-running with a journal present accepts the parent's changed timestamp (the ids must still match);
 * a journal without a child means the merge had finished and only the cleanup is left.
 * An abort (signal) stops between groups, leaving the same resumable state as a crash.
 * `timestampMismatch: 'accept'` merges a child whose parent changed since (default: refuse, like opening).
 */
export async function merge(childPath: string, options: ProgressOptions & { timestampMismatch?: 'error' | 'accept' } = {}): Promise<MergeResult> {
  const child = resolve(childPath);
  const journalPath = mergeJournalPath(child);
  const journal = await readJournal(journalPath);
  if (journal && !(await exists(child))) {
    await withIo(journalPath, () => unlink(journalPath));
    return { childPath: child, parentPath: journal.parentPath, sectorsCopied: 0, bytesCopied: 0 };
  }
  throwIfAborted(options.signal, child);
  const childDisk = await openChain(child, { timestampMismatch: journal ? 'accept' : (options.timestampMismatch ?? 'error') });
  let result: MergeResult;
  try {
    const parentDisk = childDisk.parent;
    if (childDisk.diskType !== 'differencing' || !parentDisk) {
      throw chainError('UNSUPPORTED', `only a differencing image can be merged into its parent; this one is ${childDisk.diskType}`, child, undefined, {
        reason: 'not-differencing', operation: 'merge', path: child, diskType: childDisk.diskType,
      });
    }
    const expected: MergeJournal = {
      kind: 'vhdkit-merge',
      version: 1,
      childPath: child,
      childUniqueId: uniqueIdToString(childDisk.metadata.footer.uniqueId),
      parentPath: parentDisk.path,
      parentUniqueId: uniqueIdToString(parentDisk.metadata.footer.uniqueId),
    };
    if (journal && (journal.childUniqueId !== expected.childUniqueId || journal.parentUniqueId !== expected.parentUniqueId)) {
      throw chainError('CORRUPT', `${journalPath} belongs to another merge (child ${journal.childUniqueId}, parent ${journal.parentUniqueId})`, child);
    }
    const runs = await ownRuns(childDisk.file);
    const totalBytes = runs.reduce((sum, run) => sum + run.length, 0);
    if (!journal) await writeJournal(journalPath, expected);

    const parent = await openChain(parentDisk.path, { writable: true, timestampMismatch: options.timestampMismatch ?? 'error' });
    let bytesWritten = 0;
    try {
      options.onProgress?.({ bytesWritten, totalBytes });
      const buffer = new Uint8Array(Math.min(MERGE_GROUP_BYTES, Math.max(totalBytes, SECTOR_SIZE)) + (childDisk.blockSize ?? 0));
      for (const group of contiguousGroups(runs, MERGE_GROUP_BYTES)) {
        throwIfAborted(options.signal, child);
        let filled = 0;
        for (const run of group) {
          await withIo(child, () => readFully(childDisk.file.handle, buffer.subarray(filled, filled + run.length), run.fileOffset));
          filled += run.length;
        }
        await parent.write(buffer.subarray(0, filled), group[0]!.virtualOffset);
        bytesWritten += filled;
        options.onProgress?.({ bytesWritten, totalBytes });
      }
      await parent.flush();
    } finally {
      await parent.close();
    }
    result = { childPath: child, parentPath: parentDisk.path, sectorsCopied: totalBytes / SECTOR_SIZE, bytesCopied: totalBytes };
  } finally {
    await childDisk.close();
  }
  await withIo(child, () => unlink(child));
  await syncFolder(dirname(child));
  await withIo(journalPath, () => unlink(journalPath));
  return result;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readJournal(path: string): Promise<MergeJournal | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw chainError('IO', `cannot read the merge journal ${path}`, path, error);
  }
  try {
    const journal = JSON.parse(text) as MergeJournal;
    if (journal.kind === 'vhdkit-merge' && journal.version === 1) return journal;
  } catch {
    // fall through: a journal we cannot read is reported below, never guessed at
  }
  throw chainError('CORRUPT', `${path} is not a merge journal this toolkit wrote`, path);
}

/** Written to a temporary name, synced, then renamed: a journal is either complete or absent. */
async function writeJournal(path: string, journal: MergeJournal): Promise<void> {
  const temporary = `${path}.tmp`;
  await withIo(path, async () => {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(JSON.stringify(journal, null, 2));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  });
  await syncFolder(dirname(path));
}

async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Folders cannot be synced everywhere (Windows, some network file systems); the data files were.
  }
}
