import type { Command } from 'commander';
import { Option } from 'commander';
import type { ContextFactory, SetExit } from '../command-context.js';
import type { CommonCreateOptions, CreateOptions } from '../actions/create.js';

// Registration only: the VirtualPC facade, its volume probe and the progress bar load when a creation runs.

const RELATIVE_PATHS_HELP = `
Relative paths are relative to the current folder, as for every vpc command
(\`vpc create-diff child.vhd base.vhd\` in the parent's folder). The API itself
(VirtualPC.createDifferencingVirtualHardDisk) keeps Virtual PC's rule instead: a
relative path is resolved against the folder of the other path. A path that
ends in a separator names a folder and is refused (ERROR_INVALID_NAME).`;

export function registerCreateDiff(program: Command, context: ContextFactory, setExit: SetExit): void {
  program
    .command('create-diff')
    .description('create a differencing disk')
    .argument('<imagePath>', 'the new child image')
    .argument('<parentPath>', 'the parent image (fixed, dynamic or differencing)')
    .option('--require-hardware-virtualization', 'refuse when the CPU lacks vmx/svm')
    .option('--min-free <size>', 'free space the volume must have before starting (default 8M)')
    .addHelpText('after', RELATIVE_PATHS_HELP)
    .action(async (imagePath: string, parentPath: string, options: CommonCreateOptions) => {
      const ctx = context();
      const { createDifferencing } = await import('../actions/create.js');
      setExit(await createDifferencing(ctx, imagePath, parentPath, options));
    });
}

export function registerCreate(program: Command, context: ContextFactory, setExit: SetExit): void {
  program
    .command('create')
    .description('create a fixed or dynamic disk (a relative path is relative to the current folder)')
    .argument('<path>', 'the new image')
    .requiredOption('--size <size>', 'virtual size: whole bytes, or with a K, M, G or T suffix (binary multiples: 64M, 1.5G)')
    .addOption(new Option('--type <type>', 'disk type').choices(['dynamic', 'fixed']).default('dynamic'))
    .option('--block-size <size>', 'dynamic disks: block size (default 2M)')
    .option('--require-hardware-virtualization', 'refuse when the CPU lacks vmx/svm')
    .option('--min-free <size>', 'free space the volume must have before starting (default 8M)')
    .action(async (path: string, options: CreateOptions) => {
      const ctx = context();
      const { createStandalone } = await import('../actions/create.js');
      setExit(await createStandalone(ctx, path, options));
    });
}
