import { check, repair } from '@vhdkit/vhd-diff';
import { checkReportLines, repairReportLines } from '../check-report-text.js';
import { checkResultJson } from '../command-results.js';
import type { CommandContext } from '../command-context.js';
import { printResult } from '../command-context.js';

/** Exit status of `vpc check`: 0 clean, 2 problems found (1 is any error, as for every command). */
export const CHECK_PROBLEMS_EXIT_CODE = 2;

/** `vpc check <image> [--repair]`: reports (and optionally fixes) problems. Returns the exit code. */
export async function checkImage(ctx: CommandContext, image: string, options: { repair?: boolean }): Promise<number> {
  const path = ctx.userLocation(image);
  if (options.repair === true) {
    const outcome = await repair(path);
    const lines = repairReportLines(outcome, path, ctx.lang);
    await printResult(ctx, checkResultJson(outcome.after, outcome.repaired), lines.join('\n'));
    return outcome.after.ok ? 0 : CHECK_PROBLEMS_EXIT_CODE;
  }
  const report = await check(path);
  const lines = checkReportLines(report, path, ctx.lang);
  await printResult(ctx, checkResultJson(report), lines.join('\n'));
  return report.ok ? 0 : CHECK_PROBLEMS_EXIT_CODE;
}
