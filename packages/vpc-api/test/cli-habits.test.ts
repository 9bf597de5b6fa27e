import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testFolder, withSmallVolume } from '@vhdkit/test-support';
import { openDisk, readImageMetadata } from '@vhdkit/vhd-diff';
import { uniqueIdToString } from '@vhdkit/vhd-format';
import { messageFor } from '@vhdkit/vpc-errors';
import { CLI_BIN, MIB, exists, expectUnchanged, failureLine, makeDynamic, runVpc, snapshot, tree } from './helpers.js';

// The `vpc` command line as shell users expect it: paths, usage errors, byte counts, quiet output, locale, the
// error line everywhere, JSON shapes. Each runs the built bin in a child process.

const folder = testFolder('vpc-habits-').nextFolder;

describe('paths are relative to the current folder', { timeout: 30_000 }, () => {
  it('create-diff child.vhd base.vhd in the parent\'s folder makes ./child.vhd on ./base.vhd', async () => {
    const dir = await folder();
    const parent = await makeDynamic(path.join(dir, 'base.vhd'), 8 * MIB);
    const before = await snapshot(parent);
    const run = runVpc(['create-diff', '--json', 'child.vhd', 'base.vhd'], { cwd: dir });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ path: path.join(dir, 'child.vhd'), type: 'differencing' });
    const child = await readImageMetadata(path.join(dir, 'child.vhd'));
    expect(uniqueIdToString(child.header!.parentUniqueId)).toBe(uniqueIdToString((await readImageMetadata(parent)).footer.uniqueId));
    await expectUnchanged(before);
  });

  it('a relative path is never resolved against the other path by the CLI (sub/child.vhd with sub/../base.vhd)', async () => {
    const dir = await folder();
    await makeDynamic(path.join(dir, 'base.vhd'), 8 * MIB);
    // The API would read "base.vhd" as <folder of sub/c.vhd>/base.vhd, which does not exist; the CLI reads ./base.vhd.
    const run = runVpc(['create-diff', '--quiet', 'sub/c.vhd', 'base.vhd'], { cwd: dir });
    expect(run.status, run.stderr).toBe(0);
    expect(await exists(path.join(dir, 'sub/c.vhd'))).toBe(true);
  });

  it('a path that ends in a separator names a folder: refused with ERROR_INVALID_NAME, nothing created', async () => {
    const dir = await folder();
    await makeDynamic(path.join(dir, 'p.vhd'), 8 * MIB);
    const treeBefore = await tree(dir);
    for (const args of [
      ['create-diff', `${path.join(dir, 'newdir')}/`, path.join(dir, 'p.vhd')],
      ['create-diff', 'newdir/', 'p.vhd'],
      ['create-diff', 'c.vhd', 'p.vhd/'],
      ['create', 'newdir/', '--size', '8M'],
    ]) {
      const run = runVpc(args, { cwd: dir });
      expect(run.status, args.join(' ')).toBe(1);
      expect(failureLine(run), args.join(' ')).toMatchObject({ hresult: '0x8007007B', name: 'ERROR_INVALID_NAME' });
      expect(failureLine(run)!.message).toContain('ends in a separator');
    }
    expect(await tree(dir)).toEqual(treeBefore);
  });

  it('an empty path stays empty (ERROR_BAD_PATHNAME), it does not name the current folder', async () => {
    const dir = await folder();
    await makeDynamic(path.join(dir, 'p.vhd'), 8 * MIB);
    const run = runVpc(['create-diff', '', 'p.vhd'], { cwd: dir });
    expect(failureLine(run)?.name).toBe('ERROR_BAD_PATHNAME');
  });

  it('--help of create-diff documents the difference from the API', () => {
    const help = runVpc(['create-diff', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: vpc create-diff [options] <imagePath> <parentPath>');
    expect(help.stdout).toMatch(/Relative paths are relative to the current folder/);
    expect(help.stdout).toMatch(/relative path is resolved against the folder of the other path/);
  });
});

