import { merge } from '@vhdkit/vhd-diff';
import type { CommandContext } from '../command-context.js';
import { printResult } from '../command-context.js';
import { mergeResultJson } from '../command-results.js';
import { progressBar } from '../progress.js';
import { stoppedReason } from '../stopped-reason.js';

/** `vpc merge <child>`: commits the child's sectors into its parent, then deletes the child. Returns the exit code. */
export async function mergeChild(ctx: CommandContext, child: string): Promise<number> {
  const bar = progressBar(ctx.io, ctx.quiet, 'Merge');
  try {
    const result = await merge(ctx.userPath(child), { signal: ctx.stopSignal, onProgress: (p) => bar.update(p.bytesWritten, p.totalBytes) });
    bar.stop();
    await printResult(ctx, mergeResultJson(result), `Merged ${result.childPath} into ${result.parentPath}: ${result.sectorsCopied} sectors (${result.bytesCopied} bytes); ${result.childPath} deleted`);
  } catch (error) {
    bar.stop();
    throw await stoppedReason(ctx, error);
  }
  return 0;
}
