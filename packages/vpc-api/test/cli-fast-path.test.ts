import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDisk, readImageMetadata } from '@vhdkit/vhd-diff';
import { readImageInfo } from '../src/index.js';
import { fastCommand } from '../src/cli/fast-path.js';
import type { CliRun } from './helpers.js';
import { CLI_BIN, MIB, PACKAGE_ROOT, failureLine, makeDynamic, runVpc } from './helpers.js';

// The bin runs plain `vpc info`, `create-diff`, `write` and `cat` from CommonJS bundles of their own (src/cli/fast-path.ts).
// Each case here runs the same command line through the bin and through the full CLI (runCli, as the volume fixture
// runs it) and expects the same exit code, stdout and stderr; the preloaded recorder says which path ran.

const RECORDER = path.join(PACKAGE_ROOT, 'test/fixtures/record-fast-path.cjs');

let dir: string;
let dynamic: string;
let child: string;
let junk: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vpc-fast-'));
  dynamic = await makeDynamic(path.join(dir, 'base.vhd'), 64 * MIB);
  child = path.join(dir, 'child.vhd');
  expect(runVpc(['create-diff', '--quiet', child, dynamic], { volume: {} }).status).toBe(0);
  // One block written, so the allocated count is not zero.
  expect(runVpc(['write', '--quiet', dynamic, '--offset', '3M'], { input: new Uint8Array(4096).fill(7), volume: {} }).status).toBe(0);
  junk = path.join(dir, 'junk.bin');
  await writeFile(junk, new Uint8Array(4096).fill(1));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Runs the bin with the recorder (stdin redirected from `stdinFile`, else none); returns the run, the fast-path
 * bundles it loaded and whether the ESM CLI ran.
 */
async function viaBin(args: readonly string[], env: NodeJS.ProcessEnv = {}, stdinFile?: string): Promise<{ run: CliRun; loaded: { fast: string[]; esm: boolean } }> {
  const record = path.join(dir, `loaded-${Math.random().toString(16).slice(2)}.json`);
  const stdin = stdinFile === undefined ? 'ignore' : openSync(stdinFile, 'r');
  const result = spawnSync(process.execPath, ['-r', RECORDER, CLI_BIN, ...args], {
    stdio: [stdin, 'pipe', 'pipe'],
    maxBuffer: 1 << 28, // `cat` writes the whole disk
    cwd: dir,
    env: { ...process.env, LC_ALL: undefined, LC_MESSAGES: undefined, LANG: 'C.UTF-8', ...env, VPC_TEST_LOADED: record },
  });
  if (typeof stdin === 'number') closeSync(stdin);
  const loaded = JSON.parse(await readFile(record, 'utf8')) as { fast: string[]; esm: boolean };
  await rm(record);
  return { run: { status: result.status, stdout: result.stdout.toString('utf8'), stdoutBytes: result.stdout, stderr: result.stderr.toString('utf8') }, loaded };
}

const viaFullCli = (args: readonly string[], env: NodeJS.ProcessEnv = {}): CliRun => runVpc(args, { cwd: dir, env, volume: {} });

/** An info report without what differs between two children of one parent made a moment apart. */
const withoutIdentity = (info: Record<string, unknown>) => ({
  ...info, path: '', uniqueId: '', timestamp: '', footer: { ...(info.footer as object), checksum: 0 }, chain: (info.chain as unknown[]).slice(1),
});

