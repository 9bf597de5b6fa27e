import { DETAILS, detail } from '../../errors/details.js';
import { refusal } from '../../errors/hresult-map.js';
import type { CommandContext } from '../command-context.js';
import { printResult } from '../command-context.js';
import { createdDiskJson, describeCreated, finishTask } from '../created-disk.js';
import { parseSizeArgument } from '../size-argument.js';
import { badByteCount } from '../usage-help.js';

export interface CommonCreateOptions {
  requireHardwareVirtualization?: boolean;
  minFree?: string;
}

export interface CreateOptions extends CommonCreateOptions {
  size: string;
  /** 'dynamic' or 'fixed' (commander checks the choice). */
  type: 'dynamic' | 'fixed';
  blockSize?: string;
}

function facadeOptions(
  ctx: CommandContext,
  command: 'create' | 'create-diff',
  options: CommonCreateOptions,
): { requireHardwareVirtualization: boolean; minimumFreeBytes?: number } {
  const requireHardwareVirtualization = options.requireHardwareVirtualization === true;
  if (options.minFree === undefined) return { requireHardwareVirtualization };
  const minimumFreeBytes = parseSizeArgument(options.minFree);
  if (minimumFreeBytes === undefined) throw badByteCount(command, '--min-free', options.minFree, ctx.lang);
  return { requireHardwareVirtualization, minimumFreeBytes };
}

/** `vpc create-diff <image> <parent>`: a differencing disk through the VirtualPC facade. Returns the exit code. */
export async function createDifferencing(ctx: CommandContext, imagePath: string, parentPath: string, options: CommonCreateOptions): Promise<number> {
  const vpc = await ctx.virtualPc(facadeOptions(ctx, 'create-diff', options));
  // Both paths are resolved against the working directory here; the facade's rule (a relative path is relative to
  // the other path's folder) then only normalises them.
  const task = vpc.createDifferencingVirtualHardDisk(ctx.userPath(imagePath), ctx.userPath(parentPath));
  const disk = await finishTask(ctx, task);
  await printResult(ctx, createdDiskJson(disk), describeCreated(disk));
  return 0;
}

/** `vpc create <path> --size N [--type fixed|dynamic]`: a standalone disk through the facade. Returns the exit code. */
export async function createStandalone(ctx: CommandContext, path: string, options: CreateOptions): Promise<number> {
  const sizeBytes = parseSizeArgument(options.size);
  if (sizeBytes === undefined) throw badByteCount('create', '--size', options.size, ctx.lang);
  const blockSize = options.blockSize === undefined ? undefined : parseSizeArgument(options.blockSize);
  if (options.blockSize !== undefined && blockSize === undefined) throw badByteCount('create', '--block-size', options.blockSize, ctx.lang);
  if (options.type === 'fixed' && blockSize !== undefined) throw refusal('E_INVALIDARG', ctx.lang, detail(ctx.lang, DETAILS.blockSizeForFixed, {}));
  const vpc = await ctx.virtualPc(facadeOptions(ctx, 'create', options));
  const imagePath = ctx.userPath(path);
  const task =
    options.type === 'fixed'
      ? vpc.createFixedVirtualHardDisk(imagePath, sizeBytes)
      : vpc.createDynamicVirtualHardDisk(imagePath, sizeBytes, blockSize === undefined ? {} : { blockSize });
  const disk = await finishTask(ctx, task);
  await printResult(ctx, createdDiskJson(disk), describeCreated(disk));
  return 0;
}
