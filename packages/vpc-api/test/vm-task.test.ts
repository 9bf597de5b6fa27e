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
    // The task is its own promise: `await task` gives the result, as do then/completion.
    expect(await task).toEqual({ done: true });
    expect(await task.then((value) => value.done)).toBe(true);
    expect(await task.completion).toEqual({ done: true });
    await expect(task.accepted).resolves.toBeUndefined();
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

  it('a task is a PromiseLike: then, catch, finally, Promise.all and async functions adopt its outcome', async () => {
    const seven = VMTask.start(async () => 7, { description: 'seven', lang: 'en' });
    expect(typeof seven.then).toBe('function');
    expect(await Promise.all([seven, seven.then((value) => value * 2)])).toEqual([7, 14]);
    let finallyRan = false;
    expect(await seven.finally(() => (finallyRan = true))).toBe(7);
    expect(finallyRan).toBe(true);
    const adopt = async () => seven;
    expect(await adopt()).toBe(7);
    const failing = VMTask.start(async () => {
      throw new VhdIoError('ABORTED', 'stopped');
    }, { description: 'fails', lang: 'en' });
    const caught = await failing.catch((error: unknown) => error);
    expect(caught).toBeInstanceOf(VpcError);
    expect(caught).toBe(failing.error);
    await expect(failing.then(() => 'fulfilled', () => 'rejected')).resolves.toBe('rejected');
  });
});

/** A task whose checks refuse with E_INVALIDARG. */
function refuse(): VMTask<number> {
  return VMTask.startAfterChecks<number>(async () => {
    throw new VpcError('E_INVALIDARG', { lang: 'en' });
  }, { description: 'refused', lang: 'en' });
}

describe('VMTask.startAfterChecks', () => {
  it('accepted resolves when the checks pass, while the work runs; then the task gives the result', async () => {
    const checksGate: { release?: () => void } = {};
    const gate: { release?: () => void } = {};
    let checked = false;
    const task = VMTask.startAfterChecks(async () => {
      await new Promise<void>((resolve) => (checksGate.release = resolve));
      checked = true;
      return { work: steppedWork(1, gate) };
    }, { description: 'checked work', lang: 'en' });
    let acceptedEarly = false;
    void task.accepted.then(() => (acceptedEarly = true));
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(acceptedEarly).toBe(false);
    expect(task.isComplete).toBe(false);
    expect(task.result).toBe(0x8000000a);
    checksGate.release!();
    await task.accepted;
    expect(checked).toBe(true);
    expect(task.isComplete).toBe(false);
    expect(task.result).toBe(0x8000000a);
    await new Promise((resolve) => setTimeout(resolve, 1));
    gate.release!();
    expect(await task).toEqual({ done: true });
    expect(task.result).toBe(0);
  });

  it('a refused check rejects accepted and the task with one VpcError, completes the task and never runs the work', async () => {
    let workRan = false;
    let completeEvents = 0;
    const task = VMTask.startAfterChecks(async (signal) => {
      if (!signal.aborted) throw new VpcError('ERROR_FILE_NOT_FOUND', { lang: 'en', detail: '/nowhere/p.vhd' });
      return { work: async () => (workRan = true) };
    }, { description: 'refused', lang: 'en' });
    task.on('complete', () => completeEvents++);
    const refusal = await task.accepted.then(() => undefined, (error: unknown) => error);
    expect(refusal).toMatchObject({ code: 'ERROR_FILE_NOT_FOUND', hresult: 0x80070002 });
    await expect(task).rejects.toBe(refusal);
    expect(task.error).toBe(refusal);
    expect(task.isComplete).toBe(true);
    expect(task.result).toBe(0x80070002);
    expect(workRan).toBe(false);
    expect(completeEvents).toBe(1);
  });

  it('an unexpected throw in the checks becomes DISP_E_EXCEPTION with the cause', async () => {
    const boom = new TypeError('boom');
    const task = VMTask.startAfterChecks<number>(async () => {
      throw boom;
    }, { description: 'buggy', lang: 'en' });
    await expect(task.accepted).rejects.toMatchObject({ code: 'DISP_E_EXCEPTION', cause: boom });
  });

  it('cancel() while the checks wait rejects accepted and the task with ERROR_CANCELLED in the task\'s language', async () => {
    const task = VMTask.startAfterChecks(async (signal) => {
      if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      signal.throwIfAborted();
      return { work: async () => 1 };
    }, { description: 'stop me', failureDetail: 'detenme', lang: 'es' });
    task.cancel();
    await expect(task.accepted).rejects.toMatchObject({ code: 'ERROR_CANCELLED', hresult: 0x800704c7 });
    await expect(task).rejects.toMatchObject({ code: 'ERROR_CANCELLED' });
    expect(task.error!.message).toMatch(/^Se canceló la operación.*: detenme$/);
  });

  it('awaiting only one of accepted and the task leaves no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await expect(refuse().accepted).rejects.toMatchObject({ code: 'E_INVALIDARG' });
      await expect(refuse()).rejects.toMatchObject({ code: 'E_INVALIDARG' });
      const failing = VMTask.start(async () => {
        throw new VhdIoError('ABORTED', 'stopped');
      }, { description: 'fails', lang: 'en' });
      await failing.accepted;
      await failing.waitForCompletion(-1);
      // Unhandled rejections are reported after the microtask queue drains: give them a few turns of the event loop.
      for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });
});
