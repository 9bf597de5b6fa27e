import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { interop, run, testFolder } from '@vhdkit/test-support';
import { VhdIoError, createDifferencingDisk, createDynamicDisk, importRaw, openDisk } from '@vhdkit/vhd-diff';
import { VirtualPC } from '../src/index.js';
import { vhdIoErrorDetail } from '../src/errors/details.js';
import { CLI_BIN, MIB, failureLine, runVpc } from './helpers.js';

const sevenZip = interop('7zz');
const folder = testFolder('vpc-import-export-').nextFolder;

/** A raw disk of an odd length: random bytes, a zero stretch of whole blocks, a random tail. */
function rawDisk(): Buffer {
  const bytes = Buffer.alloc(5 * MIB + 1000);
  randomBytes(MIB + 3).copy(bytes, 0);
  randomBytes(1000).copy(bytes, 5 * MIB);
  return bytes;
}

/** The virtual disk as 7-Zip reads it. */
function sevenZipContent(imagePath: string): Buffer {
  const result = run(sevenZip.command, ['x', '-tvhd', '-so', imagePath]);
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

function padded(bytes: Buffer, length: number): Buffer {
  return Buffer.concat([bytes, Buffer.alloc(length - bytes.length)]);
}

async function signalledRun(args: string[], feed: (stdin: NodeJS.WritableStream) => void): Promise<{ status: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, LANG: 'C.UTF-8' } });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  child.stdin.on('error', () => undefined);
  feed(child.stdin);
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  await new Promise((resolve) => setTimeout(resolve, 1500));
  child.kill('SIGINT');
  const status = await closed;
  child.stdin.destroy();
  return { status, stderr };
}

describe.skipIf(!sevenZip.available)('vpc import', { timeout: 60_000 }, () => {
  it('from stdin equals from the file: the same content, --json with the documented shape', async () => {
    const dir = await folder();
    const raw = rawDisk();
    await writeFile(path.join(dir, 'disk.raw'), raw);
    const fromFile = runVpc(['--json', 'import', 'disk.raw', 'file.vhd', '--type', 'dynamic'], { cwd: dir });
    const fromStdin = runVpc(['--json', 'import', '-', 'stdin.vhd'], { cwd: dir, input: raw });
    expect(fromFile.status, fromFile.stderr).toBe(0);
    expect(fromStdin.status, fromStdin.stderr).toBe(0);
    const json = JSON.parse(fromStdin.stdout) as Record<string, unknown>;
    expect(new Set(Object.keys(json))).toEqual(new Set(['blockSize', 'fileSize', 'parent', 'path', 'sourceBytes', 'storedBlocks', 'type', 'uniqueId', 'virtualSize']));
    expect(json).toMatchObject({ path: path.join(dir, 'stdin.vhd'), type: 'dynamic', virtualSize: 5 * MIB + 1024, sourceBytes: raw.length, storedBlocks: 2, blockSize: 2 * MIB });
    expect(JSON.parse(fromFile.stdout)).toMatchObject({ virtualSize: 5 * MIB + 1024, storedBlocks: 2, fileSize: json.fileSize });
    const expected = padded(raw, 5 * MIB + 1024);
    expect(sevenZipContent(path.join(dir, 'stdin.vhd')).equals(expected)).toBe(true);
    expect(sevenZipContent(path.join(dir, 'file.vhd')).equals(expected)).toBe(true);
    expect(runVpc(['check', path.join(dir, 'stdin.vhd')]).status).toBe(0);
  });

  it('--azure: fixed, whole MiB; with --type dynamic it is refused in English and Spanish', async () => {
    const dir = await folder();
    const raw = rawDisk();
    await writeFile(path.join(dir, 'disk.raw'), raw);
    const azure = runVpc(['--json', 'import', 'disk.raw', 'azure.vhd', '--azure'], { cwd: dir });
    expect(azure.status, azure.stderr).toBe(0);
    expect(JSON.parse(azure.stdout)).toMatchObject({ type: 'fixed', virtualSize: 6 * MIB, fileSize: 6 * MIB + 512 });
    expect(sevenZipContent(path.join(dir, 'azure.vhd')).equals(padded(raw, 6 * MIB))).toBe(true);
    const refused = runVpc(['import', 'disk.raw', 'x.vhd', '--azure', '--type', 'dynamic'], { cwd: dir });
    expect(failureLine(refused)).toMatchObject({ name: 'E_INVALIDARG' });
    expect(failureLine(refused)!.message).toContain('Azure accepts fixed VHDs only');
    const spanish = runVpc(['--lang', 'es', 'import', 'disk.raw', 'x.vhd', '--azure', '--type', 'dynamic'], { cwd: dir });
    expect(failureLine(spanish)!.message).toContain('Azure solo acepta VHD fijos');
  });

  it('typed failures, no file left: a raw image larger than --size (es), a missing raw file, a bad --type', async () => {
    const dir = await folder();
    await writeFile(path.join(dir, 'disk.raw'), rawDisk());
    const tooLong = runVpc(['--lang', 'es', 'import', 'disk.raw', 'x.vhd', '--size', '1M'], { cwd: dir });
    expect(failureLine(tooLong)).toMatchObject({ hresult: '0xA0040684', name: 'VM_E_IMAGE_SIZE_TOO_SMALL' });
    expect(failureLine(tooLong)!.message).toContain('contiene más de los 1048576 bytes pedidos');
    const missing = runVpc(['import', 'nothing.raw', 'x.vhd'], { cwd: dir });
    expect(failureLine(missing)?.name).toBe('ERROR_FILE_NOT_FOUND');
    const badType = runVpc(['import', 'disk.raw', 'x.vhd', '--type', 'differencing'], { cwd: dir });
    expect(failureLine(badType)?.name).toBe('E_INVALIDARG');
    expect(await readdir(dir)).toEqual(['disk.raw']);
  });

  it('SIGINT while stdin is still open stops it with VM_E_APP_SHUTTING_DOWN and leaves no file', async () => {
    const dir = await folder();
    const { status, stderr } = await signalledRun(['import', '-', path.join(dir, 'x.vhd')], (stdin) => stdin.write(randomBytes(3 * MIB)));
    expect(status).toBe(1);
    expect(stderr.split('\n')[0]).toMatch(/^0xA0040209 VM_E_APP_SHUTTING_DOWN: /);
    expect(await readdir(dir)).toEqual([]);
  });
});

