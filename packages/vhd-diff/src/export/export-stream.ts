import { Readable } from 'node:stream';
import { VhdIoError } from '../errors.js';
import { openDisk } from '../chain/open-disk.js';
import type { OpenDiskOptions, VhdDisk } from '../chain/types.js';
import { exportChunkBytes, exportChunks } from './export-chunks.js';
import { planExport } from './export-plan.js';

/** What `exportStream` makes: the output type, and how a path is opened and a read cancelled. */
export interface ExportOptions {
  type: 'fixed' | 'dynamic';
  /** Stops the stream: it fails with VhdIoError 'ABORTED'. */
  signal?: AbortSignal;
  /** How a path is opened (parent path, timestamp mismatches, blocking reads); ignored for an open disk. */
  open?: OpenDiskOptions;
}

/**
 * One standalone VHD holding a chain's content, as a stream whose exact length is known before the first byte
 * (for uploads that need a Content-Length). Single use: call `stream()` or `webStream()` once.
 */
export interface VhdExport {
  /** Exactly the bytes the stream will give. */
  readonly length: number;
  readonly diskType: 'fixed' | 'dynamic';
  readonly virtualSize: number;
  /** Dynamic output: its block size and the blocks it stores. */
  readonly blockSize?: number;
  readonly storedBlocks?: number;
  /** The length of the chunks holding the disk's bytes (a block with its bitmap, or 2 MiB for fixed output). */
  readonly chunkBytes: number;
  stream(): Readable;
  webStream(): ReadableStream<Uint8Array>;
  /**
   * The chunks themselves, for a consumer that is done with each chunk when it asks for the next (a file writer):
   * they come from a small ring of reused buffers, which saves a page fault per 4 KiB of fresh memory. With
   * `chunkBuffer`, the disk's bytes are read into the buffers it gives (`chunkBytes` long; a shorter last chunk is
   * the start of one), and the consumer decides when a buffer is free again (a WriteBehind writing behind).
   */
  reusedChunks(chunkBuffer?: () => Promise<Uint8Array>): AsyncGenerator<Uint8Array>;
  /** Releases a disk the export opened itself when no stream is read (a finished or destroyed stream does it). */
  close(): Promise<void>;
}

/**
 * Plans the export of `source` (an open VhdDisk, left open; or a path, opened here and closed when the stream
 * ends, fails or is destroyed). Dynamic output stores the blocks some layer of the chain holds (per
 * `allocatedRanges`), so exporting a sparse 2040 GiB child reads and writes only its few blocks. Nothing is written
 * to disk: no temporary files.
 */
export async function exportStream(source: VhdDisk | string, options: ExportOptions): Promise<VhdExport> {
  if (options.type !== 'fixed' && options.type !== 'dynamic') {
    throw new VhdIoError('UNSUPPORTED', `an export makes a fixed or dynamic image, not ${String(options.type)}`, typeof source === 'string' ? { path: source } : {});
  }
  const owned = typeof source === 'string';
  const disk = owned ? await openDisk(source, options.open) : source;
  let plan;
  try {
    plan = planExport(disk, options.type);
  } catch (error) {
    if (owned) await disk.close();
    throw error;
  }
  let released = !owned;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    await disk.close();
  };
  let consumed = false;
  const chunks = (reuseBuffers = false, chunkBuffer?: () => Promise<Uint8Array>): AsyncGenerator<Uint8Array> => {
    if (consumed) throw new VhdIoError('UNSUPPORTED', `the export of ${disk.path} was already streamed; plan a new one`, { path: disk.path });
    consumed = true;
    return exportChunks(disk, plan, { signal: options.signal, reuseBuffers, chunkBuffer });
  };
  return {
    length: plan.length,
    diskType: plan.type,
    virtualSize: plan.virtualSize,
    ...(plan.type === 'dynamic' && { blockSize: plan.blockSize, storedBlocks: plan.blocks.length }),
    chunkBytes: exportChunkBytes(plan),
    stream: () => nodeStreamOf(chunks(), release),
    webStream: () => webStreamOf(chunks(), release),
    reusedChunks: (chunkBuffer) => releasing(chunks(true, chunkBuffer), release),
    close: release,
  };
}

async function* releasing(source: AsyncGenerator<Uint8Array>, release: () => Promise<void>): AsyncGenerator<Uint8Array> {
  try {
    yield* source;
  } finally {
    await release();
  }
}

function nodeStreamOf(source: AsyncGenerator<Uint8Array>, release: () => Promise<void>): Readable {
  return new Readable({
    // One dynamic block (2 MiB) queued at most before the consumer takes it.
    highWaterMark: 2 * 1024 * 1024,
    read() {
      source.next().then(
        (next) => {
          if (next.done === true) void release().then(() => this.push(null), (error: unknown) => this.destroy(error as Error));
          else this.push(next.value);
        },
        (error: unknown) => this.destroy(error as Error),
      );
    },
    destroy(error, callback) {
      source
        .return(undefined)
        .then(release)
        .then(() => callback(error), callback);
    },
  });
}

function webStreamOf(source: AsyncGenerator<Uint8Array>, release: () => Promise<void>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await source.next();
      } catch (error) {
        await release().catch(() => undefined);
        throw error;
      }
      if (next.done === true) {
        await release();
        controller.close();
      } else {
        controller.enqueue(next.value);
      }
    },
    async cancel() {
      await source.return(undefined);
      await release();
    },
  });
}
