// Type tests: compiled (never run) by the repository's TypeScript and by TypeScript 5 (`npm run typecheck`). Each
// assertion is a compile error when the declared types drift from what the code does at run time.
import { describe, expectTypeOf, it } from 'vitest';
import type { CreatedDisk, TaskProgress, VpcError } from '../../src/index.js';
import { VMTask, VirtualPC } from '../../src/index.js';

declare const vpc: VirtualPC;

describe('VMTask types', () => {
  it('a bare VMTask annotation means VMTask<CreatedDisk>', () => {
    expectTypeOf<VMTask>().toEqualTypeOf<VMTask<CreatedDisk>>();
  });

  it('every creation method returns its task synchronously, and the task is a PromiseLike of the disk', () => {
    expectTypeOf(vpc.createDifferencingVirtualHardDisk('c.vhd', '/vms/p.vhd')).toEqualTypeOf<VMTask<CreatedDisk>>();
    expectTypeOf(vpc.createDynamicVirtualHardDisk('/vms/d.vhd', 1 << 30, { blockSize: 512 * 1024 })).toEqualTypeOf<VMTask<CreatedDisk>>();
    expectTypeOf(vpc.createFixedVirtualHardDisk('/vms/f.vhd', 1 << 30)).toEqualTypeOf<VMTask<CreatedDisk>>();
    expectTypeOf<VMTask>().toExtend<PromiseLike<CreatedDisk>>();
    expectTypeOf<VMTask<number>>().toExtend<PromiseLike<number>>();
    expectTypeOf<VMTask<number>>().not.toExtend<PromiseLike<string>>();
  });

  it('await on the call gives the disk; await on a kept task gives the disk too', async () => {
    const disk = await vpc.createDifferencingVirtualHardDisk('c.vhd', '/vms/p.vhd');
    expectTypeOf(disk).toEqualTypeOf<CreatedDisk>();
    expectTypeOf(disk.uniqueIdText).toEqualTypeOf<string>();
    const task = vpc.createDifferencingVirtualHardDisk('c.vhd', '/vms/p.vhd');
    task.on('progress', (progress, emitter) => {
      expectTypeOf(progress).toEqualTypeOf<TaskProgress>();
      expectTypeOf(emitter).toEqualTypeOf<VMTask<CreatedDisk>>();
    });
    task.on('complete', (done) => expectTypeOf(done.error).toEqualTypeOf<VpcError | undefined>());
    expectTypeOf(await task).toEqualTypeOf<CreatedDisk>();
    expectTypeOf<Awaited<VMTask<bigint>>>().toEqualTypeOf<bigint>();
    const both = await Promise.all([task, vpc.createFixedVirtualHardDisk('/vms/f.vhd', 1 << 30)]);
    expectTypeOf(both).toEqualTypeOf<[CreatedDisk, CreatedDisk]>();
  });

  it('then, catch and finally are typed like a Promise of the result', () => {
    const task = vpc.createFixedVirtualHardDisk('/vms/f.vhd', 1 << 30);
    expectTypeOf(task.then((disk) => disk.virtualSize)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(task.then(undefined, () => 'refused' as const)).toEqualTypeOf<Promise<CreatedDisk | 'refused'>>();
    expectTypeOf(task.catch(() => null)).toEqualTypeOf<Promise<CreatedDisk | null>>();
    expectTypeOf(task.finally(() => undefined)).toEqualTypeOf<Promise<CreatedDisk>>();
    expectTypeOf(task.completion).toEqualTypeOf<Promise<CreatedDisk>>();
  });

  it('accepted, the COM members and cancellation', () => {
    const task = vpc.createDynamicVirtualHardDisk('/vms/d.vhd', 1 << 30, { signal: AbortSignal.timeout(1000) });
    expectTypeOf(task.accepted).toEqualTypeOf<Promise<void>>();
    expectTypeOf(task.percentCompleted).toEqualTypeOf<number>();
    expectTypeOf(task.isComplete).toEqualTypeOf<boolean>();
    expectTypeOf(task.result).toEqualTypeOf<number>();
    expectTypeOf(task.error).toEqualTypeOf<VpcError | undefined>();
    expectTypeOf(task.waitForCompletion).toEqualTypeOf<(timeoutMs: number) => Promise<boolean>>();
    expectTypeOf(task.cancel).toEqualTypeOf<() => void>();
    expectTypeOf(task.description).toEqualTypeOf<string>();
  });

  it('a task from VMTask.start carries its own result type', async () => {
    const task = VMTask.start(async () => 42n, { description: 'answer', lang: 'en' });
    expectTypeOf(task).toEqualTypeOf<VMTask<bigint>>();
    expectTypeOf(await task).toEqualTypeOf<bigint>();
  });

  it('returning a task from an async function adopts its result', () => {
    expectTypeOf((async () => vpc.createFixedVirtualHardDisk('/vms/f.vhd', 1 << 30))()).toEqualTypeOf<Promise<CreatedDisk>>();
  });
});