/** A dynamic parent with data and a child with a write of its own; the content as 7-Zip reads the chain. */
async function chain(dir: string): Promise<{ child: string; content: Buffer }> {
  const parent = path.join(dir, 'base.vhd');
  const child = path.join(dir, 'child.vhd');
  await createDynamicDisk(parent, 6 * MIB);
  const base = await openDisk(parent, { writable: true });
  await base.write(randomBytes(MIB), 0);
  await base.close();
  await createDifferencingDisk(child, parent);
  const top = await openDisk(child, { writable: true });
  await top.write(randomBytes(5000), 4 * MIB + 7);
  await top.close();
  return { child, content: sevenZipContent(child) };
}

describe.skipIf(!sevenZip.available)('vpc export', { timeout: 60_000 }, () => {
  it('to a file (--json) and to stdout: the same length, the chain content, a clean image', async () => {
    const dir = await folder();
    const { child, content } = await chain(dir);
    const toFile = runVpc(['--json', 'export', child, path.join(dir, 'flat.vhd')]);
    expect(toFile.status, toFile.stderr).toBe(0);
    const json = JSON.parse(toFile.stdout) as { fileSize: number };
    expect(json).toMatchObject({ path: path.join(dir, 'flat.vhd'), type: 'dynamic', virtualSize: 6 * MIB, blockSize: 2 * MIB, storedBlocks: 2 });
    expect((await stat(path.join(dir, 'flat.vhd'))).size).toBe(json.fileSize);
    const toStdout = runVpc(['export', child, '-']);
    expect(toStdout.status, toStdout.stderr).toBe(0);
    expect(toStdout.stdoutBytes.length).toBe(json.fileSize);
    await writeFile(path.join(dir, 'stdout.vhd'), toStdout.stdoutBytes);
    expect(sevenZipContent(path.join(dir, 'flat.vhd')).equals(content)).toBe(true);
    expect(sevenZipContent(path.join(dir, 'stdout.vhd')).equals(content)).toBe(true);
    expect(runVpc(['check', path.join(dir, 'stdout.vhd')]).status).toBe(0);
    const fixed = runVpc(['export', child, '--type', 'fixed']);
    expect(fixed.stdoutBytes.length).toBe(6 * MIB + 512);
  });

  it('--json with the image on stdout is refused; SIGINT stops a long export to stdout', async () => {
    const dir = await folder();
    const { child } = await chain(dir);
    expect(failureLine(runVpc(['--json', 'export', child]))?.name).toBe('E_INVALIDARG');
    const big = path.join(dir, 'big.vhd');
    await createDynamicDisk(big, 2000 * 1024 * MIB);
    const { status, stderr } = await signalledRun(['export', big, '--type', 'fixed'], () => undefined);
    expect(status).toBe(1);
    expect(stderr.split('\n')[0]).toMatch(/^0xA0040209 VM_E_APP_SHUTTING_DOWN: /);
  });
});

