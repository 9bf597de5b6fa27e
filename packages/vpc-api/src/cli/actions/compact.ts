import { compact } from '@vhdkit/vhd-diff';
import type { CommandContext } from '../command-context.js';
import { printResult } from '../command-context.js';
import { compactResultJson } from '../command-results.js';
import { progressBar } from '../progress.js';
import { stoppedReason } from '../stopped-reason.js';

/** `vpc compact <image> [--zero-matches-parent]`: releases unneeded blocks and shrinks the file. Returns the exit code. */
export async function compactImage(ctx: CommandContext, image: string, options: { zeroMatchesParent?: boolean }): Promise<number> {
  const bar = progressBar(ctx.io, ctx.quiet, 'Compact');
  try {
    const result = await compact(ctx.userPath(image), {
      zeroMatchesParent: options.zeroMatchesParent ?? false,
      signal: ctx.stopSignal,
      onProgress: (p) => bar.update(p.bytesWritten, p.totalBytes),
    });
    bar.stop();
    await printResult(
      ctx,
      compactResultJson(result),
      `Compacted ${result.path}: ${result.blocksBefore} → ${result.blocksAfter} blocks, ${result.fileSizeBefore} → ${result.fileSizeAfter} bytes` +
        (result.sectorsUnmarked > 0 ? ` (${result.sectorsUnmarked} sectors equal to the parent's unmarked)` : ''),
    );
  } catch (error) {
    bar.stop();
    throw await stoppedReason(ctx, error);
  }
  return 0;
}
