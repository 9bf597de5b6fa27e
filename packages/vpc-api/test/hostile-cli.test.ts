import { execFileSync, spawn } from 'node:child_process';
import { readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testFolder } from '@vhdkit/test-support';
import { MAX_CHAIN_DEPTH, createDifferencingDisk } from '@vhdkit/vhd-diff';
import { CLI_BIN, MIB, failureLine, makeDynamic, runVpc } from './helpers.js';

const folder = testFolder('vpc-hostile-');

/** Resolves once process `pid` has `file` open (seen in /proc), so a signal sent next lands after start-up. */
async function holdsOpen(pid: number, file: string): Promise<void> {
  for (;;) {
    const descriptors = await readdir(`/proc/${pid}/fd`).catch(() => []);
    const targets = await Promise.all(descriptors.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
    if (targets.includes(file)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('special files and waits', () => {
  it('a FIFO as the image or as the create-diff parent is refused at once with VM_E_INVALID_HD_FILE', async () => {
    const dir = await folder.nextFolder();
    const fifo = path.join(dir, 'fifo.vhd');
    execFileSync('mkfifo', [fifo]);
    for (const args of [['info', fifo], ['check', fifo], ['cat', fifo], ['merge', fifo], ['create-diff', path.join(dir, 'child.vhd'), fifo]]) {
      const run = runVpc(args);
      expect(run.status, args.join(' ')).toBe(1);
      expect(failureLine(run)?.name, run.stderr).toBe('VM_E_INVALID_HD_FILE');
    }
    expect(await readdir(dir)).toEqual(['fifo.vhd']);
  }, 60_000);

  it.each(['SIGINT', 'SIGTERM'] as const)('`vpc write --input -` on a pipe that never writes stops on %s with VM_E_APP_SHUTTING_DOWN', async (signal) => {
    const image = await makeDynamic(path.join(await folder.nextFolder(), 'target.vhd'), 8 * MIB);
    // stdin stays an open pipe nobody writes to: the command waits for input until the signal.
    const child = spawn(process.execPath, [CLI_BIN, 'write', image, '--offset', '0', '--input', '-'], {
      stdio: ['pipe', 'ignore', 'pipe'],
      env: { ...process.env, LANG: 'C.UTF-8' },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const closed = new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (status, exitSignal) => resolve({ status, signal: exitSignal })),
    );
    // Once the CLI is up and waiting (it holds the image open, then reads stdin), the signal must end the wait.
    await holdsOpen(child.pid!, image);
    child.kill(signal);
    const result = await closed;
    child.stdin.destroy();
    expect(result).toEqual({ status: 1, signal: null });
    expect(stderr.split('\n')[0]).toMatch(/^0xA0040209 VM_E_APP_SHUTTING_DOWN: /);
  }, 60_000);
});

describe('chain depth', () => {
  it('create-diff on a parent whose chain holds 32 images is refused with ERROR_NOT_SUPPORTED and leaves no file', async () => {
    const dir = await folder.nextFolder();
    let top = await makeDynamic(path.join(dir, 'image-0.vhd'), 8 * MIB);
    for (let index = 1; index < MAX_CHAIN_DEPTH; index++) {
      const next = path.join(dir, `image-${index}.vhd`);
      await createDifferencingDisk(next, top);
      top = next;
    }
    const refused = path.join(dir, 'one-too-many.vhd');
    const run = runVpc(['create-diff', refused, top]);
    expect(run.status, run.stderr).toBe(1);
    expect(failureLine(run)).toMatchObject({ hresult: '0x80070032', name: 'ERROR_NOT_SUPPORTED' });
    expect(run.stderr).toContain(`already holds ${MAX_CHAIN_DEPTH} images`);
    expect(await readdir(dir)).not.toContain('one-too-many.vhd');
  }, 60_000);
});
