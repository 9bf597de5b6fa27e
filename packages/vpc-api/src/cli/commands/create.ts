import type { Command } from 'commander';
import type { ContextFactory, SetExit } from '../command-context.js';
import type { CommonCreateOptions, CreateOptions } from '../actions/create.js';

// Registration only: the VirtualPC facade, its volume probe and the progress bar load when a creation runs.

export function registerCreateDiff(program: Command, context: ContextFactory, setExit: SetExit): void {
  program
    .command('create-diff')
    .description('create a differencing disk; a relative path is resolved against the folder of the other path')
    // Optional in the parser so that a missing path reaches the API and reports E_POINTER like a null pointer would.
    .argument('[imagePath]', 'the new child image')
    .argument('[parentPath]', 'the parent image (fixed, dynamic or differencing)')
    .option('--require-hardware-virtualization', 'refuse when the CPU lacks vmx/svm')
    .option('--min-free <size>', 'free space the volume must have before starting (default 8M)')
    .action(async (imagePath: string | undefined, parentPath: string | undefined, options: CommonCreateOptions) => {
      const ctx = context();
      const { createDifferencing } = await import('../actions/create.js');
      setExit(await createDifferencing(ctx, imagePath, parentPath, options));
    });
}

export function registerCreate(program: Command, context: ContextFactory, setExit: SetExit): void {
  program
    .command('create')
    .description('create a fixed or dynamic disk (a relative path is relative to the working directory)')
    .argument('<path>', 'the new image')
    .requiredOption('--size <size>', 'virtual size in bytes, or with a K, M, G or T suffix (binary multiples)')
    .option('--type <type>', 'dynamic or fixed', 'dynamic')
    .option('--block-size <size>', 'dynamic disks: block size (default 2M)')
    .option('--require-hardware-virtualization', 'refuse when the CPU lacks vmx/svm')
    .option('--min-free <size>', 'free space the volume must have before starting (default 8M)')
    .action(async (path: string, options: CreateOptions) => {
      const ctx = context();
      const { createStandalone } = await import('../actions/create.js');
      setExit(await createStandalone(ctx, path, options));
    });
}
