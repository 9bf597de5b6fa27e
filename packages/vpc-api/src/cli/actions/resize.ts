import { resize } from '@vhdkit/vhd-diff';
import { refusal } from '../../errors/hresult-map.js';
import type { CommandContext } from '../command-context.js';
import { printResult } from '../command-context.js';
import { progressBar } from '../progress.js';
import { parseSizeArgument } from '../size-argument.js';
import { stoppedReason } from '../stopped-reason.js';

/** `vpc resize <image> --size N`: grows (or, when nothing is in the way, shrinks) the virtual disk. Returns the exit code. */
export async function resizeImage(ctx: CommandContext, image: string, options: { size: string }): Promise<number> {
  const newSize = parseSizeArgument(options.size);
  if (newSize === undefined) throw refusal('E_INVALIDARG', ctx.lang, `--size ${options.size}`);
  const bar = progressBar(ctx.io, ctx.quiet, 'Resize');
  try {
    const result = await resize(ctx.userPath(image), newSize, { signal: ctx.stopSignal, onProgress: (p) => bar.update(p.bytesWritten, p.totalBytes) });
    bar.stop();
    const moved = result.blocksMoved + result.locatorsMoved > 0 ? ` (${result.blocksMoved} blocks and ${result.locatorsMoved} locators moved)` : '';
    printResult(ctx, result, `Resized ${result.path} from ${result.oldSize} to ${result.newSize} bytes${moved}`);
  } catch (error) {
    bar.stop();
    throw await stoppedReason(ctx, error);
  }
  return 0;
}
