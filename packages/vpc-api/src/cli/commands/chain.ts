import { WriteStream, createReadStream } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { check, convert, copyDiskTo, merge, openDisk, repair, setParent } from '@vhdkit/vhd-diff';
import type { VhdDisk } from '@vhdkit/vhd-diff';
import { refusal } from '../../errors/hresult-map.js';
import type { CommandContext } from '../command-context.js';
import { createdDiskJson, describeCreated, printResult, stoppedReason } from '../command-context.js';
import { checkReportLines, repairReportLines } from '../check-report-text.js';
import { progressBar } from '../progress.js';
import { parseSizeArgument } from '../size-argument.js';
import { refuseWritePastEnd } from '../write-range.js';

type ContextFactory = () => CommandContext;
type SetExit = (code: number) => void;

/** Exit status of `vpc check`: 0 clean, 2 problems found (1 is any error, as for every command). */
export const CHECK_PROBLEMS_EXIT_CODE = 2;

export function registerCat(program: Command, context: ContextFactory, setExit: SetExit): void {
  program
    .command('cat')
    .description("write the virtual disk's bytes (through its whole chain) to stdout")
    .argument('<image>', 'the image')
    .action(async (image: string) => {
      const ctx = context();
      const disk = await openDisk(ctx.userPath(image));
      try {
        await copyToStdout(disk, ctx);
      } catch (error) {
        // A reader that goes away (`vpc cat x | head`) is not a failure of ours.
        if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw stoppedReason(ctx, error);
      } finally {
        await disk.close();
      }
      setExit(0);
    });
}

/**
 * Process stdout (file, pipe or terminal), file streams and sockets are done with a chunk when they call back
 * for it, so `copyDiskTo` may refill it; any other Writable (an embedder's collector) might keep chunks.
 */
function releasesChunksOnCallback(stream: Writable): boolean {
  return stream === process.stdout || stream instanceof WriteStream || stream instanceof Socket;
}

async function copyToStdout(disk: VhdDisk, ctx: CommandContext): Promise<void> {
  const stdout = ctx.io.stdout;
  if (!releasesChunksOnCallback(stdout)) {
    await pipeline(disk.createReadStream(), stdout, { end: false, signal: ctx.stopSignal });
    return;
  }
  // A destroyed stdout keeps the listener: its 'error' event may still be pending.
  stdout.on('error', ignoreReportedError);
  try {
    await copyDiskTo(disk, stdout, { signal: ctx.stopSignal });
  } finally {
    if (!stdout.destroyed) stdout.off('error', ignoreReportedError);
  }
}

/**
 * A failed write reaches copyDiskTo through its callback; the stream also emits it as 'error' (on a later
 * tick), which must not become an uncaught exception with a stack trace.
 */
function ignoreReportedError(): void {}

export function registerWrite(program: Command, context: ContextFactory, setExit: SetExit): void {
  program
    .command('write')
    .description('write bytes from a file or stdin into the virtual disk at an offset')
    .argument('<image>', 'a fixed, dynamic or differencing image (opened for writing)')
    .requiredOption('--offset <bytes>', 'virtual byte offset (K, M, G, T suffixes allowed)')
    .option('--input <file>', "the bytes to write; '-' for stdin", '-')
    .action(async (image: string, options: { offset: string; input: string }) => {
      const ctx = context();
      const offset = parseSizeArgument(options.offset);
      if (offset === undefined) throw refusal('E_INVALIDARG', ctx.lang, `--offset ${options.offset}`);
      const input: Readable = options.input === '-' ? ctx.io.stdin() : createReadStream(ctx.userPath(options.input));
      const disk = await openDisk(ctx.userPath(image), { writable: true });
      let written = 0;
      try {
        for await (const chunk of input) {
          if (ctx.stopSignal.aborted) throw ctx.stopSignal.reason;
          const bytes = chunk as Uint8Array;
          refuseWritePastEnd(disk, bytes.length, offset + written);
          await disk.write(bytes, offset + written);
          written += bytes.length;
        }
        await disk.flush();
      } finally {
        await disk.close();
      }
      printResult(ctx, { path: disk.path, offset, bytesWritten: written }, `Wrote ${written} bytes at offset ${offset} of ${disk.path}`);
      setExit(0);
    });
}

