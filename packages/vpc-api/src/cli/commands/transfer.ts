import type { Command } from 'commander';
import type { ContextFactory, SetExit } from '../command-context.js';
import type { ImportCliOptions } from '../actions/import.js';

// Registration only: the facade, vhd-diff and the progress bar load when an import or export runs.

export function registerImport(program: Command, context: ContextFactory, setExit: SetExit): void {
  program
    .command('import')
    .description('make a fixed or dynamic VHD from a raw disk image (a file, or - for stdin); dynamic stores only non-zero blocks')
    .argument('<raw>', "the raw disk image; '-' for stdin")
    .argument('<image>', 'the new image (never replaces an existing file)')
    .option('--type <type>', 'dynamic or fixed (default dynamic; fixed with --azure)')
    .option('--size <size>', 'virtual size (K, M, G, T suffixes); default the raw length; the raw image must fit')
    .option('--block-size <size>', 'dynamic disks: block size (default 2M)')
    .option('--azure', "Azure's rules for uploaded VHDs: fixed, virtual size rounded up to a whole MiB")
    .action(async (raw: string, image: string, options: ImportCliOptions) => {
      const ctx = context();
      const { importImage } = await import('../actions/import.js');
      setExit(await importImage(ctx, raw, image, options));
    });
}

export function registerExport(program: Command, context: ContextFactory, setExit: SetExit): void {
  program
    .command('export')
    .description('write an image and its chain as one standalone VHD to a new file or stdout (length known up front)')
    .argument('<image>', 'the image to read (with its chain)')
    .argument('[output]', "the new image (never replaces an existing file); '-' or nothing for stdout")
    .option('--type <type>', 'dynamic or fixed', 'dynamic')
    .action(async (image: string, output: string | undefined, options: { type: string }) => {
      const ctx = context();
      const { exportImage } = await import('../actions/export.js');
      setExit(await exportImage(ctx, image, output, options));
    });
}
