import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFile, mkdir, readFile, readdir, readlink, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedFixturePath, testFolder } from '@vhdkit/test-support';
import { MAX_CHAIN_DEPTH, createDifferencingDisk, openDisk } from '@vhdkit/vhd-diff';
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
  it('`vpc write --input <named pipe>` that no writer opens stops on SIGINT; with a writer the pipe is read as before', async () => {
    const dir = await folder.nextFolder();
    const image = await makeDynamic(path.join(dir, 'target.vhd'), 8 * MIB);
    const fifo = path.join(dir, 'input.fifo');
    execFileSync('mkfifo', [fifo]);
    const child = spawn(process.execPath, [CLI_BIN, 'write', image, '--offset', '0', '--input', fifo], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LANG: 'C.UTF-8' } });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const closed = new Promise<number | null>((resolve) => child.on('close', (status) => resolve(status)));
    await holdsOpen(child.pid!, image);
    child.kill('SIGINT');
    expect(await closed).toBe(1);
    expect(stderr.split('\n')[0]).toMatch(/^0xA0040209 VM_E_APP_SHUTTING_DOWN: /);

    const writer = spawn('sh', ['-c', `printf hello > '${fifo}'`]);
    const run = runVpc(['write', image, '--offset', '512', '--input', fifo]);
    await new Promise((resolve) => writer.on('close', resolve));
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('Wrote 5 bytes at offset 512');
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

describe('typed failures and no leaks', () => {
  it('a symbolic link loop is ERROR_CANT_RESOLVE_FILENAME and a folder VM_E_INVALID_HD_FILE, in info, check, cat and merge alike', async () => {
    const dir = await folder.nextFolder();
    const loop = path.join(dir, 'a.vhd');
    await symlink(path.join(dir, 'b.vhd'), loop);
    await symlink(loop, path.join(dir, 'b.vhd'));
    const sub = path.join(dir, 'folder.vhd');
    await mkdir(sub);
    for (const command of ['info', 'check', 'cat', 'merge']) {
      expect(failureLine(runVpc([command, loop])), `${command} loop`).toMatchObject({ hresult: '0x80070781', name: 'ERROR_CANT_RESOLVE_FILENAME' });
      expect(failureLine(runVpc([command, sub])), `${command} folder`).toMatchObject({ hresult: '0xA0040682', name: 'VM_E_INVALID_HD_FILE' });
    }
  }, 60_000);

  it('block sizes that are not a power of two: cat says ERROR_FILE_CORRUPT and prints no disk bytes; write and convert change nothing', async () => {
    const dir = await folder.nextFolder();
    for (const name of ['block-size-0-dynamic.vhd', 'block-size-1000.vhd', 'block-size-4g.vhd']) {
      const cat = runVpc(['cat', sharedFixturePath(`hostile/${name}`)]);
      expect(failureLine(cat), `cat ${name}`).toMatchObject({ hresult: '0x80070570', name: 'ERROR_FILE_CORRUPT' });
      expect(cat.stdoutBytes.length).toBe(0);
    }
    // A 1-byte write used to allocate a 4 GiB block here.
    const image = path.join(dir, 'block-size-4g.vhd');
    await copyFile(sharedFixturePath('hostile/block-size-4g.vhd'), image);
    const before = await readFile(image);
    const write = runVpc(['write', image, '--offset', '0', '--input', '-'], { input: new Uint8Array([0x78]) });
    expect(failureLine(write)).toMatchObject({ name: 'ERROR_FILE_CORRUPT' });
    const converted = path.join(dir, 'converted.vhd');
    expect(failureLine(runVpc(['convert', image, converted, '--type', 'fixed']))).toMatchObject({ name: 'ERROR_FILE_CORRUPT' });
    expect(await readFile(image)).toEqual(before);
    expect(await readdir(dir)).toEqual(['block-size-4g.vhd']);
  }, 120_000);

  it('text info shows fields above 2^53 (marked approximate) and checksum verdicts instead of DISP_E_EXCEPTION', () => {
    const original = runVpc(['info', sharedFixturePath('hostile/original-size-above-2p53.vhd')]);
    expect(original.status, original.stderr).toBe(0);
    expect(original.stdout).toMatch(/^Original size: +\d+ bytes \(beyond 2\^53: approximate\)$/m);
    expect(original.stdout).toMatch(/^Checksum: +0x[0-9a-f]{8} \(valid\)$/m);
    const locator = runVpc(['info', sharedFixturePath('hostile/locator-offset-above-2p53.vhd')]);
    expect(locator.status, locator.stderr).toBe(0);
    expect(locator.stdout).toMatch(/^Header checksum: +0x[0-9a-f]{8} \(valid\)$/m);
  });

  it("a parent that is some other file (a locator reaching /etc/passwd): no command quotes that file's bytes", async () => {
    const dir = await folder.nextFolder();
    const parent = await makeDynamic(path.join(dir, 'parent.vhd'), 8 * MIB);
    const child = path.join(dir, 'child.vhd');
    await createDifferencingDisk(child, parent);
    // The locators now lead to a file that is not a VHD and holds a secret.
    await rm(parent);
    await writeFile(parent, 'SECRETXY'.repeat(256));
    // `info --json` reports the resolved parent path without reading it; the others fail on that parent.
    for (const args of [['info', child], ['--json', 'info', child], ['cat', child], ['check', child], ['--json', 'check', child], ['merge', child], ['--lang', 'es', 'info', child]]) {
      const run = runVpc(args);
      const output = run.stdout + run.stderr;
      expect(output, args.join(' ')).toContain(parent);
      expect(output, args.join(' ')).not.toMatch(/SECR|CRET|ETXY|XYSE/);
      if (args[1] === 'es') expect(run.stderr).toContain(`${parent}, el primario que indica ${child}, no es un VHD válido (BAD_COOKIE)`);
    }
  }, 120_000);
});

