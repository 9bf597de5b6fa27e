import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { VhdIoError, isErrnoError, toVhdIoError } from './errors.js';

/**
 * Opens an image file for reading or for reading and writing, and proves it is a regular file before anything reads
 * it. O_NONBLOCK makes open() return at once on a FIFO or a device that would otherwise wait for a peer (in the thread
 * pool, where no signal reaches it); on a regular file the flag changes nothing. O_NOATIME (Linux, read-only opens)
 * keeps reads from touching the access time; the kernel allows it only to the file's owner, so it is dropped when refused.
 */
export async function openImageHandle(path: string, mode: 'read' | 'write'): Promise<FileHandle> {
  return (await openImageFile(path, mode)).handle;
}

/** openImageHandle, with the stats it proved the file with (callers need its size and time: no second fstat). */
export async function openImageFile(path: string, mode: 'read' | 'write'): Promise<{ handle: FileHandle; stats: Stats }> {
  const base = (mode === 'read' ? constants.O_RDONLY : constants.O_RDWR) | constants.O_NONBLOCK;
  const noAtime = mode === 'read' ? (constants as { O_NOATIME?: number }).O_NOATIME : undefined;
  let handle: FileHandle | undefined;
  if (noAtime !== undefined) {
    try {
      handle = await open(path, base | noAtime);
    } catch (error) {
      if (!isErrnoError(error) || (error.code !== 'EPERM' && error.code !== 'EINVAL')) throw toVhdIoError(error, 'opening', path);
    }
  }
  try {
    handle ??= await open(path, base);
  } catch (error) {
    throw toVhdIoError(error, 'opening', path);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw notARegularFile(path);
    return { handle, stats };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw toVhdIoError(error, 'reading the type of', path);
  }
}

function notARegularFile(path: string): VhdIoError {
  return new VhdIoError('NOT_A_VHD', `${path} is not a VHD: it is not a regular file`, {
    path,
    params: { reason: 'not-a-file', path },
  });
}
