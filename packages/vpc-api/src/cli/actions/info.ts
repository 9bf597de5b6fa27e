import type { CommandContext } from '../command-context.js';
import { printResult } from '../command-context.js';
import { readImageInfoWithMetadata, renderInfoText } from '../info-report.js';

/** `vpc info <image>` (a path or an http(s) URL): every footer and header field (or the `--json` report). Returns the exit code. */
export async function showInfo(ctx: CommandContext, path: string): Promise<number> {
  const { metadata, report } = await readImageInfoWithMetadata(ctx.userLocation(path));
  await printResult(ctx, report, ctx.json ? '' : renderInfoText(metadata, report));
  return 0;
}
