import type { Command } from 'commander';
import { Option } from 'commander';
import type { ContextFactory, SetExit } from '../command-context.js';
import type { WriteOptions } from '../actions/write.js';
import { IMAGE_LOCATION } from './image-location.js';

// Registration only: each action imports its implementation (vhd-diff, progress bar…) when it runs, so
// `vpc --version`, `vpc --help` and the other commands do not pay for loading it.

export function registerCat(program: Command, context: ContextFactory, setExit: SetExit): void {
  program
    .command('cat')
    .description("write the virtual disk's bytes (through its whole chain) to stdout")
    .argument(IMAGE_LOCATION.name, IMAGE_LOCATION.description)
    .action(async (image: string) => {
      const ctx = context();
      const { catImage } = await import('../actions/cat.js');
      setExit(await catImage(ctx, image));
    });
}

export function registerWrite(program: Command, context: ContextFactory, setExit: SetExit): void {
  program
    .command('write')
    .description('write bytes from a file or stdin into the virtual disk at an offset')
    .argument('<image>', 'a fixed, dynamic or differencing image (opened for writing)')
    .requiredOption('--offset <bytes>', 'virtual byte offset: whole bytes, or with a K, M, G or T suffix (binary multiples: 4K, 1.5M)')
    .option('--input <file>', "the bytes to write; '-' for stdin", '-')
    .action(async (image: string, options: WriteOptions) => {
      const ctx = context();
      const { writeImage } = await import('../actions/write.js');
      setExit(await writeImage(ctx, image, options));
    });
}

const MERGE_HELP = `
After a successful merge the child file is deleted, as Hyper-V's Merge-VHD does:
its sectors are now in the parent (other children of that parent no longer
match it). A merge that fails or is interrupted leaves the child in place;
running vpc merge on it again finishes the job (<child>.merge-journal records it).`;

export function registerMerge(program: Command, context: ContextFactory, setExit: SetExit): void {
  program
    .command('merge')
    .description('commit a differencing child into its parent (only the sectors the child holds), then delete the child')
    .argument('<child>', 'the differencing image (deleted after a successful merge)')
    .addHelpText('after', MERGE_HELP)
    .action(async (child: string) => {
      const ctx = context();
      const { mergeChild } = await import('../actions/merge.js');
      setExit(await mergeChild(ctx, child));
    });
}

export function registerSetParent(program: Command, context: ContextFactory, setExit: SetExit): void {
  program
    .command('set-parent')
    .description("point a differencing child at a (moved or copied) parent; it must be the same disk")
    .argument('<child>', 'the differencing image')
    .argument('<parent>', 'the new parent path')
    .option('--force', "accept a different unique id when the parent's bytes match")
    .action(async (child: string, parent: string, options: { force?: boolean }) => {
      const ctx = context();
      const { setChildParent } = await import('../actions/set-parent.js');
      setExit(await setChildParent(ctx, child, parent, options));
    });
}

export function registerConvert(program: Command, context: ContextFactory, setExit: SetExit): void {
  program
    .command('convert')
    .description('flatten an image and its chain into a new standalone fixed or dynamic image')
    .argument('<source>', 'the image to read (with its chain)')
    .argument('<destination>', 'the new image (never replaces an existing file)')
    .addOption(new Option('--type <type>', 'the new image\'s type').choices(['fixed', 'dynamic']).makeOptionMandatory())
    .action(async (source: string, destination: string, options: { type: 'fixed' | 'dynamic' }) => {
      const ctx = context();
      const { convertImage } = await import('../actions/convert.js');
      setExit(await convertImage(ctx, source, destination, options));
    });
}

export function registerCheck(program: Command, context: ContextFactory, setExit: SetExit): void {
  program
    .command('check')
    .description('report everything wrong with an image (exit 0 clean, 2 problems found, 1 error)')
    .argument(IMAGE_LOCATION.name, IMAGE_LOCATION.description)
    .option('--repair', 'fix what is safe to fix (footer copy, checksums, a truncated trailing footer)')
    .action(async (image: string, options: { repair?: boolean }) => {
      const ctx = context();
      const { checkImage } = await import('../actions/check.js');
      setExit(await checkImage(ctx, image, options));
    });
}

export function registerResize(program: Command, context: ContextFactory, setExit: SetExit): void {
  program
    .command('resize')
    .description('change the virtual size in place: grow any disk; shrink only when nothing past the new end holds data')
    .argument('<image>', 'a fixed or dynamic image (a differencing one only to its parent\'s size)')
    .requiredOption('--size <n>', 'the new virtual size in bytes (K, M, G, T suffixes allowed), a multiple of 512')
    .action(async (image: string, options: { size: string }) => {
      const ctx = context();
      const { resizeImage } = await import('../actions/resize.js');
      setExit(await resizeImage(ctx, image, options));
    });
}

export function registerCompact(program: Command, context: ContextFactory, setExit: SetExit): void {
  program
    .command('compact')
    .description('release the blocks a dynamic or differencing image does not need and shrink the file')
    .argument('<image>', 'a dynamic or differencing image (its parents are only read)')
    .option('--zero-matches-parent', 'differencing: also unmark sectors whose bytes equal the parent\'s')
    .action(async (image: string, options: { zeroMatchesParent?: boolean }) => {
      const ctx = context();
      const { compactImage } = await import('../actions/compact.js');
      setExit(await compactImage(ctx, image, options));
    });
}