describe('usage errors say what is valid and point to --help', { timeout: 30_000 }, () => {
  it.each([
    ['missing argument', ['create-diff', '/a.vhd'], ["missing required argument 'parentPath'", 'usage: vpc create-diff [options] <imagePath> <parentPath>', "see 'vpc create-diff --help'"]],
    ['--size 10X', ['create', '/x.vhd', '--size', '10X'], ['--size 10X is not a whole number of bytes', 'K, M, G or T suffix', "see 'vpc create --help'"]],
    ['unknown command', ['frobnicate'], ["unknown command 'frobnicate'", 'commands: create-diff, create, info', "see 'vpc --help'"]],
    ['--type of another kind', ['create', '/x.vhd', '--size', '8M', '--type', 'sparse'], ['Allowed choices are dynamic, fixed', "see 'vpc create --help'"]],
    ['--min-free with a fraction of a byte', ['create-diff', '--min-free', '0.5', '/a.vhd', '/b.vhd'], ['--min-free 0.5 is not a whole number of bytes', "see 'vpc create-diff --help'"]],
  ])('%s', (_name, args, parts) => {
    const run = runVpc(args);
    expect(run.status).toBe(1);
    expect(failureLine(run)).toMatchObject({ hresult: '0x80070057', name: 'E_INVALIDARG' });
    for (const part of parts) expect(failureLine(run)!.message).toContain(part);
  });

  it('help shows required arguments as required', () => {
    for (const command of ['create-diff', 'create', 'info', 'cat', 'write', 'merge', 'set-parent', 'convert', 'check']) {
      const usage = runVpc([command, '--help']).stdout.split('\n')[0]!;
      expect(usage, command).not.toMatch(/\[(imagePath|parentPath|path|image|child|parent|source|destination)\]/);
      expect(usage, command).toMatch(/<\w+>$/);
    }
  });

  it('help of info, cat and check says the image may be an http(s) URL; commands that only open files do not', () => {
    for (const command of ['info', 'cat', 'check']) {
      const help = runVpc([command, '--help']);
      expect(help.status, command).toBe(0);
      expect(help.stdout.split('\n')[0], command).toBe(`Usage: vpc ${command} [options] <image>`);
      expect(help.stdout, command).toMatch(/^ {2}image +the image: a path, or an http\(s\) URL$/m);
    }
    for (const command of ['write', 'merge', 'set-parent', 'convert', 'resize', 'compact', 'import', 'export']) {
      expect(runVpc([command, '--help']).stdout, command).not.toMatch(/URL/i);
    }
  });
});

describe('byte offsets are whole bytes', { timeout: 30_000 }, () => {
  it.each(['1.5', '0.4', '7.9', '1e3', '0x10', '-1', '1.5.5'])('--offset %s is refused with E_INVALIDARG and the image is untouched', async (offset) => {
    const dir = await folder();
    const image = await makeDynamic(path.join(dir, 'd.vhd'), 8 * MIB);
    const before = await snapshot(image);
    const run = runVpc(['write', image, '--offset', offset], { input: Buffer.from('hello') });
    expect(run.status).toBe(1);
    expect(failureLine(run)).toMatchObject({ name: 'E_INVALIDARG' });
    expect(failureLine(run)!.message).toContain(`--offset ${offset} is not a whole number of bytes`);
    await expectUnchanged(before);
  });

  it('suffixes work as for --size: --offset 1.5K writes at 1536; --size 1e3 and 0x10 are refused as --offset\'s are', async () => {
    const dir = await folder();
    const image = await makeDynamic(path.join(dir, 'd.vhd'), 8 * MIB);
    const run = runVpc(['write', image, '--offset', '1.5K', '--json'], { input: Buffer.from('hello') });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ offset: 1536, bytesWritten: 5 });
    const bytes = runVpc(['cat', image]).stdoutBytes;
    expect(bytes.subarray(1536, 1541).toString()).toBe('hello');
    expect(bytes.subarray(1530, 1536).every((byte) => byte === 0)).toBe(true);
    for (const size of ['1e3', '0x10', '3.0000001M']) {
      const refused = runVpc(['create', path.join(dir, `s-${size}.vhd`), '--size', size]);
      expect(failureLine(refused)?.name, size).toBe('E_INVALIDARG');
      expect(await exists(path.join(dir, `s-${size}.vhd`))).toBe(false);
    }
    expect(await readFile(image)).toBeDefined();
  });
});

