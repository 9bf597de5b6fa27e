import { resize } from '@vhdkit/vhd-diff';
import type { CommandContext } from '../command-context.js';
import { printResult } from '../command-context.js';
import { resizeResultJson } from '../command-results.js';
import { progressBar } from '../progress.js';
import { parseSizeArgument } from '../size-argument.js';
import { stoppedReason } from '../stopped-reason.js';
import { badByteCount } from '../usage-help.js';

/** `vpc resize <image> --size N`: grows (or, when nothing is in the way, shrinks) the virtual disk. Returns the exit code. */
export async function resizeImage(ctx: CommandContext, image: string, options: { size: string }): Promise<number> {
  const newSize = parseSizeArgument(options.size);
  if (newSize === undefined) throw badByteCount('resize', '--size', options.size, ctx.lang);
  const bar = progressBar(ctx.io, ctx.quiet, 'Resize');
  try {
    const result = await resize(ctx.userPath(image), newSize, { signal: ctx.stopSignal, onProgress: (p) => bar.update(p.bytesWritten, p.totalBytes) });
    bar.stop();
    const moved = result.blocksMoved + result.locatorsMoved > 0 ? ` (${result.blocksMoved} blocks and ${result.locatorsMoved} locators moved)` : '';
    await printResult(ctx, resizeResultJson(result), `Resized ${result.path} from ${result.oldSize} to ${result.newSize} bytes${moved}`);
  } catch (error) {
    bar.stop();
    throw await stoppedReason(ctx, error);
  }
  return 0;
}
