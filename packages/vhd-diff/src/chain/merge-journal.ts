import { open, readFile, rename, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { chainError, withIo } from './errors.js';
import { syncFolder } from '../publish.js';

/**
 * The parent file as a merge found it just before its first write: which file (device and inode, as decimal
 * strings since they may pass 2^53) and its state (size, modification time in ns). A later run tells from it
 * whether the parent changed since a merge started writing into it.
 */
export interface ParentState {
  device: string;
  inode: string;
  size: string;
  mtimeNs: string;
}

/**
 * Written beside the child just before the parent is first written; says "this child is being merged into this
 * parent, which was in this state". Version 1 journals (no parent state) no longer excuse a changed parent.
 */
export interface MergeJournal {
  kind: 'vhdkit-merge';
  version: 2;
  childPath: string;
  childUniqueId: string;
  parentPath: string;
  parentUniqueId: string;
  parentBefore: ParentState;
}

export function mergeJournalPath(childPath: string): string {
  return `${resolve(childPath)}.merge-journal`;
}

/** The parent's identity and state now (undefined when it cannot be read: nothing is excused then). */
export async function parentState(path: string): Promise<ParentState | undefined> {
  try {
    const stats = await stat(path, { bigint: true });
    return { device: String(stats.dev), inode: String(stats.ino), size: String(stats.size), mtimeNs: String(stats.mtimeNs) };
  } catch {
    return undefined;
  }
}

/**
 * Whether a journal excuses the parent's changed modification time: only when it is the same file the interrupted
 * merge recorded (same device and inode) and that file changed since the record (the merge had begun writing it).
 * A parent unchanged since the record, replaced by another file, or a journal without a record excuses nothing:
 * the usual timestamp rule (VM_E_PARENT_MODIFIED) applies.
 */
export async function journalExcusesParentChange(journal: MergeJournal | LegacyJournal): Promise<boolean> {
  if (journal.version !== 2) return false;
  const now = await parentState(journal.parentPath);
  const before = journal.parentBefore;
  if (now === undefined || now.device !== before.device || now.inode !== before.inode) return false;
  return now.size !== before.size || now.mtimeNs !== before.mtimeNs;
}

/** A journal written before journals recorded the parent's state. */
export interface LegacyJournal extends Omit<MergeJournal, 'version' | 'parentBefore'> {
  version: 1;
}

export async function readJournal(path: string): Promise<MergeJournal | LegacyJournal | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw chainError('IO', `cannot read the merge journal ${path}`, path, error);
  }
  try {
    const journal = JSON.parse(text) as MergeJournal | LegacyJournal;
    if (journal.kind === 'vhdkit-merge' && (journal.version === 1 || (journal.version === 2 && isParentState(journal.parentBefore)))) return journal;
  } catch {
    // fall through: a journal we cannot read is reported below, never guessed at
  }
  throw chainError('CORRUPT', `${path} is not a merge journal this toolkit wrote`, path);
}

function isParentState(value: unknown): value is ParentState {
  const state = value as Partial<ParentState> | null;
  return typeof state === 'object' && state !== null && ['device', 'inode', 'size', 'mtimeNs'].every((key) => typeof state[key as keyof ParentState] === 'string');
}

/** Written to a temporary name, synced, then renamed: a journal is either complete or absent. */
export async function writeJournal(path: string, journal: MergeJournal): Promise<void> {
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
  await syncFolderQuietly(dirname(path));
}

/**
 * Makes a folder's new or removed entries durable, as merge always has: best effort, never failing the merge
 * (syncFolder skips platforms that cannot sync a folder; any other failure is let go too, the files themselves
 * were synced).
 */
export async function syncFolderQuietly(folder: string): Promise<void> {
  await syncFolder(folder).catch(() => undefined);
}