describe('VirtualPC.importRawVirtualHardDisk', { timeout: 30_000 }, () => {
  it('returns a running VMTask whose result is the imported disk; a stream works as the source', async () => {
    const dir = await folder();
    const raw = rawDisk();
    const vpc = new VirtualPC();
    const task = vpc.importRawVirtualHardDisk(Readable.from([raw]), path.join(dir, 'x.vhd'), { type: 'dynamic', blockSize: 512 * 1024 });
    const percents: number[] = [];
    task.on('progress', (progress) => percents.push(progress.percentCompleted));
    const disk = await task.completion;
    expect(disk).toMatchObject({ diskType: 'dynamic', sourceBytes: raw.length, storedBlocks: 4, blockSize: 512 * 1024 });
    expect(task.percentCompleted).toBe(100);
    const reread = await openDisk(disk.path);
    const bytes = Buffer.alloc(raw.length);
    await reread.read(bytes, 0);
    await reread.close();
    expect(bytes.equals(raw)).toBe(true);
  });

  it('cancel() fails it with ERROR_CANCELLED and leaves no file; bad arguments are E_INVALIDARG', async () => {
    const dir = await folder();
    const vpc = new VirtualPC();
    const endless = new PassThrough();
    endless.write(randomBytes(MIB));
    const task = vpc.importRawVirtualHardDisk(endless, path.join(dir, 'x.vhd'), { type: 'fixed' });
    task.cancel();
    endless.write(randomBytes(MIB));
    await expect(task.completion).rejects.toMatchObject({ code: 'ERROR_CANCELLED' });
    expect(await readdir(dir)).toEqual([]);
    await expect(vpc.importRawVirtualHardDisk('/x.raw', path.join(dir, 'y.vhd'), { type: 'dynamic', azure: true }).completion).rejects.toMatchObject({ code: 'E_INVALIDARG' });
    await expect(vpc.importRawVirtualHardDisk('/x.raw', path.join(dir, 'y.vhd'), { type: 'fixed', blockSize: 4096 }).completion).rejects.toMatchObject({ code: 'E_INVALIDARG' });
    await expect(vpc.importRawVirtualHardDisk('/x.raw', path.join(dir, 'y.vhd'), { type: 'dynamic', sizeBytes: -1 }).completion).rejects.toMatchObject({ code: 'E_INVALIDARG' });
  });
});

describe('import failures in both languages', () => {
  it('English is vhd-diff’s message; Spanish carries the same facts', async () => {
    const dir = await folder();
    const rawPath = path.join(dir, 'disk.raw');
    await writeFile(rawPath, rawDisk());
    const failures: VhdIoError[] = [];
    for (const attempt of [
      () => importRaw(rawPath, path.join(dir, 'a.vhd'), { type: 'fixed', size: MIB }),
      () => importRaw(dir, path.join(dir, 'b.vhd'), { type: 'fixed' }),
      () => importRaw(rawPath, path.join(dir, 'c.vhd'), { type: 'dynamic', azure: true }),
    ]) {
      failures.push(await attempt().then(() => { throw new Error('expected a failure'); }, (error: unknown) => error as VhdIoError));
    }
    const spanish = [/contiene más de los 1048576 bytes pedidos/, /es una carpeta, no una imagen de disco sin formato/, /Azure solo acepta VHD fijos/];
    failures.forEach((failure, index) => {
      expect(failure).toBeInstanceOf(VhdIoError);
      expect(vhdIoErrorDetail(failure, 'en')).toBe(failure.message);
      expect(vhdIoErrorDetail(failure, 'es')).toMatch(spanish[index]!);
    });
    expect(await readFile(rawPath)).toHaveLength(5 * MIB + 1000);
  });
});
