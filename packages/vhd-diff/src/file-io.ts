import { readSync, readvSync, writeSync, writevSync } from 'node:fs';
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

/** writeFully on the calling thread (fs.writeSync on the descriptor): no thread-pool hand-off. */
export function writeFullySync(fd: number, source: Uint8Array, position: number): void {
  let done = 0;
  while (done < source.length) done += writeSync(fd, source, done, source.length - done, position + done);
}

/** writeGathered on the calling thread (fs.writevSync). */
export function writeGatheredSync(fd: number, parts: readonly Uint8Array[], position: number): void {
  let remaining = parts.filter((part) => part.length > 0);
  while (remaining.length > 0) {
    const bytesWritten = writevSync(fd, remaining, position);
    position += bytesWritten;
    remaining = partsAfter(remaining, bytesWritten);
  }
}

/** Below this length a plain loop beats setting up a memcmp. */
const SHORT_ZERO_CHECK_BYTES = 64;
/** How far the all-zero check compares the bytes against themselves (see isAllZero). */
const ZERO_CHECK_STRIDE = 8;

export function isAllZero(bytes: Uint8Array): boolean {
  // This runs over every block of an import, a convert and a compaction, so it leans on memcmp (SIMD in libc)
  // instead of a JavaScript loop: the bytes are all zero when the first few are, and each byte equals the one
  // ZERO_CHECK_STRIDE after it (by induction every byte equals one of the first ZERO_CHECK_STRIDE). A non-zero
  // byte near the start (most data) is found after a few bytes, as with a loop.
  const length = bytes.length;
  const head = Math.min(length, SHORT_ZERO_CHECK_BYTES);
  for (let index = 0; index < head; index++) if (bytes[index] !== 0) return false;
  if (length <= SHORT_ZERO_CHECK_BYTES) return true;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, length);
  return view.compare(view, ZERO_CHECK_STRIDE, length, 0, length - ZERO_CHECK_STRIDE) === 0;
}
