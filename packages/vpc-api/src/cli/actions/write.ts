import { constants, createReadStream, fstatSync, read } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open, stat } from 'node:fs/promises';
import { addAbortSignal, type Readable } from 'node:stream';
import { openDisk } from '@vhdkit/vhd-diff';
import type { CommandContext } from '../command-context.js';
import { printResult } from '../command-context.js';
import type { WriteResultJson } from '../command-results.js';
import { parseSizeArgument } from '../size-argument.js';
import { stoppedReason } from '../stopped-reason.js';
import { refuseWritePastEnd } from '../write-range.js';

/**
 * Input gathered per disk.write: 2 blocks of the default 2 MiB. The disk is opened with `tableEntriesOnFlush`, so
 * the number of fdatasyncs no longer depends on this size; a small buffer faults in less fresh memory.
 */
const WRITE_GATHER_BYTES = 4 * 1024 * 1024;
/**
 * Read size for an input that is a regular file (`--input file`, or stdin redirected from one). A read stream takes
 * 64 KiB per read, each a thread-pool hand-off: 4,096 of them for 256 MiB cost more than the writing (`strace -c`).
 * The gather size, so that a whole read is written straight from the read buffer (no copy).
 */
const FILE_READ_BYTES = WRITE_GATHER_BYTES;

export interface WriteOptions {
  offset: string;
  input: string;
}

/** `vpc write <image> --offset N [--input file|-]`: writes the input's bytes into the virtual disk. Returns the exit code. */
export async function writeImage(ctx: CommandContext, image: string, options: WriteOptions): Promise<number> {
  const offset = parseSizeArgument(options.offset);
  if (offset === undefined) throw (await import('../usage-help.js')).badByteCount('write', '--offset', options.offset, ctx.lang);
  // SIGINT/SIGTERM destroy the input, so a wait on a silent pipe or a terminal ends with the usual stopped error.
  if (options.input === '-') {
    return writeInput(ctx, image, offset, () => {
      const stdin = ctx.io.stdin();
      const fd = regularFileDescriptor(stdin);
      return fd === undefined ? addAbortSignal(ctx.stopSignal, stdin) : fileDescriptorChunks(ctx, fd, 'stdin');
    });
  }
  const inputPath = ctx.userPath(options.input);
  if (await isNamedPipe(inputPath)) return writeInput(ctx, image, offset, () => addAbortSignal(ctx.stopSignal, namedPipeStream(ctx, inputPath)));
  const inputFile = await openInput(ctx, inputPath);
  try {
    return await writeInput(ctx, image, offset, () => fileChunks(ctx, inputFile, inputPath));
  } finally {
    await inputFile.close();
  }
}

/**
 * The input file, opened before the image so a missing one is reported as itself (ERROR_FILE_NOT_FOUND with its
 * path) rather than surfacing later as an unhandled stream error.
 */
async function openInput(ctx: CommandContext, path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (error) {
    throw await inputFailure(ctx, error, path);
  }
}

/** The input file's bytes; a read failure (a folder: EISDIR) is reported with the input's path. */
function fileChunks(ctx: CommandContext, file: FileHandle, path: string): AsyncIterable<Uint8Array> {
  return fileDescriptorChunks(ctx, file.fd, path);
}

/**
 * The process's own stdin when it is redirected from a regular file (`vpc write x --offset 0 < disk.raw`): read
 * directly in large reads. Pipes and terminals keep the stream, which SIGINT can destroy while it waits.
 */
function regularFileDescriptor(stdin: Readable): number | undefined {
  // By its descriptor, not by comparing with process.stdin: touching that getter creates the stream (CliIo.stdin).
  const fd = (stdin as Readable & { fd?: unknown }).fd;
  if (fd !== 0) return undefined;
  try {
    return fstatSync(fd).isFile() ? fd : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A regular file's bytes from its current position, in reads of FILE_READ_BYTES into two buffers used in turn: the
 * next read runs while the consumer writes the chunk it was given (it must be done with a chunk before asking for
 * the next one). The descriptor is the caller's: it is not closed here, and no read is left running on return.
 */
async function* fileDescriptorChunks(ctx: CommandContext, fd: number, name: string): AsyncIterable<Uint8Array> {
  const buffers = [Buffer.allocUnsafe(FILE_READ_BYTES), Buffer.allocUnsafe(FILE_READ_BYTES)] as const;
  const readInto = (buffer: Buffer): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      read(fd, buffer, 0, buffer.length, null, (error, count) => (error ? reject(error) : resolve(count)));
    });
  let next = readInto(buffers[0]);
  try {
    for (let turn = 0; ; turn++) {
      let bytesRead: number;
      try {
        bytesRead = await next;
      } catch (error) {
        throw await inputFailure(ctx, error, name);
      }
      if (bytesRead === 0) return;
      const current = buffers[turn % 2]!;
      next = readInto(buffers[(turn + 1) % 2]!);
      yield current.subarray(0, bytesRead);
    }
  } finally {
    // A consumer that stopped early (a write past the end) leaves the read ahead: let it end before the fd closes.
    await next.catch(() => undefined);
  }
}

