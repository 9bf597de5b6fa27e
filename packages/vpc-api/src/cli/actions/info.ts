import type { CommandContext } from '../command-context.js';
import { printResult } from '../command-context.js';
import { readImageInfoWithMetadata, renderInfoText, resolvedChain } from '../info-report.js';

/** `vpc info <path>`: every footer and header field (or the `--json` report). Returns the exit code. */
export async function showInfo(ctx: CommandContext, path: string): Promise<number> {
  const { metadata, report } = await readImageInfoWithMetadata(ctx.userPath(path));
  if (ctx.json) {
    await printResult(ctx, report, '');
  } else {
    await printResult(ctx, report, renderInfoText(metadata, report, await resolvedChain(report)));
  }
  return 0;
}
