import path from 'node:path';
import type { CreatedDisk } from '@vhdkit/vhd-diff';
import { VhdIoError } from '@vhdkit/vhd-diff';
import type { Language } from '@vhdkit/vpc-errors';
import { VpcError } from '@vhdkit/vpc-errors';
import type { VMTask } from '../task/vm-task.js';
import type { VirtualPC } from '../virtual-pc.js';
import type { CliIo } from './cli-io.js';
import { writeLine } from './cli-io.js';
import { progressBar } from './progress.js';

/** What every command action gets. */
export interface CommandContext {
  io: CliIo;
  lang: Language;
  json: boolean;
  quiet: boolean;
  /** Builds the facade with the CLI's language and probe (options such as hardware checks vary per command). */
  virtualPc(options?: { requireHardwareVirtualization?: boolean; minimumFreeBytes?: number }): VirtualPC;
  /** Aborted (reason: VM_E_APP_SHUTTING_DOWN) on SIGINT/SIGTERM; chain commands pass it to vhd-diff. */
  stopSignal: AbortSignal;
  /** A user path for single-path commands: relative to the shell's working directory, as every CLI does. */
  userPath(text: string): string;
}

export function userPathResolver(cwd: string): (text: string) => string {
  return (text) => path.resolve(cwd, text);
}

/** Prints a JSON result or a line of text. */
export function printResult(context: CommandContext, json: unknown, text: string): void {
  writeLine(context.io.stdout, context.json ? JSON.stringify(json, null, 2) : text);
}

/** A chain operation that failed because SIGINT/SIGTERM stopped it reports why it was stopped. */
export function stoppedReason(context: CommandContext, error: unknown): unknown {
  const signal = context.stopSignal;
  const abortedBySignal = (error instanceof VhdIoError && error.code === 'ABORTED') || (error as { name?: unknown } | null)?.name === 'AbortError';
  if (signal.aborted && signal.reason instanceof VpcError && abortedBySignal) {
    return new VpcError(signal.reason.code, { lang: context.lang, detail: signal.reason.detail, cause: error });
  }
  return error;
}

export function createdDiskJson(disk: CreatedDisk) {
  return {
    path: disk.path,
    type: disk.diskType,
    virtualSize: disk.virtualSize,
    fileSize: disk.fileSize,
    blockSize: disk.blockSize ?? null,
    uniqueId: disk.uniqueIdText,
    parent: disk.parent === undefined ? null : { path: disk.parent.path, uniqueId: disk.parent.uniqueIdText, locators: disk.parent.locators },
  };
}

/** Runs a creation task to its end with a progress bar (SIGINT/SIGTERM shut the VirtualPC down, which cancels it). */
export async function finishTask(context: CommandContext, task: VMTask<CreatedDisk>): Promise<CreatedDisk> {
  const bar = progressBar(context.io, context.quiet, task.description);
  task.on('progress', (progress) => bar.update(progress.bytesWritten, progress.totalBytes));
  try {
    return await task.completion;
  } finally {
    bar.stop();
  }
}

export function describeCreated(disk: CreatedDisk): string {
  const parent = disk.parent === undefined ? '' : `, parent ${disk.parent.path}`;
  return `Created ${disk.diskType} disk ${disk.path} (${disk.virtualSize} bytes virtual, ${disk.fileSize} bytes on disk, id ${disk.uniqueIdText}${parent})`;
}