/**
 * A failure to open or read the input as the CLI reports it. The HRESULT mapping (and the error catalogue behind it)
 * is loaded only then: `vpc write` runs from a bundle of its own (fast-path.ts) whose start-up it would weigh on.
 */
async function inputFailure(ctx: CommandContext, error: unknown, name: string): Promise<unknown> {
  const { toVpcError } = await import('../../errors/hresult-map.js');
  return toVpcError(error, { lang: ctx.lang, detail: name });
}

/** Streams the input into the image (the input is started only once the image is open for writing). */
async function writeInput(ctx: CommandContext, image: string, offset: number, openStream: () => AsyncIterable<unknown>): Promise<number> {
  // One fdatasync before the new blocks' table entries at the end (and background syncs meanwhile), not one per write.
  const disk = await openDisk(ctx.userPath(image), { writable: true, tableEntriesOnFlush: true });
  const input = openStream();
  // Input arrives in pipe-sized chunks (64 KiB): they are gathered into writes of whole blocks. Nothing is
  // acknowledged before the end, so nothing is lost by gathering, nor by leaving the table entries to the flush.
  const pending = Buffer.allocUnsafe(WRITE_GATHER_BYTES);
  let pendingBytes = 0;
  let written = 0;
  const writePending = async (): Promise<void> => {
    if (pendingBytes === 0) return;
    await disk.write(pending.subarray(0, pendingBytes), offset + written);
    written += pendingBytes;
    pendingBytes = 0;
  };
  try {
    for await (const chunk of input) {
      if (ctx.stopSignal.aborted) throw ctx.stopSignal.reason;
      let bytes = chunk as Uint8Array;
      if (offset + written + pendingBytes + bytes.length > disk.virtualSize) {
        await writePending(); // as before gathering: what came before the offending chunk is written
        refuseWritePastEnd(disk, bytes.length, offset + written);
      }
      if (pendingBytes === 0 && bytes.length === WRITE_GATHER_BYTES) {
        // A whole gather at once (a file's read): written from the reader's buffer, which waits for it.
        await disk.write(bytes, offset + written);
        written += bytes.length;
        continue;
      }
      while (bytes.length > 0) {
        const taken = Math.min(bytes.length, WRITE_GATHER_BYTES - pendingBytes);
        pending.set(bytes.subarray(0, taken), pendingBytes);
        pendingBytes += taken;
        bytes = bytes.subarray(taken);
        if (pendingBytes === WRITE_GATHER_BYTES) await writePending();
      }
    }
    await writePending();
    await disk.flush();
  } catch (error) {
    throw await stoppedReason(ctx, error);
  } finally {
    await disk.close();
  }
  const result: WriteResultJson = { path: disk.path, offset, bytesWritten: written };
  await printResult(ctx, result, `Wrote ${written} bytes at offset ${offset} of ${disk.path}`);
  return 0;
}

/**
 * A read stream over `--input`. Opening a named pipe waits (in the thread pool, where no signal reaches it) until a
 * writer opens the other end, and the stream cannot be destroyed before its open returns; so on SIGINT/SIGTERM this
 * opens the write end itself for an instant, which ends that wait (the input is then empty and the command stops).
 */
function namedPipeStream(ctx: CommandContext, path: string): Readable {
  const releaseOpen = (): void => {
    void open(path, constants.O_WRONLY | constants.O_NONBLOCK).then((writer) => writer.close(), () => undefined);
  };
  if (ctx.stopSignal.aborted) releaseOpen();
  else ctx.stopSignal.addEventListener('abort', releaseOpen, { once: true });
  return createReadStream(path);
}

async function isNamedPipe(path: string): Promise<boolean> {
  return stat(path).then((stats) => stats.isFIFO(), () => false);
}