/** Runs `command` under script(1), so the CLI's stderr is a terminal; undefined when script(1) is missing. */
function onTerminal(command: string, env: NodeJS.ProcessEnv = {}): { status: number | null; output: string } {
  const run = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env: { ...process.env, LC_ALL: '', LC_MESSAGES: '', LANG: 'C.UTF-8', ...env } });
  return { status: run.status, output: run.stdout };
}

describe('-q, TERM=dumb and the locale', { timeout: 60_000 }, () => {
  it('-q silences every result (text and --json) but not errors, for every command that prints one', async () => {
    const dir = await folder();
    const parent = path.join(dir, 'base.vhd');
    const runs = [
      runVpc(['-q', 'create', parent, '--size', '8M']),
      runVpc(['--quiet', '--json', 'create-diff', 'child.vhd', 'base.vhd'], { cwd: dir }),
      runVpc(['-q', 'info', parent]),
      runVpc(['-q', '--json', 'info', parent]),
      runVpc(['-q', 'write', 'child.vhd', '--offset', '4K'], { cwd: dir, input: Buffer.from('data') }),
      runVpc(['-q', 'check', parent]),
      runVpc(['-q', 'convert', 'child.vhd', 'flat.vhd', '--type', 'dynamic'], { cwd: dir }),
      runVpc(['-q', 'set-parent', 'child.vhd', 'base.vhd'], { cwd: dir }),
      runVpc(['-q', 'merge', 'child.vhd'], { cwd: dir }),
    ];
    for (const run of runs) {
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe('');
    }
    // The write reached the parent through the merge: the commands ran, only their output was silenced.
    expect(runVpc(['cat', parent]).stdoutBytes.subarray(4096, 4100).toString()).toBe('data');
    const failure = runVpc(['-q', 'info', path.join(dir, 'missing.vhd')]);
    expect(failure.status).toBe(1);
    expect(failureLine(failure)?.name).toBe('ERROR_FILE_NOT_FOUND');
  });

  it('TERM=dumb gets no escape codes (no progress bar) on a terminal; another TERM gets the bar', async (context) => {
    if (spawnSync('script', ['--version']).error !== undefined) context.skip('util-linux script(1) is needed to give the CLI a terminal');
    const dir = await folder();
    const create = (name: string) => `${process.execPath} ${CLI_BIN} create ${path.join(dir, name)} --size 2000G`;
    const dumb = onTerminal(create('dumb.vhd'), { TERM: 'dumb' });
    expect(dumb.status).toBe(0);
    expect(dumb.output).toMatch(/^Created dynamic disk /);
    expect(dumb.output).not.toContain('\u001b');
    const xterm = onTerminal(create('xterm.vhd'), { TERM: 'xterm' });
    expect(xterm.status).toBe(0);
    expect(xterm.output).toContain('\u001b');
    expect(xterm.output).toMatch(/\d+% \| \d+\/\d+ bytes/);
  });

  it.each([
    ['LC_ALL wins over LANG', { LC_ALL: 'es_ES.UTF-8', LANG: 'en_US.UTF-8' }, 'es'],
    ['LC_ALL=C wins over a Spanish LANG', { LC_ALL: 'C', LANG: 'es_ES.UTF-8' }, 'en'],
    ['LC_MESSAGES wins over LANG', { LC_MESSAGES: 'es_MX.UTF-8', LANG: 'C.UTF-8' }, 'es'],
    ['LC_ALL wins over LC_MESSAGES', { LC_ALL: 'en_US.UTF-8', LC_MESSAGES: 'es_ES.UTF-8' }, 'en'],
    ['an empty LC_ALL is not set', { LC_ALL: '', LANG: 'es_ES.UTF-8' }, 'es'],
    ['LANG alone', { LANG: 'es_AR.UTF-8' }, 'es'],
  ])('%s', (_name, env, lang) => {
    const run = runVpc(['info', '/definitely/not/here.vhd'], { env });
    expect(failureLine(run)?.name).toBe('ERROR_FILE_NOT_FOUND');
    expect(failureLine(run)!.message.startsWith(messageFor('ERROR_FILE_NOT_FOUND', lang as 'en' | 'es'))).toBe(true);
  });

  it('--lang wins over LC_ALL', () => {
    const run = runVpc(['--lang', 'en', 'info', '/definitely/not/here.vhd'], { env: { LC_ALL: 'es_ES.UTF-8' } });
    expect(failureLine(run)!.message.startsWith(messageFor('ERROR_FILE_NOT_FOUND', 'en'))).toBe(true);
  });
});

