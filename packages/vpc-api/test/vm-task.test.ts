import { describe, expect, it } from 'vitest';
import { VhdIoError } from '@vhdkit/vhd-diff';
import { VpcError } from '@vhdkit/vpc-errors';
import type { TaskProgress } from '../src/task/vm-task.js';
import { VMTask } from '../src/task/vm-task.js';

/** Work that reports progress in `steps` and waits for `release` between steps, honouring the signal like vhd-diff. */
function steppedWork(steps: number, gate: { release?: () => void }) {
  return async (signal: AbortSignal, onProgress: (done: number, total: number) => void) => {
    for (let step = 1; step <= steps; step++) {
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        gate.release = resolve;
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      if (signal.aborted) throw new VhdIoError('ABORTED', 'operation was cancelled', { cause: signal.reason });
      onProgress(step * 100, steps * 100);
    }
    return { done: true };
  };
}

describe('VMTask', () => {
  it('reports progress as whole percents, completes with S_OK and is awaitable', async () => {
    const gate: { release?: () => void } = {};
    const task = VMTask.start(steppedWork(3, gate), { description: 'three steps', lang: 'en' });
    const seen: TaskProgress[] = [];
    let completeEvents = 0;
    task.on('progress', (progress) => seen.push(progress));
    task.on('complete', () => completeEvents++);
    expect(task.isComplete).toBe(false);
    expect(task.percentCompleted).toBe(0);
    // E_PENDING (0x8000000A) until the task settles: no outcome yet, neither success nor a failure.
    expect(task.result).toBe(0x8000000a);
    for (let step = 0; step < 3; step++) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      expect(task.isComplete).toBe(false);
      expect(task.result).toBe(0x8000000a);
      gate.release!();
    }
    expect(await task.waitForCompletion(-1)).toBe(true);
    expect(seen.map((p) => p.percentCompleted)).toEqual([33, 66, 100]);
    expect(task.isComplete).toBe(true);
    expect(task.result).toBe(0);
    expect(task.error).toBeUndefined();
    expect(completeEvents).toBe(1);
    // The task is a thenable at run time: `await task` gives the result.
    expect(await (task as unknown as Promise<{ done: boolean }>)).toEqual({ done: true });
    expect(await task.completion).toEqual({ done: true });
  });

  it('waitForCompletion returns false on timeout and true later', async () => {
    const gate: { release?: () => void } = {};
    const task = VMTask.start(steppedWork(1, gate), { description: 'one step', lang: 'en' });
    expect(await task.waitForCompletion(0)).toBe(false);
    expect(await task.waitForCompletion(20)).toBe(false);
    gate.release!();
    expect(await task.waitForCompletion(1000)).toBe(true);
  });

  it('cancel() fails the task with ERROR_CANCELLED and runs the failure cleanup first', async () => {
    const gate: { release?: () => void } = {};
    let cleanedBeforeSettle = false;
    const task = VMTask.start(steppedWork(5, gate), {
      description: 'cancel me', lang: 'es',
      onFailure: async () => {
        cleanedBeforeSettle = !task.isComplete;
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 1));
    gate.release!();
    await new Promise((resolve) => setTimeout(resolve, 1));
    task.cancel();
    await expect(task.completion).rejects.toMatchObject({ code: 'ERROR_CANCELLED', hresult: 0x800704c7 });
    expect(task.result).toBe(0x800704c7);
    expect(task.error).toBeInstanceOf(VpcError);
    expect(task.error!.message).toMatch(/^Se canceló la operación/);
    expect(task.error!.cause).toBeInstanceOf(VhdIoError);
    expect(cleanedBeforeSettle).toBe(true);
    task.cancel(); // no effect once complete
    expect(task.result).toBe(0x800704c7);
  });

  it('an AbortSignal cancels like cancel(), even when already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const task = VMTask.start(steppedWork(2, {}), { description: 'pre-aborted', lang: 'en', signal: controller.signal });
    await expect(task.completion).rejects.toMatchObject({ code: 'ERROR_CANCELLED' });
  });

  it('cancelWith reports the given code (shutdown)', async () => {
    const task = VMTask.start(steppedWork(2, {}), { description: 'shut down', lang: 'en' });
    task.cancelWith('VM_E_APP_SHUTTING_DOWN');
    await expect(task.completion).rejects.toMatchObject({ code: 'VM_E_APP_SHUTTING_DOWN', hresult: 0xa0040209 });
  });

  it('errors of the work are mapped through the table (ENOSPC → ERROR_DISK_FULL)', async () => {
    const enospc = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    const task = VMTask.start(async () => {
      throw new VhdIoError('IO', 'write failed', { cause: enospc });
    }, { description: 'full', lang: 'en' });
    await expect(task.completion).rejects.toMatchObject({ code: 'ERROR_DISK_FULL', hresult: 0x80070070 });
    expect((task.error!.cause as VhdIoError).cause).toBe(enospc);
  });

  it('a promise resolved through resolveWithTask fulfils with the task itself', async () => {
    const task = VMTask.start(async () => 7, { description: 'seven', lang: 'en' });
    const handedOver = new Promise<VMTask<number>>((resolve) => VMTask.resolveWithTask(task, resolve));
    const received = await handedOver;
    expect(received).toBe(task);
    expect(await (received as unknown as Promise<number>)).toBe(7);
  });
});
