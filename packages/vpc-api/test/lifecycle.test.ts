import { watch } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testFolder, withSmallVolume } from '@vhdkit/test-support';
import { openDisk, readImageMetadata } from '@vhdkit/vhd-diff';
import { MAX_VIRTUAL_SIZE, uniqueIdToString } from '@vhdkit/vhd-format';
import { VpcError, messageFor } from '@vhdkit/vpc-errors';
import type { CreatedDisk, VMTask } from '../src/index.js';
import { VirtualPC } from '../src/virtual-pc.js';
import type { FileSnapshot } from './helpers.js';
import { MIB, expectUnchanged, failureLine, makeDynamic, runVpc, snapshot, spawnVpc, tree } from './helpers.js';

// A 2040 GiB parent: its child's BAT is 4 MiB, written in chunks with progress — long enough to cancel mid-way.
const BIG_SIZE = MAX_VIRTUAL_SIZE - 512;

const folders = testFolder('vpc-life-');
const caseFolder = folders.nextFolder;
let bigParent: string;
let bigParentBefore: FileSnapshot;
beforeAll(async () => {
  bigParent = await makeDynamic(path.join(folders.path(), 'big-parent.vhd'), BIG_SIZE);
  bigParentBefore = await snapshot(bigParent);
});
afterAll(async () => {
  await expectUnchanged(bigParentBefore);
});

async function settle(task: VMTask<CreatedDisk>): Promise<VpcError | undefined> {
  try {
    await task;
    return undefined;
  } catch (error) {
    return error as VpcError;
  }
}

describe('cancellation at several points leaves no file and no created folder', { timeout: 30_000 }, () => {
  it('signal aborted before the call: rejects with ERROR_CANCELLED', async () => {
    const folder = await caseFolder();
    const controller = new AbortController();
    controller.abort();
    await expect(new VirtualPC().createDifferencingVirtualHardDisk(path.join(folder, 'new/c.vhd'), bigParent, { signal: controller.signal }))
      .rejects.toMatchObject({ code: 'ERROR_CANCELLED', hresult: 0x800704c7 });
    expect(await tree(folder)).toEqual([]);
  });

  it('signal aborted while the checks run: rejects with ERROR_CANCELLED', async () => {
    const folder = await caseFolder();
    const controller = new AbortController();
    const pending = new VirtualPC().createDifferencingVirtualHardDisk(path.join(folder, 'new/deeper/c.vhd'), bigParent, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ERROR_CANCELLED' });
    expect(await tree(folder)).toEqual([]);
  });

  it('cancel() as soon as the task is returned: the checks stop, accepted and the task reject, no folder is made', async () => {
    const folder = await caseFolder();
    const task = new VirtualPC().createDifferencingVirtualHardDisk(path.join(folder, 'new/deeper/c.vhd'), bigParent);
    task.cancel();
    const error = await settle(task);
    expect(error).toMatchObject({ code: 'ERROR_CANCELLED' });
    await expect(task.accepted).rejects.toBe(error);
    expect(await tree(folder)).toEqual([]);
  });

  it('cancel() once accepted: the task fails, the folders it created are removed', async () => {
    const folder = await caseFolder();
    const task = new VirtualPC().createDifferencingVirtualHardDisk(path.join(folder, 'new/deeper/c.vhd'), bigParent);
    await task.accepted;
    expect(await tree(folder)).toEqual(expect.arrayContaining(['new', 'new/deeper']));
    task.cancel();
    const error = await settle(task);
    expect(error).toMatchObject({ code: 'ERROR_CANCELLED' });
    expect(task.isComplete).toBe(true);
    expect(task.result).toBe(0x800704c7);
    expect(task.error).toBe(error);
    expect(await tree(folder)).toEqual([]);
  });

  it.each([
    { point: 'first progress event', shouldCancel: (done: number, total: number) => done >= 0 && total > 0 },
    { point: 'half-way through the BAT', shouldCancel: (done: number, total: number) => done >= total / 2 && done < total },
  ])('cancel() at the $point', async ({ shouldCancel }) => {
    const folder = await caseFolder();
    const task = new VirtualPC().createDifferencingVirtualHardDisk(path.join(folder, 'sub/c.vhd'), bigParent);
    const seen: number[] = [];
    task.on('progress', (progress) => {
      seen.push(progress.percentCompleted);
      if (shouldCancel(progress.bytesWritten, progress.totalBytes)) task.cancel();
    });
    const error = await settle(task);
    expect(error).toMatchObject({ code: 'ERROR_CANCELLED' });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((percent) => Number.isInteger(percent) && percent >= 0 && percent < 100)).toBe(true);
    expect(await tree(folder)).toEqual([]);
  });

  it('the caller\'s AbortSignal aborted while writing', async () => {
    const folder = await caseFolder();
    const controller = new AbortController();
    const task = new VirtualPC().createDifferencingVirtualHardDisk(path.join(folder, 'c.vhd'), bigParent, { signal: controller.signal });
    task.once('progress', () => controller.abort());
    expect(await settle(task)).toMatchObject({ code: 'ERROR_CANCELLED' });
    expect(await tree(folder)).toEqual([]);
  });

  it('a running task reads E_PENDING; a cancelled one names its operation in the VirtualPC\'s language', async () => {
    const folder = await caseFolder();
    const image = path.join(folder, 'c.vhd');
    const task = new VirtualPC({ language: 'es' }).createDifferencingVirtualHardDisk(image, bigParent);
    expect(task.description).toBe(`Create differencing disk ${image}`);
    expect(task.isComplete).toBe(false);
    expect(task.result).toBe(0x8000000a);
    task.cancel();
    const error = await settle(task);
    expect(task.result).toBe(0x800704c7);
    expect(error?.message).toBe(`${messageFor('ERROR_CANCELLED', 'es')}: crear el disco de diferenciación ${image}`);
    const english = new VirtualPC().createDynamicVirtualHardDisk(path.join(folder, 'd.vhd'), 8 * MIB);
    english.cancel();
    expect((await settle(english))?.message).toBe(`${messageFor('ERROR_CANCELLED', 'en')}: Create dynamic disk ${path.join(folder, 'd.vhd')}`);
    expect(await tree(folder)).toEqual([]);
  });

  it('cancel() after completion changes nothing', async () => {
    const folder = await caseFolder();
    const task = new VirtualPC().createDifferencingVirtualHardDisk(path.join(folder, 'c.vhd'), bigParent);
    const disk = await task;
    task.cancel();
    expect(task.result).toBe(0);
    expect(await task.waitForCompletion(0)).toBe(true);
    expect((await readImageMetadata(disk.path)).footer.currentSize).toBe(BIG_SIZE);
  });
});

