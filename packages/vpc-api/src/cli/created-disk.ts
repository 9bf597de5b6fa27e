import type { CreatedDisk } from '@vhdkit/vhd-diff';
import type { VMTask } from '../task/vm-task.js';
import type { CommandContext } from './command-context.js';
import { progressBar } from './progress.js';

/** The `--json` shape of a created (or converted) disk: `vpc create`, `create-diff`, `convert` (schemas/created-disk.schema.json). */
export interface CreatedDiskJson {
  path: string;
  type: CreatedDisk['diskType'];
  virtualSize: number;
  fileSize: number;
  /** null for a fixed disk. */
  blockSize: number | null;
  uniqueId: string;
  /** A differencing disk's parent and the paths written into its locators; null otherwise. */
  parent: { path: string; uniqueId: string; locators: { platformCode: string; path: string }[] } | null;
}

export function createdDiskJson(disk: CreatedDisk): CreatedDiskJson {
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

export function describeCreated(disk: CreatedDisk): string {
  const parent = disk.parent === undefined ? '' : `, parent ${disk.parent.path}`;
  return `Created ${disk.diskType} disk ${disk.path} (${disk.virtualSize} bytes virtual, ${disk.fileSize} bytes on disk, id ${disk.uniqueIdText}${parent})`;
}

/** Awaits a creation task (its checks, then its work) with a progress bar (SIGINT/SIGTERM shut the VirtualPC down, which cancels it). */
export async function finishTask(context: CommandContext, task: VMTask<CreatedDisk>): Promise<CreatedDisk> {
  const bar = progressBar(context.io, context.quiet, task.description);
  task.on('progress', (progress) => bar.update(progress.bytesWritten, progress.totalBytes));
  try {
    return await task;
  } finally {
    bar.stop();
  }
}