describe('check --repair', () => {
  it('a damaged trailing footer with a good copy: cat, check --repair, cat again give the same bytes and a clean check', async () => {
    const image = path.join(await folder.nextFolder(), 'repair-bad-trailing-footer-a.vhd');
    await copyFile(sharedFixturePath('hostile/repair-bad-trailing-footer-a.vhd'), image);
    const before = runVpc(['cat', image]);
    expect(before.status, before.stderr).toBe(0);
    const repaired = runVpc(['check', '--repair', image]);
    expect(repaired.status, repaired.stdout + repaired.stderr).toBe(0);
    expect(repaired.stdout).toContain('repaired FOOTER_DAMAGED');
    expect(repaired.stdout).toContain(`${image}: clean`);
    const after = runVpc(['cat', image]);
    expect(after.status, after.stderr).toBe(0);
    expect(after.stdoutBytes.equals(before.stdoutBytes)).toBe(true);
  }, 60_000);
});

describe('merge into a parent that cannot be written (read-only bind mount)', () => {
  it('fails leaving no journal; after the parent changes, merge again is VM_E_PARENT_MODIFIED', async (context) => {
    const dir = await folder.nextFolder();
    const parents = path.join(dir, 'parents');
    const readOnlyView = path.join(dir, 'read-only');
    await mkdir(parents);
    await mkdir(readOnlyView);
    const bound = spawnSync('mount', ['--bind', parents, readOnlyView], { encoding: 'utf8' });
    if (bound.status !== 0) context.skip(`a bind mount is not allowed here: ${bound.stderr.trim()}`);
    try {
      const remounted = spawnSync('mount', ['-o', 'remount,bind,ro', readOnlyView], { encoding: 'utf8' });
      expect(remounted.status, remounted.stderr).toBe(0);
      const parent = await makeDynamic(path.join(parents, 'parent.vhd'), 8 * MIB);
      const child = path.join(dir, 'child.vhd');
      // The child knows its parent by the read-only path.
      await createDifferencingDisk(child, path.join(readOnlyView, 'parent.vhd'));
      const disk = await openDisk(child, { writable: true });
      await disk.write(new Uint8Array(50_000).fill(0x5a), 4096);
      await disk.close();

      const first = runVpc(['merge', child]);
      expect(first.status).toBe(1);
      expect(failureLine(first)?.name, first.stderr).toBe('ERROR_WRITE_PROTECT');
      expect(await readdir(dir)).toEqual(expect.not.arrayContaining(['child.vhd.merge-journal']));

      // Someone else changes the parent through its writable path, a minute later.
      const writer = await openDisk(parent, { writable: true });
      await writer.write(new Uint8Array(4096).fill(0xa5), 6 * MIB);
      await writer.close();
      const later = new Date((await stat(parent)).mtimeMs + 60_000);
      await utimes(parent, later, later);

      const second = runVpc(['merge', child]);
      expect(second.status).toBe(1);
      expect(failureLine(second)?.name, second.stderr).toBe('VM_E_PARENT_MODIFIED');
      expect(await readdir(dir)).toContain('child.vhd');
    } finally {
      spawnSync('umount', [readOnlyView]);
    }
  }, 60_000);
});