describe('shutdown()', { timeout: 30_000 }, () => {
  it('cancels running tasks (no file), rejects calls still checking and every later call', async () => {
    const folder = await caseFolder();
    const vpc = new VirtualPC();
    const running = vpc.createDifferencingVirtualHardDisk(path.join(folder, 'running/c.vhd'), bigParent);
    await running.accepted;
    const checking = vpc.createDifferencingVirtualHardDisk(path.join(folder, 'checking/c.vhd'), bigParent);
    let completeEvents = 0;
    running.on('complete', () => completeEvents++);
    await vpc.shutdown();
    expect(vpc.isShuttingDown).toBe(true);
    // shutdown() resolved only after the task settled.
    expect(running.isComplete).toBe(true);
    expect(completeEvents).toBe(1);
    expect(running.error).toMatchObject({ code: 'VM_E_APP_SHUTTING_DOWN', hresult: 0xa0040209 });
    await expect(checking).rejects.toMatchObject({ code: 'VM_E_APP_SHUTTING_DOWN' });
    await expect(vpc.createFixedVirtualHardDisk(path.join(folder, 'later.vhd'), 8 * MIB)).rejects.toMatchObject({ code: 'VM_E_APP_SHUTTING_DOWN' });
    // Shutting down comes before every other check, even E_POINTER.
    await expect(vpc.createDifferencingVirtualHardDisk(null as unknown as string, bigParent)).rejects.toMatchObject({ code: 'VM_E_APP_SHUTTING_DOWN' });
    expect(await tree(folder)).toEqual([]);
  });

  it('the CLI shuts down on SIGTERM and SIGINT: no file left, failure line VM_E_APP_SHUTTING_DOWN', async () => {
    const outcomes: string[] = [];
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGTERM', 'SIGINT', 'SIGTERM', 'SIGINT'] as const) {
      const folder = await caseFolder();
      const child = spawnVpc(['create-diff', '--quiet', path.join(folder, 'c.vhd'), bigParent]);
      // Signal once, as soon as the temporary file appears: the child is then writing its 4 MiB BAT. (Later events —
      // the temporary file's removal — must not signal again: a signal after runCli returned would kill the exiting
      // process with the default action.)
      let signalled = false;
      const watcher = watch(folder, () => {
        if (!signalled) child.kill(signal);
        signalled = true;
      });
      let stderr = '';
      let stdout = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      watcher.close();
      const files = await tree(folder);
      if (stdout.startsWith('Created differencing disk')) {
        // Finished before the signal landed (it may then still have been killed on its way out): the image must be
        // complete and valid, with no temporary file beside it.
        expect(files).toEqual(['c.vhd']);
        expect((await readImageMetadata(path.join(folder, 'c.vhd'))).footer.currentSize).toBe(BIG_SIZE);
        outcomes.push('completed');
      } else {
        expect({ status, stderr }).toMatchObject({ status: 1 });
        expect(failureLine({ status, stdout, stdoutBytes: Buffer.alloc(0), stderr })?.name).toBe('VM_E_APP_SHUTTING_DOWN');
        expect(files).toEqual([]);
        outcomes.push('interrupted');
      }
    }
    expect(outcomes).toContain('interrupted');
  });
});