/** Runs the bin with stdout on `fd` (an open file: the child shares its offset); stderr is captured. */
function withStdoutOn(fd: number, args: readonly string[], cwd = '/'): { status: number | null; stderr: string } {
  const run = spawnSync(process.execPath, [CLI_BIN, ...args], {
    cwd, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', env: { ...process.env, LC_ALL: '', LC_MESSAGES: '', LANG: 'C.UTF-8' },
  });
  return { status: run.status, stderr: run.stderr };
}

/** Runs the bin with stdout on /dev/full (every write fails with ENOSPC); stderr is captured. */
function withFullStdout(args: readonly string[], cwd = '/'): { status: number | null; stderr: string } {
  const full = openSync('/dev/full', 'w');
  try {
    return withStdoutOn(full, args, cwd);
  } finally {
    closeSync(full);
  }
}

const NO_STACK = /node:events|^\s+at /m;

describe('vpc cat into a regular file', { timeout: 60_000 }, () => {
  it('writes at the descriptor\'s offset and moves it, as `(printf head; vpc cat c.vhd; printf tail) > f` expects', async () => {
    const dir = await folder();
    const image = await makeDynamic(path.join(dir, 'c.vhd'), 8 * MIB);
    const written = new Uint8Array(3 * MIB + 7).map((_, index) => (index * 31 + 7) & 0xff);
    const disk = await openDisk(image, { writable: true });
    try {
      await disk.write(written, 2 * MIB + 512);
      await disk.flush();
    } finally {
      await disk.close();
    }
    const output = path.join(dir, 'out.raw');
    const fd = openSync(output, 'w');
    try {
      writeSync(fd, 'head');
      expect(withStdoutOn(fd, ['cat', 'c.vhd'], dir)).toEqual({ status: 0, stderr: '' });
      writeSync(fd, 'tail'); // at the offset vpc cat left
    } finally {
      closeSync(fd);
    }
    const bytes = await readFile(output);
    const virtualSize = (await readImageMetadata(image)).footer.currentSize;
    expect(bytes.length).toBe(4 + virtualSize + 4);
    expect(bytes.subarray(0, 4).toString()).toBe('head');
    expect(bytes.subarray(bytes.length - 4).toString()).toBe('tail');
    const disk2 = await openDisk(image);
    try {
      const expected = new Uint8Array(virtualSize);
      await disk2.read(expected, 0);
      expect(Buffer.compare(bytes.subarray(4, 4 + virtualSize), expected)).toBe(0);
    } finally {
      await disk2.close();
    }
  });

  it('a file on a full volume: 0x80070070 ERROR_DISK_FULL, no stack trace', async () => {
    const dir = await folder();
    await makeDynamic(path.join(dir, 'c.vhd'), 8 * MIB);
    const volume = path.join(dir, 'small');
    await mkdir(volume);
    await withSmallVolume(volume, 2 * MIB, async () => {
      const fd = openSync(path.join(volume, 'out.raw'), 'w');
      try {
        const run = withStdoutOn(fd, ['cat', 'c.vhd'], dir);
        expect(run.status).toBe(1);
        expect(run.stderr.split('\n')[0]).toMatch(/^0x80070070 ERROR_DISK_FULL: /);
        expect(run.stderr).not.toMatch(NO_STACK);
      } finally {
        closeSync(fd);
      }
    });
  });
});

