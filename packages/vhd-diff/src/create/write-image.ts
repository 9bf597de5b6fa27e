import { createWriteStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { VhdIoError, throwIfAborted, toVhdIoError } from '../errors.js';
import { publishNewFile } from '../publish.js';
import { CHUNK_BYTES, checkPieces, imageChunks, type ImagePiece } from './chunks.js';
import type { CreateOptions, WriteProgress } from './types.js';

/** Everything needed to write one new image file. */
export interface ImageFilePlan {
  fileSize: number;
  /** Bytes before this offset are left as a hole, never written (a fixed disk's data area); 0 otherwise. */
  sparseBytes: number;
  /** Sorted, non-overlapping pieces inside [sparseBytes, fileSize); the rest is zeros. */
  pieces: ImagePiece[];
}

/**
 * Writes the planned file through a Node Writable into an exclusive temporary file, makes it durable and publishes
 * it at `path` without replacing anything (see publish.ts). Progress counts the bytes actually written.
 */
export async function writeImageFile(path: string, plan: ImageFilePlan, options: CreateOptions = {}): Promise<void> {
  const problem = checkPieces(plan.pieces, plan.sparseBytes, plan.fileSize);
  if (problem) throw new VhdIoError('UNSUPPORTED', `internal layout error for ${path}: ${problem}`, { path });
  const { signal, onProgress } = options;
  await publishNewFile(
    path,
    async (handle) => {
      // Sizing the file first makes a too-large image fail at once (EFBIG on FAT32) and leaves the data area a hole.
      if (plan.sparseBytes > 0) {
        await handle.truncate(plan.fileSize).catch((error: unknown) => {
          throw toVhdIoError(error, 'sizing', path);
        });
      }
      await streamChunks(handle, imageChunks(plan.pieces, plan.sparseBytes, plan.fileSize), {
        path,
        startOffset: plan.sparseBytes,
        totalBytes: plan.fileSize - plan.sparseBytes,
        signal,
        onProgress,
      });
    },
    { signal },
  );
}

interface StreamChunksOptions {
  path: string;
  startOffset: number;
  totalBytes: number;
  signal: AbortSignal | undefined;
  onProgress: ((progress: WriteProgress) => void) | undefined;
}

/** Chunks queued in the stream at most (1 MiB of views of shared buffers): enough for writev batching. */
const QUEUED_BYTES = 16 * CHUNK_BYTES;

/**
 * Feeds chunks to a write stream, keeping at most QUEUED_BYTES queued so the kernel gets them in batches (writev)
 * while memory stays bounded. Progress is reported as each chunk reaches the file; an abort is noticed before each
 * chunk is queued; the first write error (or an exception from the progress callback) stops the feeding. Every
 * queued write has completed when this returns or throws, so the caller may close the file at once.
 */
async function streamChunks(handle: FileHandle, chunks: Iterable<Uint8Array>, options: StreamChunksOptions): Promise<void> {
  const { path, totalBytes, signal, onProgress } = options;
  // On the numeric descriptor with autoClose off, the stream never closes the file: the caller fsyncs and closes it.
  // (A stream over the FileHandle itself would hold a reference that keeps FileHandle.close() waiting, and destroying
  // either kind of stream closes the descriptor — so this stream is only ever ended, never destroyed.)
  const stream = createWriteStream('', { fd: handle.fd, start: options.startOffset, autoClose: false, emitClose: false, highWaterMark: QUEUED_BYTES });
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    failure ??= { error };
  };
  stream.on('error', (error) => fail(toVhdIoError(error, 'writing', path)));

  let bytesWritten = 0;
  const report = () => {
    try {
      onProgress?.({ bytesWritten, totalBytes });
    } catch (error) {
      fail(error); // the caller's own exception, passed through unchanged
    }
  };

  report();
  try {
    for (const chunk of chunks) {
      if (failure || signal?.aborted) break;
      const accepted = stream.write(chunk, (error) => {
        if (error) return fail(toVhdIoError(error, 'writing', path));
        bytesWritten += chunk.length;
        report();
      });
      if (!accepted) await drained(stream);
    }
  } finally {
    await finished(stream);
  }
  if (failure) throw failure.error;
  throwIfAborted(signal, path);
}

/** Resolves when the stream wants more data, or has failed (the failure is recorded by the 'error' listener). */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('error', done);
  });
}

/** Ends the stream and resolves once every queued write has completed, successfully or not. */
function finished(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.errored) return resolve();
    stream.once('error', () => resolve());
    stream.end(() => resolve());
  });
}
