import type { Command } from 'commander';
import { DETAILS, detail } from '../../errors/details.js';
import { refusal } from '../../errors/hresult-map.js';
import type { CommandContext } from '../command-context.js';
import { createdDiskJson, describeCreated, finishTask, printResult } from '../command-context.js';
import { parseSizeArgument } from '../size-argument.js';

type ContextFactory = () => CommandContext;

interface CommonCreateOptions {
  requireHardwareVirtualization?: boolean;
  minFree?: string;
}

function facadeOptions(ctx: CommandContext, options: CommonCreateOptions): { requireHardwareVirtualization: boolean; minimumFreeBytes?: number } {
  const requireHardwareVirtualization = options.requireHardwareVirtualization === true;
  if (options.minFree === undefined) return { requireHardwareVirtualization };
  const minimumFreeBytes = parseSizeArgument(options.minFree);
  if (minimumFreeBytes === undefined) throw refusal('E_INVALIDARG', ctx.lang, `--min-free ${options.minFree}`);
  return { requireHardwareVirtualization, minimumFreeBytes };
}

export function registerCreateDiff(program: Command, context: ContextFactory, setExit: (code: number) => void): void {
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
      const vpc = ctx.virtualPc(facadeOptions(ctx, options));
      const task = await vpc.createDifferencingVirtualHardDisk(imagePath as string, parentPath as string);
      const disk = await finishTask(ctx, task);
      printResult(ctx, createdDiskJson(disk), describeCreated(disk));
      setExit(0);
    });
}

export function registerCreate(program: Command, context: ContextFactory, setExit: (code: number) => void): void {
  program
    .command('create')
    .description('create a fixed or dynamic disk (a relative path is relative to the working directory)')
    .argument('<path>', 'the new image')
    .requiredOption('--size <size>', 'virtual size in bytes, or with a K, M, G or T suffix (binary multiples)')
    .option('--type <type>', 'dynamic or fixed', 'dynamic')
    .option('--block-size <size>', 'dynamic disks: block size (default 2M)')
    .option('--require-hardware-virtualization', 'refuse when the CPU lacks vmx/svm')
    .option('--min-free <size>', 'free space the volume must have before starting (default 8M)')
    .action(async (path: string, options: CommonCreateOptions & { size: string; type: string; blockSize?: string }) => {
      const ctx = context();
      const sizeBytes = parseSizeArgument(options.size);
      if (sizeBytes === undefined) throw refusal('E_INVALIDARG', ctx.lang, `--size ${options.size}`);
      if (options.type !== 'dynamic' && options.type !== 'fixed') throw refusal('E_INVALIDARG', ctx.lang, `--type ${options.type}`);
      const blockSize = options.blockSize === undefined ? undefined : parseSizeArgument(options.blockSize);
      if (options.blockSize !== undefined && blockSize === undefined) throw refusal('E_INVALIDARG', ctx.lang, `--block-size ${options.blockSize}`);
      if (options.type === 'fixed' && blockSize !== undefined) throw refusal('E_INVALIDARG', ctx.lang, detail(ctx.lang, DETAILS.blockSizeForFixed, {}));
      const vpc = ctx.virtualPc(facadeOptions(ctx, options));
      const imagePath = ctx.userPath(path);
      const task =
        options.type === 'fixed'
          ? await vpc.createFixedVirtualHardDisk(imagePath, sizeBytes)
          : await vpc.createDynamicVirtualHardDisk(imagePath, sizeBytes, blockSize === undefined ? {} : { blockSize });
      const disk = await finishTask(ctx, task);
      printResult(ctx, createdDiskJson(disk), describeCreated(disk));
      setExit(0);
    });
}
