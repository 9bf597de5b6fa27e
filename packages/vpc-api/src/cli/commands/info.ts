import type { Command } from 'commander';
import type { ContextFactory, SetExit } from '../command-context.js';
import { IMAGE_LOCATION } from './image-location.js';

// Registration only: the metadata reader loads when `vpc info` runs.

export function registerInfo(program: Command, context: ContextFactory, setExit: SetExit): void {
  program
    .command('info')
    .description('show every footer and header field, the parent locators with their paths, allocated blocks and the chain')
    .argument(IMAGE_LOCATION.name, IMAGE_LOCATION.description)
    .action(async (image: string) => {
      const ctx = context();
      const { showInfo } = await import('../actions/info.js');
      setExit(await showInfo(ctx, image));
    });
}
