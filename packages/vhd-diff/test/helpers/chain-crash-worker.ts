/**
 * Child process for the crash tests. Run (after compiling to JavaScript) as:
 *   node chain-crash-worker.js <vhd-diff module URL> <task JSON>
 * It counts the mutating file-handle calls (write, truncate, sync…) the library makes and kills itself
 * with SIGKILL right after call number `killAfterOps`, i.e. at an exact point between two writes.
 * When it is not killed it prints {"ops": n}: the number of points available.
 */
import { open } from 'node:fs/promises';
import { patternBytes } from './chain-images.js';

export interface CrashWrite {
  offset: number;
  length: number;
  seed: number;
}

export type CrashTask =
  | { kind: 'write'; path: string; writes: CrashWrite[]; killAfterOps: number; tableEntriesOnFlush?: boolean; flushEvery?: number }
  | { kind: 'merge'; childPath: string; killAfterOps: number }
  | { kind: 'set-parent'; childPath: string; parentPath: string; killAfterOps: number }
  | { kind: 'resize'; path: string; newSize: number; killAfterOps: number }
  | { kind: 'compact'; path: string; killAfterOps: number };

const MUTATING_CALLS = ['write', 'writev', 'writeFile', 'truncate', 'sync', 'datasync'] as const;

async function main(): Promise<void> {
  const [moduleUrl, taskJson] = process.argv.slice(2);
  const task = JSON.parse(taskJson!) as CrashTask;
  let ops = 0;
  const probe = await open(process.argv[1]!, 'r');
  const prototype = Object.getPrototypeOf(probe) as Record<string, (...args: unknown[]) => Promise<unknown>>;
  await probe.close();
  for (const name of MUTATING_CALLS) {
    const original = prototype[name]!;
    prototype[name] = async function (this: unknown, ...args: unknown[]) {
      const result = await original.apply(this, args);
      if (++ops === task.killAfterOps) process.kill(process.pid, 'SIGKILL');
      return result;
    };
  }
  const vhd = (await import(moduleUrl!)) as typeof import('../../src/index.js');
  if (task.kind === 'write') {
    const disk = await vhd.openDisk(task.path, { writable: true, tableEntriesOnFlush: task.tableEntriesOnFlush === true });
    for (const [index, write] of task.writes.entries()) {
      await disk.write(patternBytes(write.length, write.seed), write.offset);
      if (task.flushEvery !== undefined && (index + 1) % task.flushEvery === 0) await disk.flush();
    }
    await disk.close();
  } else if (task.kind === 'merge') {
    await vhd.merge(task.childPath);
  } else if (task.kind === 'set-parent') {
    await vhd.setParent(task.childPath, task.parentPath);
  } else if (task.kind === 'resize') {
    await vhd.resize(task.path, task.newSize);
  } else {
    await vhd.compact(task.path);
  }
  process.stdout.write(JSON.stringify({ ops }));
}

await main();
