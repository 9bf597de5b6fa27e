import { convert } from '@vhdkit/vhd-diff';
import type { CommandContext } from '../command-context.js';
import { printResult } from '../command-context.js';
import { createdDiskJson, describeCreated } from '../created-disk.js';
import { progressBar } from '../progress.js';
import { stoppedReason } from '../stopped-reason.js';

/** `vpc convert <source> <destination> --type fixed|dynamic`: flattens the chain into a new image. Returns the exit code. */
export async function convertImage(ctx: CommandContext, source: string, destination: string, options: { type: 'fixed' | 'dynamic' }): Promise<number> {
  const bar = progressBar(ctx.io, ctx.quiet, 'Convert');
  try {
    const disk = await convert(ctx.userPath(source), ctx.userPath(destination), {
      type: options.type, signal: ctx.stopSignal, onProgress: (p) => bar.update(p.bytesWritten, p.totalBytes),
      blockingReads: true, // a single-purpose process: as vpc cat
    });
    bar.stop();
    await printResult(ctx, createdDiskJson(disk), describeCreated(disk));
  } catch (error) {
    bar.stop();
    throw await stoppedReason(ctx, error);
  }
  return 0;
}
