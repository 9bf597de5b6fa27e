import { readSync, readvSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/**
 * Fills `target` from `position`, looping over short reads. Bytes past the end of the file read as
 * zeros (a damaged or truncated image must not leave stale buffer contents behind). Returns bytes found.
 */
export async function readFully(handle: FileHandle, target: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < target.length) {
    const { bytesRead } = await handle.read(target, done, target.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  if (done < target.length) target.fill(0, done);
  return done;
}

/**
 * Fills `parts` in order from consecutive file bytes at `position` (one preadv when nothing is short), looping
 * over short reads; bytes past the end of the file read as zeros, as in readFully. Returns bytes found.
 */
export async function readGatheredFully(handle: FileHandle, parts: readonly Uint8Array[], position: number): Promise<number> {
  let remaining = parts.filter((part) => part.length > 0);
  let found = 0;
  while (remaining.length > 0) {
    const { bytesRead } = await handle.readv(remaining, position);
    if (bytesRead === 0) {
      for (const part of remaining) part.fill(0);
      return found;
    }
    found += bytesRead;
    position += bytesRead;
    remaining = partsAfter(remaining, bytesRead);
  }
  return found;
}

/** readFully on the calling thread (fs.readSync on the descriptor): same result, no thread-pool hand-off. */
export function readFullySync(fd: number, target: Uint8Array, position: number): number {
  let done = 0;
  while (done < target.length) {
    const bytesRead = readSync(fd, target, done, target.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  if (done < target.length) target.fill(0, done);
  return done;
}

/** readGatheredFully on the calling thread (fs.readvSync). */
export function readGatheredFullySync(fd: number, parts: readonly Uint8Array[], position: number): number {
  let remaining = parts.filter((part) => part.length > 0);
  let found = 0;
  while (remaining.length > 0) {
    const bytesRead = readvSync(fd, remaining, position);
    if (bytesRead === 0) {
      for (const part of remaining) part.fill(0);
      return found;
    }
    found += bytesRead;
    position += bytesRead;
    remaining = partsAfter(remaining, bytesRead);
  }
  return found;
}

/** Writes all of `source` at `position` (fs may write less than asked in one call). */
export async function writeFully(handle: FileHandle, source: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < source.length) {
    const { bytesWritten } = await handle.write(source, done, source.length - done, position + done);
    done += bytesWritten;
  }
}

/** writev of all `parts` from `position`, continuing after short writes. */
export async function writeGathered(handle: FileHandle, parts: readonly Uint8Array[], position: number): Promise<void> {
  let remaining = parts.filter((part) => part.length > 0);
  while (remaining.length > 0) {
    const { bytesWritten } = await handle.writev(remaining, position);
    position += bytesWritten;
    remaining = partsAfter(remaining, bytesWritten);
  }
}

/** What is left of `parts` once the first `consumedBytes` of them were transferred by a short readv/writev. */
function partsAfter(parts: readonly Uint8Array[], consumedBytes: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  let skip = consumedBytes;
  for (const part of parts) {
    if (skip >= part.length) {
      skip -= part.length;
      continue;
    }
    rest.push(skip > 0 ? part.subarray(skip) : part);
    skip = 0;
  }
  return rest;
}

export function isAllZero(bytes: Uint8Array): boolean {
  // Word-at-a-time when aligned: this runs over every block of a convert.
  if (bytes.byteOffset % 4 === 0 && bytes.length % 4 === 0) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    for (let index = 0; index < words.length; index++) if (words[index] !== 0) return false;
    return true;
  }
  for (let index = 0; index < bytes.length; index++) if (bytes[index] !== 0) return false;
  return true;
}
