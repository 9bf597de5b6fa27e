import * as fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { VhdIoError, isErrnoError, throwIfAborted, toVhdIoError } from './errors.js';
import { removeStaleTemporaries, temporaryPathFor } from './temporary-files.js';

/**
 * Atomic publication of a new file: the content is written to a temporary file beside the destination, made
 * durable, and only then given its name — without ever replacing a file that already has that name.
 *
 * Any failure (or an abort) removes the temporary file, so afterwards there is neither a file at the destination
 * (unless someone else's was already there: it is never touched) nor a stray temporary file.
 */

/** The file-system calls publication uses; tests replace them to simulate file systems without hard links. */
export interface PublishFileSystem {
  link(existingPath: string, newPath: string): Promise<void>;
  rename(oldPath: string, newPath: string): Promise<void>;
}

const realFileSystem: PublishFileSystem = { link: fs.link, rename: fs.rename };

/** Errors with which `link` says "this file system has no hard links" (FAT, exFAT, some network and FUSE mounts). */
const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK']);

/** Errors with which fsync on a folder says "not supported here" (Windows, some network file systems). */
const FOLDER_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EINVAL', 'EPERM', 'EACCES', 'ENOTSUP', 'EOPNOTSUPP', 'EBADF']);

export interface PublishOptions {
  signal?: AbortSignal;
  fileSystem?: PublishFileSystem;
}

export { temporaryPathFor } from './temporary-files.js';

/**
 * Creates `destinationPath` with content produced by `writeContent` (which writes through the handle it is given),
 * atomically and without replacing anything. Throws VhdIoError 'ALREADY_EXISTS' if the name is taken.
 */
export async function publishNewFile(
  destinationPath: string,
  writeContent: (handle: FileHandle) => Promise<void>,
  options: PublishOptions = {},
): Promise<void> {
  const { signal } = options;
  const fileSystem = options.fileSystem ?? realFileSystem;
  throwIfAborted(signal, destinationPath);
  await refuseExisting(destinationPath);
  // What a killed creation left in this folder goes now (its owner's pid no longer runs).
  await removeStaleTemporaries(dirname(destinationPath));

  const { handle, temporaryPath } = await createTemporaryFile(destinationPath);
  let openHandle: FileHandle | undefined = handle;
  let temporaryExists = true;
  let published: { dev: number; ino: number } | undefined;
  try {
    await writeContent(handle);
    throwIfAborted(signal, destinationPath);
    const identity = await handle.stat();
    await handle.sync();
    openHandle = undefined;
    await handle.close();
    throwIfAborted(signal, destinationPath);

    const linked = await linkWithoutReplacing(temporaryPath, destinationPath, fileSystem);
    published = { dev: identity.dev, ino: identity.ino };
    if (linked) await fs.unlink(temporaryPath);
    temporaryExists = false;
    await syncFolder(dirname(destinationPath));
  } catch (error) {
    if (openHandle) await openHandle.close().catch(() => undefined);
    if (temporaryExists) await removeIfExists(temporaryPath);
    if (published) await removeIfSameFile(destinationPath, published);
    // fs failures become VhdIoError 'IO'; anything else (ours, or thrown by a progress callback) passes unchanged.
    throw isErrnoError(error) ? toVhdIoError(error, 'creating', destinationPath) : error;
  }
}

async function refuseExisting(destinationPath: string): Promise<void> {
  try {
    await fs.lstat(destinationPath);
  } catch (error) {
    if (isErrnoError(error) && error.code === 'ENOENT') return;
    throw toVhdIoError(error, 'checking', destinationPath);
  }
  throw alreadyExists(destinationPath);
}

function alreadyExists(destinationPath: string, cause?: unknown): VhdIoError {
  return new VhdIoError('ALREADY_EXISTS', `${destinationPath} already exists; it is never replaced`, {
    path: destinationPath,
    cause,
  });
}

/** Opens a new temporary file exclusively (O_CREAT|O_EXCL): it is certainly ours. */
async function createTemporaryFile(destinationPath: string): Promise<{ handle: FileHandle; temporaryPath: string }> {
  for (let attempt = 0; ; attempt++) {
    const temporaryPath = temporaryPathFor(destinationPath);
    try {
      return { handle: await fs.open(temporaryPath, 'wx'), temporaryPath };
    } catch (error) {
      // A name collision of 48 random bits is all but impossible; try a fresh name a few times anyway.
      if (isErrnoError(error) && error.code === 'EEXIST' && attempt < 3) continue;
      throw toVhdIoError(error, 'creating a temporary file for', destinationPath);
    }
  }
}

/**
 * Gives the finished temporary file its name. `link` fails with EEXIST instead of replacing, which makes it the
 * arbiter when several creators race for one name. Where hard links are unsupported, an exclusively created
 * placeholder reserves the name and `rename` then replaces only that placeholder. Returns true when linked (the
 * temporary name still exists and must be unlinked), false when renamed.
 */
async function linkWithoutReplacing(temporaryPath: string, destinationPath: string, fileSystem: PublishFileSystem): Promise<boolean> {
  try {
    await fileSystem.link(temporaryPath, destinationPath);
    return true;
  } catch (error) {
    if (isErrnoError(error) && error.code === 'EEXIST') throw alreadyExists(destinationPath, error);
    if (!isErrnoError(error) || !LINK_UNSUPPORTED.has(error.code)) throw error;
  }
  await renameOverOwnPlaceholder(temporaryPath, destinationPath, fileSystem);
  return false;
}

async function renameOverOwnPlaceholder(temporaryPath: string, destinationPath: string, fileSystem: PublishFileSystem): Promise<void> {
  let placeholder: FileHandle;
  try {
    placeholder = await fs.open(destinationPath, 'wx');
  } catch (error) {
    if (isErrnoError(error) && error.code === 'EEXIST') throw alreadyExists(destinationPath, error);
    throw error;
  }
  const identity = await placeholder.stat().finally(() => placeholder.close());
  try {
    await fileSystem.rename(temporaryPath, destinationPath);
  } catch (error) {
    await removeIfSameFile(destinationPath, identity);
    throw error;
  }
}

/** Makes the new directory entry durable. Skipped where the platform cannot fsync a folder. */
export async function syncFolder(folder: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await fs.open(folder, 'r');
  } catch (error) {
    if (isErrnoError(error) && FOLDER_SYNC_UNSUPPORTED.has(error.code)) return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    if (!isErrnoError(error) || !FOLDER_SYNC_UNSUPPORTED.has(error.code)) throw error;
  } finally {
    await handle.close();
  }
}

async function removeIfExists(path: string): Promise<void> {
  await fs.unlink(path).catch(() => undefined);
}

/** Removes `path` only if it is still the file we created (same device and inode), never someone else's. */
async function removeIfSameFile(path: string, identity: { dev: number; ino: number }): Promise<void> {
  try {
    const stats = await fs.lstat(path);
    if (stats.dev === identity.dev && stats.ino === identity.ino) await fs.unlink(path);
  } catch {
    // Nothing there (or unreadable): nothing of ours to remove.
  }
}
