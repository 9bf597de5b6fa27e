import { DETAILS, detail } from '../../errors/details.js';
import { refusal } from '../../errors/hresult-map.js';
import type { CommandContext } from '../command-context.js';
import { printResult } from '../command-context.js';
import { createdDiskJson, describeCreated, finishTask } from '../created-disk.js';
import { parseSizeArgument } from '../size-argument.js';

export interface CommonCreateOptions {
  requireHardwareVirtualization?: boolean;
  minFree?: string;
}

export interface CreateOptions extends CommonCreateOptions {
  size: string;
  type: string;
  blockSize?: string;
}

function facadeOptions(ctx: CommandContext, options: CommonCreateOptions): { requireHardwareVirtualization: boolean; minimumFreeBytes?: number } {
  const requireHardwareVirtualization = options.requireHardwareVirtualization === true;
  if (options.minFree === undefined) return { requireHardwareVirtualization };
  const minimumFreeBytes = parseSizeArgument(options.minFree);
  if (minimumFreeBytes === undefined) throw refusal('E_INVALIDARG', ctx.lang, `--min-free ${options.minFree}`);
  return { requireHardwareVirtualization, minimumFreeBytes };
}

/** `vpc create-diff <image> <parent>`: a differencing disk through the VirtualPC facade. Returns the exit code. */
export async function createDifferencing(
  ctx: CommandContext,
  imagePath: string | undefined,
  parentPath: string | undefined,
  options: CommonCreateOptions,
): Promise<number> {
  const vpc = await ctx.virtualPc(facadeOptions(ctx, options));
  // Missing paths go through as they are, so the facade reports E_POINTER like a null pointer would.
  const task = vpc.createDifferencingVirtualHardDisk(imagePath as string, parentPath as string);
  const disk = await finishTask(ctx, task);
  printResult(ctx, createdDiskJson(disk), describeCreated(disk));
  return 0;
}

/** `vpc create <path> --size N [--type fixed|dynamic]`: a standalone disk through the facade. Returns the exit code. */
export async function createStandalone(ctx: CommandContext, path: string, options: CreateOptions): Promise<number> {
  const sizeBytes = parseSizeArgument(options.size);
  if (sizeBytes === undefined) throw refusal('E_INVALIDARG', ctx.lang, `--size ${options.size}`);
  if (options.type !== 'dynamic' && options.type !== 'fixed') throw refusal('E_INVALIDARG', ctx.lang, `--type ${options.type}`);
  const blockSize = options.blockSize === undefined ? undefined : parseSizeArgument(options.blockSize);
  if (options.blockSize !== undefined && blockSize === undefined) throw refusal('E_INVALIDARG', ctx.lang, `--block-size ${options.blockSize}`);
  if (options.type === 'fixed' && blockSize !== undefined) throw refusal('E_INVALIDARG', ctx.lang, detail(ctx.lang, DETAILS.blockSizeForFixed, {}));
  const vpc = await ctx.virtualPc(facadeOptions(ctx, options));
  const imagePath = ctx.userPath(path);
  const task =
    options.type === 'fixed'
      ? vpc.createFixedVirtualHardDisk(imagePath, sizeBytes)
      : vpc.createDynamicVirtualHardDisk(imagePath, sizeBytes, blockSize === undefined ? {} : { blockSize });
  const disk = await finishTask(ctx, task);
  printResult(ctx, createdDiskJson(disk), describeCreated(disk));
  return 0;
}
