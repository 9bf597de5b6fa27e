import { stat, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { SECTOR_SIZE, uniqueIdToString } from '@vhdkit/vhd-format';
import { throwIfAborted } from './creation-api.js';
import { chainError, withIo } from './errors.js';
import { readFully } from '../file-io.js';
import { journalExcusesParentChange, mergeJournalPath, parentState, readJournal, syncFolderQuietly, writeJournal } from './merge-journal.js';
import type { MergeJournal } from './merge-journal.js';
import { openChain } from './open-disk.js';
import { ownRuns, runBatches } from './own-runs.js';
import type { OwnRun } from './own-runs.js';
import type { ChainDisk } from './disk.js';
import type { WritePiece } from './block-writer.js';
import type { ImageFile } from './image-file.js';
import type { MergeResult, ProgressOptions } from './types.js';

/**
 * Child sectors are copied in groups of up to this many bytes (two buffers of it: bounded memory, see bench case 6):
 * one batch of reads, then one batch of parent writes (new parent blocks appended together, bitmap bits after one
 * fdatasync).
 */
const MERGE_GROUP_BYTES = 16 * 1024 * 1024;

/**
 * Runs apart from each other share a group until it holds this many bytes: a group costs a round trip of reads and
 * writes (and an fdatasync before new bitmap bits), which thousands of small scattered runs must share, while a merge
 * of a few large runs still reaches the parent group by group.
 */
const GATHER_SCATTERED_BYTES = 1024 * 1024;

/**
 * After this many bytes written, the parent's writeback is started (an fdatasync in the background) while the copy
 * goes on, so the final fsync does not write the whole merge to disk after the copy.
 */
const EARLY_WRITEBACK_BYTES = 128 * 1024 * 1024;

/** Child bitmaps are loaded this many blocks at a time (bounded concurrency and memory for huge disks). */
const BITMAP_PREFETCH_BLOCKS = 1024;

/** Child runs read concurrently within a group (a group may hold thousands of small runs). */
const READS_IN_FLIGHT = 8;

/**
 * Commits a differencing child into its parent, copying only the sectors the child's bitmaps mark,
 * so parent data under unmarked sectors survives. Then the child is deleted (as Hyper-V's "merge into
 * parent" does): its content now lives in the parent, and the parent's new modification time would
 * break the child's recorded parent timestamp anyway.
 *
 * Resumable. The copy is idempotent (it writes the child's bytes at their own offsets; re-running
 * writes the same bytes, and the parent places new blocks deterministically), so the only state kept
 * is a journal, `<child>.merge-journal`, written just before the parent is first written and removed last:
 *   open parent writable → journal (with the parent's identity and state) → copy → fsync parent → delete child
 *   → delete journal.
 * Re-running with a journal accepts the parent's changed timestamp only when the parent is the file the journal
 * recorded and has changed since (the ids must still match); a merge that failed before writing the parent leaves
 * no journal, and a stale one excuses nothing. A journal without a child means only the cleanup is left.
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
  const resuming = journal !== undefined && (await journalExcusesParentChange(journal));
  const childDisk = await openChain(child, { timestampMismatch: resuming ? 'accept' : (options.timestampMismatch ?? 'error') });
  let result: MergeResult;
  try {
    const parentDisk = childDisk.parent;
    if (childDisk.diskType !== 'differencing' || !parentDisk) {
      throw chainError('UNSUPPORTED', `only a differencing image can be merged into its parent; this one is ${childDisk.diskType}`, child, undefined, {
        reason: 'not-differencing', operation: 'merge', path: child, diskType: childDisk.diskType,
      });
    }
    const expected = {
      childUniqueId: uniqueIdToString(childDisk.metadata.footer.uniqueId),
      parentUniqueId: uniqueIdToString(parentDisk.metadata.footer.uniqueId),
    };
    if (journal && (journal.childUniqueId !== expected.childUniqueId || journal.parentUniqueId !== expected.parentUniqueId)) {
      throw chainError('CORRUPT', `${journalPath} belongs to another merge (child ${journal.childUniqueId}, parent ${journal.parentUniqueId})`, child);
    }
    await prefetchBitmaps(childDisk.file);
    const runs = await ownRuns(childDisk.file);
    const totalBytes = runs.reduce((sum, run) => sum + run.length, 0);

    const parent = await openChain(parentDisk.path, { writable: true, timestampMismatch: options.timestampMismatch ?? 'error' });
    let bytesWritten = 0;
    let parentWritten = false;
    let journalWritten = false;
    try {
      // A resumed merge keeps the journal that recorded the parent before the first write of all.
      if (!resuming) {
        await writeJournal(journalPath, { kind: 'vhdkit-merge', version: 2, childPath: child, parentPath: parentDisk.path, ...expected, parentBefore: await recordParent(parent) });
        journalWritten = true;
      }
      options.onProgress?.({ bytesWritten, totalBytes });
      // Two buffers: the child's next group is read while the parent writes the current one.
      const bufferBytes = Math.min(MERGE_GROUP_BYTES, Math.max(totalBytes, SECTOR_SIZE)) + (childDisk.blockSize ?? 0);
      const buffers = [new Uint8Array(bufferBytes), new Uint8Array(bufferBytes)];
      let pendingWrite: Promise<void> | undefined;
      let pendingBytes = 0;
      const writeback = new EarlyWriteback(parent);
      const finishPendingWrite = async (): Promise<void> => {
        if (!pendingWrite) return;
        await pendingWrite;
        pendingWrite = undefined;
        bytesWritten += pendingBytes;
        writeback.written(pendingBytes);
        options.onProgress?.({ bytesWritten, totalBytes });
      };
      try {
        let turn = 0;
        for (const group of runBatches(runs, MERGE_GROUP_BYTES, GATHER_SCATTERED_BYTES)) {
          throwIfAborted(options.signal, child);
          const buffer = buffers[turn++ % 2]!;
          const filled = await readGroup(childDisk.file, parent, group, buffer);
          await finishPendingWrite();
          parentWritten = true;
          pendingWrite = parent.writePieces(piecesOf(group, buffer));
          // Marked handled now: it is awaited after the next read, and a failure must not count as unhandled meanwhile.
          pendingWrite.catch(() => undefined);
          pendingBytes = filled;
        }
      } finally {
        // Never leave a write or sync running into a buffer being reused or a handle being closed (also on abort/errors).
        if (pendingWrite) await pendingWrite.catch(() => undefined);
        await writeback.settle();
      }
      await finishPendingWrite();
      await writeback.finish();
    } catch (error) {
      // Failed before the parent was written: nothing to resume, and a journal left behind would outlive its reason.
      if (journalWritten && !parentWritten) await unlink(journalPath).catch(() => undefined);
      throw error;
    } finally {
      // close() flushes: the one fsync that makes the parent durable before the child is deleted.
      await parent.close();
    }
    result = { childPath: child, parentPath: parentDisk.path, sectorsCopied: totalBytes / SECTOR_SIZE, bytesCopied: totalBytes };
  } finally {
    await childDisk.close();
  }
  await withIo(child, () => unlink(child));
  await syncFolderQuietly(dirname(child));
  await withIo(journalPath, () => unlink(journalPath));
  return result;
}

/** Loads the child's bitmaps concurrently, a window at a time, so ownRuns finds them cached instead of reading one by one. */
async function prefetchBitmaps(file: ImageFile): Promise<void> {
  for (let first = 0; first < file.bat.length; first += BITMAP_PREFETCH_BLOCKS) {
    await file.prefetchBlockStates(first, Math.min(first + BITMAP_PREFETCH_BLOCKS, file.bat.length) - 1);
  }
}

/**
 * Reads one group of the child's own runs into `buffer` (one read per run; a whole block is one run,
 * a few in flight at a time) while the parent's bitmaps for the same blocks are loaded, so its writer finds them cached.
 */
async function readGroup(childFile: ImageFile, parent: ChainDisk, group: readonly OwnRun[], buffer: Uint8Array): Promise<number> {
  const filled = group.reduce((sum, run) => sum + run.length, 0);
  const lastRun = group.at(-1)!;
  const parentBlockSize = parent.file.geometry?.blockSize;
  const parentBitmaps = parentBlockSize === undefined
    ? Promise.resolve()
    : parent.file.prefetchBlockStates(Math.floor(group[0]!.virtualOffset / parentBlockSize), Math.floor((lastRun.virtualOffset + lastRun.length - 1) / parentBlockSize));
  const childReads = readRuns(childFile, group, buffer);
  // Both settle before anything fails: no read may still be filling the buffer or using a handle afterwards.
  const [bitmaps, reads] = await Promise.allSettled([parentBitmaps, childReads]);
  if (bitmaps.status === 'rejected') throw bitmaps.reason;
  if (reads.status === 'rejected') throw reads.reason;
  return filled;
}

/** The group's runs as pieces of `buffer`, where readGroup put them one after another. */
function piecesOf(group: readonly OwnRun[], buffer: Uint8Array): WritePiece[] {
  let at = 0;
  return group.map((run) => {
    const data = buffer.subarray(at, at + run.length);
    at += run.length;
    return { data, virtualOffset: run.virtualOffset };
  });
}

/**
 * Starts the parent's writeback every EARLY_WRITEBACK_BYTES while the copy goes on (one fdatasync at a time, in the
 * background). Only ever syncs earlier than the merge protocol needs; the final fsync on close is still what makes
 * the parent durable before the child is deleted.
 */
class EarlyWriteback {
  private readonly parent: ChainDisk;
  private unsynced = 0;
  private running: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;

  constructor(parent: ChainDisk) {
    this.parent = parent;
  }

  written(bytes: number): void {
    this.unsynced += bytes;
    if (this.running || this.unsynced < EARLY_WRITEBACK_BYTES) return;
    this.unsynced = 0;
    const { path, handle } = this.parent.file;
    this.running = withIo(path, () => handle.datasync()).then(
      () => {
        this.running = undefined;
      },
      (error: unknown) => {
        this.running = undefined;
        this.failure ??= { error };
      },
    );
  }

  /** Waits for a sync under way; a failed one fails the merge. */
  async finish(): Promise<void> {
    await this.settle();
    if (this.failure) throw this.failure.error;
  }

  async settle(): Promise<void> {
    await this.running;
  }
}

async function readRuns(childFile: ImageFile, runs: readonly OwnRun[], buffer: Uint8Array): Promise<void> {
  let filled = 0;
  for (let first = 0; first < runs.length; first += READS_IN_FLIGHT) {
    const reads = runs.slice(first, first + READS_IN_FLIGHT).map((run) => {
      const target = buffer.subarray(filled, filled + run.length);
      filled += run.length;
      return withIo(childFile.path, () => readFully(childFile.handle, target, run.fileOffset));
    });
    const outcomes = await Promise.allSettled(reads);
    for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The opened parent's identity and state, for the journal; a parent whose state cannot be read is not merged into. */
async function recordParent(parent: ChainDisk): Promise<MergeJournal['parentBefore']> {
  const state = await parentState(parent.path);
  if (state === undefined) throw chainError('IO', `cannot read the state of ${parent.path} before merging into it`, parent.path);
  return state;
}