describe('the error line holds everywhere', { timeout: 60_000 }, () => {
  it('write --input /nonexistent: 0x80070002 ERROR_FILE_NOT_FOUND naming the input, no stack trace, image untouched', async () => {
    const dir = await folder();
    const image = await makeDynamic(path.join(dir, 'c.vhd'), 8 * MIB);
    const before = await snapshot(image);
    const run = runVpc(['write', 'c.vhd', '--offset', '0', '--input', '/nonexistent'], { cwd: dir });
    expect(run.status).toBe(1);
    expect(failureLine(run)).toMatchObject({ hresult: '0x80070002', name: 'ERROR_FILE_NOT_FOUND' });
    expect(failureLine(run)!.message).toMatch(/: \/nonexistent$/);
    expect(run.stderr).not.toMatch(NO_STACK);
    await expectUnchanged(before);
    // A folder as input fails while reading, also as an error line naming it.
    const folderInput = runVpc(['write', 'c.vhd', '--offset', '0', '--input', dir], { cwd: dir });
    expect(failureLine(folderInput)).toMatchObject({ name: 'ERROR_ACCESS_DENIED' });
    expect(failureLine(folderInput)!.message).toContain(dir);
    expect(folderInput.stderr).not.toMatch(NO_STACK);
  });

  it('output to a full device: 0x80070070 ERROR_DISK_FULL for results, JSON, help and version; the error still reaches stderr', async () => {
    const dir = await folder();
    const image = await makeDynamic(path.join(dir, 'c.vhd'), 8 * MIB);
    for (const args of [
      ['info', image, '--json'],
      ['info', image],
      ['check', image],
      ['check', '--json', image],
      ['--help'],
      ['create', '--help'],
      ['--version'],
      ['create', path.join(dir, 'new.vhd'), '--size', '8M'],
      ['cat', image],
    ]) {
      const run = withFullStdout(args);
      expect(run.status, args.join(' ')).toBe(1);
      expect(run.stderr.split('\n')[0], args.join(' ')).toMatch(/^0x80070070 ERROR_DISK_FULL: /);
      expect(run.stderr, args.join(' ')).not.toMatch(NO_STACK);
    }
    // A failure whose --json report cannot be written still has its line on stderr.
    const missing = withFullStdout(['info', path.join(dir, 'missing.vhd'), '--json']);
    expect(missing.status).toBe(1);
    expect(missing.stderr.split('\n')[0]).toMatch(/^0x80070002 ERROR_FILE_NOT_FOUND: /);
    expect(missing.stderr).not.toMatch(NO_STACK);
  });

  it('a reader that goes away (EPIPE) is not a failure: exit 0, nothing on stderr', async () => {
    const dir = await folder();
    const image = await makeDynamic(path.join(dir, 'c.vhd'), 8 * MIB);
    const child = spawn(process.execPath, [CLI_BIN, 'info', image], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });
});

describe('vpc merge --help', { timeout: 30_000 }, () => {
  it('says the child is deleted after a successful merge — and it is', async () => {
    const help = runVpc(['merge', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/then delete the child/);
    expect(help.stdout).toMatch(/After a successful merge the child file is deleted/);
    const dir = await folder();
    await makeDynamic(path.join(dir, 'p.vhd'), 8 * MIB);
    expect(runVpc(['-q', 'create-diff', 'c.vhd', 'p.vhd'], { cwd: dir }).status).toBe(0);
    const merged = runVpc(['merge', 'c.vhd'], { cwd: dir });
    expect(merged.status, merged.stderr).toBe(0);
    expect(merged.stdout).toContain(`${path.join(dir, 'c.vhd')} deleted`);
    expect(await tree(dir)).toEqual(['p.vhd']);
  });
});
