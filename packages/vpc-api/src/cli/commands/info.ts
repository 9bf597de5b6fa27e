import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { printResult } from '../command-context.js';
import { readImageInfoWithMetadata, renderInfoText, resolvedChain } from '../info-report.js';

export function registerInfo(program: Command, context: () => CommandContext, setExit: (code: number) => void): void {
  program
    .command('info')
    .description('show every footer and header field, the parent locators with their paths, allocated blocks and the chain')
    .argument('<path>', 'the image')
    .action(async (path: string) => {
      const ctx = context();
      const { metadata, report } = await readImageInfoWithMetadata(ctx.userPath(path));
      if (ctx.json) {
        printResult(ctx, report, '');
      } else {
        printResult(ctx, report, renderInfoText(metadata, report, await resolvedChain(report)));
      }
      setExit(0);
    });
}
