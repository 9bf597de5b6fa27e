import { WriteStream } from 'node:fs';
import { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { copyDiskTo, openDisk } from '@vhdkit/vhd-diff';
import type { VhdDisk } from '@vhdkit/vhd-diff';
import type { CommandContext } from '../command-context.js';
import { stoppedReason } from '../stopped-reason.js';

/** `vpc cat <image>`: the virtual disk's bytes, through its whole chain, on stdout. Returns the exit code. */
export async function catImage(ctx: CommandContext, image: string): Promise<number> {
  // Blocking reads: this process does nothing else meanwhile, and a thread-pool hand-off per chunk costs more
  // than the chunk's copy on some virtual machines (BENCHMARKS.md, case 3).
  const disk = await openDisk(ctx.userLocation(image), { blockingReads: true });
  try {
    await copyToStdout(disk, ctx);
  } catch (error) {
    // A reader that goes away (`vpc cat x | head`) is not a failure of ours.
    if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw await stoppedReason(ctx, error);
  } finally {
    await disk.close();
  }
  return 0;
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