describe('racing creators', { timeout: 60_000 }, () => {
  it('8 concurrent API calls for one image path: one succeeds, 7 get ERROR_ALREADY_EXISTS, the file is valid', async () => {
    const folder = await caseFolder();
    const parent = await makeDynamic(path.join(folder, 'p.vhd'), 64 * MIB);
    const parentBefore = await snapshot(parent);
    const image = path.join(folder, 'new/sub/c.vhd');
    const attempts = Array.from({ length: 8 }, async () => {
      const task = new VirtualPC().createDifferencingVirtualHardDisk(image, parent);
      return await task;
    });
    const results = await Promise.allSettled(attempts);
    const winners = results.filter((result) => result.status === 'fulfilled');
    const losers = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(7);
    for (const loser of losers) expect(loser.reason).toMatchObject({ code: 'ERROR_ALREADY_EXISTS', hresult: 0x800700b7 });
    const winner = (winners[0] as PromiseFulfilledResult<CreatedDisk>).value;
    const child = await readImageMetadata(image);
    expect(uniqueIdToString(child.footer.uniqueId)).toBe(winner.uniqueIdText);
    const disk = await openDisk(image);
    await disk.close();
    expect(await tree(folder)).toEqual(['new', 'new/sub', 'new/sub/c.vhd', 'p.vhd']);
    await expectUnchanged(parentBefore);
  });

  it('8 concurrent CLI processes for one image path', async () => {
    const folder = await caseFolder();
    const parent = await makeDynamic(path.join(folder, 'p.vhd'), 64 * MIB);
    const image = path.join(folder, 'c.vhd');
    const runs = await Promise.all(Array.from({ length: 8 }, () => new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = spawnVpc(['create-diff', '--quiet', image, parent]);
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.on('close', (status) => resolve({ status, stderr }));
    })));
    expect(runs.filter((run) => run.status === 0)).toHaveLength(1);
    const failures = runs.filter((run) => run.status !== 0);
    expect(failures).toHaveLength(7);
    for (const failure of failures) expect(failure.stderr.split('\n')[0]).toMatch(/^0x800700B7 ERROR_ALREADY_EXISTS: /);
    expect(await tree(folder)).toEqual(['c.vhd', 'p.vhd']);
    expect((await readImageMetadata(image)).footer.diskType).toBe(4);
  });
});

/** A fresh 2 MiB tmpfs for one test (a failed mount fails the test). */
async function withFullVolume(use: (mountPoint: string) => Promise<void>): Promise<void> {
  await withSmallVolume(await caseFolder(), 2 * MIB, use);
}

describe('a really full volume (2 MiB tmpfs)', { timeout: 30_000 }, () => {
  it('refuses before writing when less than 8 MB is free (API and CLI)', async () => {
    await withFullVolume(async (mountPoint) => {
      await expect(new VirtualPC().createDifferencingVirtualHardDisk(path.join(mountPoint, 'c.vhd'), bigParent))
        .rejects.toMatchObject({ code: 'ERROR_DISK_FULL', hresult: 0x80070070 });
      const run = runVpc(['create-diff', path.join(mountPoint, 'c.vhd'), bigParent]);
      expect(run.status).toBe(1);
      expect(failureLine(run)?.name).toBe('ERROR_DISK_FULL');
      expect(await tree(mountPoint)).toEqual([]);
    });
  });

  it('ENOSPC while writing fails the task with ERROR_DISK_FULL and leaves no file (API and CLI)', async () => {
    await withFullVolume(async (mountPoint) => {
      const task = new VirtualPC({ minimumFreeBytes: 0 }).createDifferencingVirtualHardDisk(path.join(mountPoint, 'new/c.vhd'), bigParent);
      const error = await settle(task);
      expect(error).toMatchObject({ code: 'ERROR_DISK_FULL', hresult: 0x80070070 });
      expect(task.result).toBe(0x80070070);
      expect(await tree(mountPoint)).toEqual([]);
      const run = runVpc(['create-diff', '--min-free', '0', path.join(mountPoint, 'new/c.vhd'), bigParent]);
      expect(run.status).toBe(1);
      expect(failureLine(run)?.name).toBe('ERROR_DISK_FULL');
      expect(await tree(mountPoint)).toEqual([]);
    });
  });
});