const comparable = (run: CliRun) => ({ status: run.status, stdout: run.stdout, stderr: run.stderr });
const digest = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('fastCommand: the command lines the fast path takes', () => {
  it.each([
    [['info', 'a.vhd'], { command: 'info', operands: ['a.vhd'], values: {}, json: false, quiet: false }],
    [['--json', 'info', 'a.vhd'], { command: 'info', operands: ['a.vhd'], values: {}, json: true, quiet: false }],
    [['info', 'a.vhd', '-q'], { command: 'info', operands: ['a.vhd'], values: {}, json: false, quiet: true }],
    [['create-diff', '--quiet', 'c.vhd', 'p.vhd'], { command: 'create-diff', operands: ['c.vhd', 'p.vhd'], values: {}, json: false, quiet: true }],
    [['write', 'a.vhd', '--offset', '4M'], { command: 'write', operands: ['a.vhd'], values: { offset: '4M' }, json: false, quiet: false }],
    [['write', '--offset=0', '--input', '-', 'a.vhd'], { command: 'write', operands: ['a.vhd'], values: { offset: '0', input: '-' }, json: false, quiet: false }],
    [['-q', 'write', 'a.vhd', '--input=in.raw', '--offset', '1'], { command: 'write', operands: ['a.vhd'], values: { input: 'in.raw', offset: '1' }, json: false, quiet: true }],
    [['cat', 'a.vhd'], { command: 'cat', operands: ['a.vhd'], values: {}, json: false, quiet: false }],
  ])('%j', (argv, expected) => {
    expect(fastCommand(argv)).toEqual(expected);
  });

  it.each([
    [['info']],
    [['info', 'a.vhd', 'b.vhd']],
    [['create-diff', 'c.vhd']],
    [['info', '--lang', 'es', 'a.vhd']],
    [['--output=json', 'info', 'a.vhd']],
    [['info', '--', 'a.vhd']],
    [['info', '-']],
    [['info', '']],
    [['info', '--help']],
    [['create-diff', '--min-free', '1M', 'c.vhd', 'p.vhd']],
    [['cat', 'a.vhd', 'b.vhd']],
    [['cat', 'a.vhd', '--offset', '0']],
    [['cat', '--help']],
    [['toString', 'a.vhd']],
    [['a.vhd', 'info']],
    [['write', 'a.vhd']],
    [['write', 'a.vhd', '--offset']],
    [['write', 'a.vhd', '--offset', '1', '--offset', '2']],
    [['write', 'a.vhd', '--offset', '-1']],
    [['write', 'a.vhd', '--offset=']],
    [['--offset', '0', 'write', 'a.vhd']],
    [['info', 'a.vhd', '--offset', '0']],
    [['write', 'a.vhd', '--offset', '0', '--size', '1']],
  ])('%j goes to the full CLI', (argv) => {
    expect(fastCommand(argv)).toBeUndefined();
  });
});