export function registerMerge(program: Command, context: ContextFactory, setExit: SetExit): void {
  program
    .command('merge')
    .description('commit a differencing child into its parent (only the sectors the child holds)')
    .argument('<child>', 'the differencing image')
    .action(async (child: string) => {
      const ctx = context();
      const bar = progressBar(ctx.io, ctx.quiet, 'Merge');
      try {
        const result = await merge(ctx.userPath(child), { signal: ctx.stopSignal, onProgress: (p) => bar.update(p.bytesWritten, p.totalBytes) });
        bar.stop();
        printResult(ctx, result, `Merged ${result.childPath} into ${result.parentPath}: ${result.sectorsCopied} sectors (${result.bytesCopied} bytes)`);
      } catch (error) {
        bar.stop();
        throw stoppedReason(ctx, error);
      }
      setExit(0);
    });
}

export function registerSetParent(program: Command, context: ContextFactory, setExit: SetExit): void {
  program
    .command('set-parent')
    .description("point a differencing child at a (moved or copied) parent; it must be the same disk")
    .argument('<child>', 'the differencing image')
    .argument('<parent>', 'the new parent path')
    .option('--force', "accept a different unique id when the parent's bytes match")
    .action(async (child: string, parent: string, options: { force?: boolean }) => {
      const ctx = context();
      const childPath = ctx.userPath(child);
      const parentPath = ctx.userPath(parent);
      await setParent(childPath, parentPath, { force: options.force === true });
      printResult(ctx, { childPath, parentPath }, `${childPath} now points at ${parentPath}`);
      setExit(0);
    });
}

export function registerConvert(program: Command, context: ContextFactory, setExit: SetExit): void {
  program
    .command('convert')
    .description('flatten an image and its chain into a new standalone fixed or dynamic image')
    .argument('<source>', 'the image to read (with its chain)')
    .argument('<destination>', 'the new image (never replaces an existing file)')
    .requiredOption('--type <type>', 'fixed or dynamic')
    .action(async (source: string, destination: string, options: { type: string }) => {
      const ctx = context();
      if (options.type !== 'fixed' && options.type !== 'dynamic') throw refusal('E_INVALIDARG', ctx.lang, `--type ${options.type}`);
      const bar = progressBar(ctx.io, ctx.quiet, 'Convert');
      try {
        const disk = await convert(ctx.userPath(source), ctx.userPath(destination), {
          type: options.type, signal: ctx.stopSignal, onProgress: (p) => bar.update(p.bytesWritten, p.totalBytes),
        });
        bar.stop();
        printResult(ctx, createdDiskJson(disk), describeCreated(disk));
      } catch (error) {
        bar.stop();
        throw stoppedReason(ctx, error);
      }
      setExit(0);
    });
}

export function registerCheck(program: Command, context: ContextFactory, setExit: SetExit): void {
  program
    .command('check')
    .description('report everything wrong with an image (exit 0 clean, 2 problems found, 1 error)')
    .argument('<image>', 'the image')
    .option('--repair', 'fix what is safe to fix (footer copy, checksums, a truncated trailing footer)')
    .action(async (image: string, options: { repair?: boolean }) => {
      const ctx = context();
      const path = ctx.userPath(image);
      if (options.repair === true) {
        const outcome = await repair(path);
        const lines = repairReportLines(outcome, path, ctx.lang);
        printResult(ctx, outcome, lines.join('\n'));
        setExit(outcome.after.ok ? 0 : CHECK_PROBLEMS_EXIT_CODE);
        return;
      }
      const report = await check(path);
      const lines = checkReportLines(report, path, ctx.lang);
      printResult(ctx, report, lines.join('\n'));
      setExit(report.ok ? 0 : CHECK_PROBLEMS_EXIT_CODE);
    });
}
