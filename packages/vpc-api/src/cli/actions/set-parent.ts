import { setParent } from '@vhdkit/vhd-diff';
import type { CommandContext } from '../command-context.js';
import { printResult } from '../command-context.js';
import type { SetParentResultJson } from '../command-results.js';

/** `vpc set-parent <child> <parent> [--force]`: re-points the child. Returns the exit code. */
export async function setChildParent(ctx: CommandContext, child: string, parent: string, options: { force?: boolean }): Promise<number> {
  const childPath = ctx.userPath(child);
  const parentPath = ctx.userPath(parent);
  await setParent(childPath, parentPath, { force: options.force === true });
  const result: SetParentResultJson = { childPath, parentPath };
  await printResult(ctx, result, `${childPath} now points at ${parentPath}`);
  return 0;
}