describe('the fast path answers as the full CLI does', () => {
  it.each([
    ['info of a dynamic image', () => ['info', dynamic]],
    ['info --json', () => ['--json', 'info', dynamic]],
    ['info --json after the path', () => ['info', dynamic, '--json']],
    ['info --quiet', () => ['info', '-q', dynamic]],
    ['info of a differencing child (the chain)', () => ['info', 'child.vhd']],
    ['info of a missing file', () => ['info', path.join(dir, 'missing.vhd')]],
    ['info of a file that is no VHD', () => ['info', junk]],
    ['info --json of a file that is no VHD', () => ['info', '--json', junk]],
  ])('%s', async (_name, args) => {
    const fast = await viaBin(args());
    expect(fast.loaded).toEqual({ fast: ['fast-info.cjs'], esm: false });
    expect(comparable(fast.run)).toEqual(comparable(viaFullCli(args())));
  });

  it('info failures in Spanish (LANG=es_ES.UTF-8)', async () => {
    const env = { LANG: 'es_ES.UTF-8' };
    const fast = await viaBin(['info', junk], env);
    expect(fast.loaded).toEqual({ fast: ['fast-info.cjs'], esm: false });
    expect(fast.run.status).toBe(1);
    expect(failureLine(fast.run)?.name).toBe('VM_E_INVALID_HD_FILE');
    expect(comparable(fast.run)).toEqual(comparable(viaFullCli(['info', junk], env)));
  });

  it('create-diff: the same report and the same child (but for its id and timestamp)', async () => {
    const fast = await viaBin(['create-diff', '--json', 'fast.vhd', dynamic]);
    const full = viaFullCli(['create-diff', '--json', 'full.vhd', dynamic]);
    expect(fast.loaded).toEqual({ fast: ['fast-create-diff.cjs'], esm: false });
    expect([fast.run.status, full.status]).toEqual([0, 0]);
    const fastJson = JSON.parse(fast.run.stdout) as Record<string, unknown>;
    const fullJson = JSON.parse(full.stdout) as Record<string, unknown>;
    expect(fastJson.path).toBe(path.join(dir, 'fast.vhd'));
    expect({ ...fastJson, path: '', uniqueId: '' }).toEqual({ ...fullJson, path: '', uniqueId: '' });
    const [fastBytes, fullBytes] = await Promise.all([readFile(path.join(dir, 'fast.vhd')), readFile(path.join(dir, 'full.vhd'))]);
    expect(fastBytes.length).toBe(fullBytes.length);
    // The footers differ in the timestamp, unique id and checksum only; both info reports agree but for those.
    const fastInfo = JSON.parse(runVpc(['info', '--json', path.join(dir, 'fast.vhd')]).stdout) as Record<string, unknown>;
    const fullInfo = JSON.parse(runVpc(['info', '--json', path.join(dir, 'full.vhd')]).stdout) as Record<string, unknown>;
    expect(withoutIdentity(fastInfo)).toEqual(withoutIdentity(fullInfo));
  });

  it.each([
    ['create-diff over an existing file', () => ['create-diff', 'child.vhd', dynamic]],
    ['create-diff of a missing parent', () => ['create-diff', 'new.vhd', path.join(dir, 'missing.vhd')]],
    ['create-diff --json of a parent that is no VHD', () => ['create-diff', '--json', 'new.vhd', junk]],
  ])('%s: the same failure, and no file left', async (_name, args) => {
    const fast = await viaBin(args());
    expect(fast.loaded).toEqual({ fast: ['fast-create-diff.cjs'], esm: false });
    expect(fast.run.status).toBe(1);
    expect(comparable(fast.run)).toEqual(comparable(viaFullCli(args())));
    expect(spawnSync('test', ['-e', path.join(dir, 'new.vhd')]).status).toBe(1);
  });

  it.each([
    ['write from stdin redirected from a file', () => ['write', 'w.vhd', '--offset', '3M'], true],
    ['write --input file --json', () => ['write', '--json', 'w.vhd', '--offset=1000', '--input', 'input.raw'], false],
    ['write past the end', () => ['write', 'w.vhd', '--offset', '63M'], true],
    ['write with an offset that is no size', () => ['write', 'w.vhd', '--offset', '12Q'], true],
    ['write of a missing input file', () => ['write', 'w.vhd', '--offset', '0', '--input', 'missing.raw'], false],
    ['write into a missing image', () => ['write', 'missing.vhd', '--offset', '0'], true],
  ] as const)('%s: the same answer and the same disk', async (_name, args, fromStdin) => {
    const input = path.join(dir, 'input.raw');
    // 5 MiB + 7 bytes of a pattern that differs from block to block (whole 4 MiB reads and a tail).
    await writeFile(input, Uint8Array.from({ length: 5 * MIB + 7 }, (_, index) => (index * 7 + (index >> 20)) & 0xff));
    const outcome = async (viaFast: boolean) => {
      const image = path.join(dir, 'w.vhd');
      await rm(image, { force: true });
      await makeDynamic(image, 64 * MIB);
      const { run, loaded } = await viaBin(viaFast ? args() : ['--lang', 'en', ...args()], {}, fromStdin ? input : undefined);
      expect(loaded).toEqual(viaFast ? { fast: ['fast-write.cjs'], esm: false } : { fast: [], esm: true });
      const disk = await openDisk(image);
      try {
        const content = new Uint8Array(disk.virtualSize);
        await disk.read(content, 0);
        return { run: comparable(run), content: createHash('sha256').update(content).digest('hex') };
      } finally {
        await disk.close();
      }
    };
    const fast = await outcome(true);
    expect(fast).toEqual(await outcome(false));
  });

  it.each([
    ['cat of a differencing child (through its chain)', () => ['cat', 'child.vhd']],
    ['cat -q of a dynamic image', () => ['cat', '-q', dynamic]],
    ['cat of a missing file', () => ['cat', path.join(dir, 'missing.vhd')]],
    ['cat of a file that is no VHD', () => ['cat', junk]],
  ])('%s: the same bytes and the same answer', async (_name, args) => {
    const fast = await viaBin(args());
    expect(fast.loaded).toEqual({ fast: ['fast-cat.cjs'], esm: false });
    const full = viaFullCli(args());
    expect({ status: fast.run.status, stdout: digest(fast.run.stdoutBytes), stderr: fast.run.stderr })
      .toEqual({ status: full.status, stdout: digest(full.stdoutBytes), stderr: full.stderr });
    if (fast.run.status === 0) expect(fast.run.stdoutBytes.length).toBe(64 * MIB);
  });

  it('info counts the used entries of a table larger than one read (102,400 entries) as the decoded table does', async () => {
    const image = await makeDynamic(path.join(dir, 'wide.vhd'), 200 * 1024 * MIB);
    const written = [0, 65_535, 65_536, 65_537, 102_399];
    const disk = await openDisk(image, { writable: true });
    try {
      for (const block of written) await disk.write(new Uint8Array(512).fill(9), block * 2 * MIB);
    } finally {
      await disk.close();
    }
    const decoded = (await readImageMetadata(image)).bat!;
    expect(decoded).toHaveLength(102_400);
    expect(decoded.filter((entry) => entry !== 0xffffffff)).toHaveLength(written.length);
    const fast = await viaBin(['info', '--json', image]);
    expect(fast.loaded.fast).toEqual(['fast-info.cjs']);
    expect((JSON.parse(fast.run.stdout) as { allocatedBlocks: number }).allocatedBlocks).toBe(written.length);
    expect(await readImageInfo(image)).toEqual(JSON.parse(fast.run.stdout));
  });

  it('info of a table too short for the disk: the error of the full read, whichever path', async () => {
    const image = path.join(dir, 'short-table.vhd');
    await rm(image, { force: true });
    await makeDynamic(image, 8 * MIB);
    // maxTableEntries 4 where 8 MiB of 2 MiB blocks needs 4: make it 3, with the header checksum fixed.
    const bytes = await readFile(image);
    const headerOffset = Number(bytes.readBigUInt64BE(bytes.length - 512 + 16));
    bytes.writeUInt32BE(3, headerOffset + 28);
    bytes.writeUInt32BE(0, headerOffset + 36);
    let sum = 0;
    for (const byte of bytes.subarray(headerOffset, headerOffset + 1024)) sum += byte;
    bytes.writeUInt32BE(~sum >>> 0, headerOffset + 36);
    await writeFile(image, bytes);
    const fast = await viaBin(['info', image]);
    expect(fast.loaded).toEqual({ fast: ['fast-info.cjs'], esm: false });
    expect(fast.run.status).toBe(1);
    expect(failureLine(fast.run)?.name).toBe('ERROR_FILE_CORRUPT');
    expect(comparable(fast.run)).toEqual(comparable(viaFullCli(['info', image])));
    await expect(readImageInfo(image)).rejects.toThrow();
    await expect(readImageMetadata(image)).rejects.toThrow();
  });

  it('other command lines run the full CLI', async () => {
    const slow = await viaBin(['info', '--lang', 'en', dynamic]);
    expect(slow.loaded.esm).toBe(true);
    expect(comparable(slow.run)).toEqual(comparable(await viaBin(['info', dynamic]).then(({ run }) => run)));
  });
});
