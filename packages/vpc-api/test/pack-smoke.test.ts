// What an npm user meets: the four packages packed as they would be published, installed from the tarballs into a
// fresh project, then used from the command line, from JavaScript and from strict TypeScript 5 — plus publint and
// "are the types wrong" on every tarball.
import { spawn, spawnSync } from 'node:child_process';
import type { SpawnOptions, SpawnSyncOptions } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const PACKAGES = ['vhd-format', 'vpc-errors', 'vhd-diff', 'vpc-api'] as const;
const BIN = path.join(REPO_ROOT, 'node_modules/.bin');
const TSC5 = path.join(REPO_ROOT, 'node_modules/typescript5/bin/tsc');
const MIB = 1024 * 1024;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], options: SpawnSyncOptions = {}): Run {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * MIB, ...options });
  if (result.error) throw result.error;
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** As `run`, without blocking: the slow checks (tsc, attw, publint) run side by side. */
function runAsync(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Fails with the command's own output, so a CI log says what went wrong. */
function expectSuccess(result: Run, what: string): Run {
  if (result.status !== 0) expect.fail(`${what} exited ${result.status}\n${result.stdout}\n${result.stderr}`);
  return result;
}

let root: string;
let project: string;
let tarballs: Record<(typeof PACKAGES)[number], string>;
let packedFiles: Record<string, string[]>;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'vpc-pack-'));
  const packed = path.join(root, 'tarballs');
  project = path.join(root, 'project');
  await mkdir(packed);
  await mkdir(project);
  // One npm process packs all four (each package's own `files`, as `npm publish` would).
  const workspaces = PACKAGES.flatMap((name) => ['--workspace', `packages/${name}`]);
  const pack = expectSuccess(run('npm', ['pack', '--json', '--pack-destination', packed, ...workspaces], { cwd: REPO_ROOT }), 'npm pack');
  const entries = JSON.parse(pack.stdout) as { name: string; filename: string; files: { path: string }[] }[];
  packedFiles = Object.fromEntries(entries.map((entry) => [entry.name.replace('@vhdkit/', ''), entry.files.map((file) => file.path)]));
  const packedNames = entries.map((entry) => [entry.name.replace('@vhdkit/', ''), path.join(packed, entry.filename)]);
  const names = Object.fromEntries(packedNames) as Record<(typeof PACKAGES)[number], string>;
  expect(new Set(Object.keys(names))).toEqual(new Set(PACKAGES));
  tarballs = names;
  await writeFile(path.join(root, 'package.json'), '{}\n'); // stops npm from walking up into another project
  await writeFile(path.join(project, 'package.json'), `${JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2)}\n`);
  // Third-party dependencies come from the npm cache when it has them (CI has just run `npm ci`).
  expectSuccess(run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...Object.values(tarballs)], { cwd: project }), 'npm install of the tarballs');
}, 240_000);

afterAll(async () => {
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

describe('packed packages in a fresh project', { timeout: 240_000 }, () => {
  it('tarballs hold no declaration maps, and only the bundled CLI (with its third-party licences)', () => {
    for (const name of PACKAGES) {
      expect(packedFiles[name]).toContain('dist/index.js');
      expect(packedFiles[name]).toContain('dist/index.d.ts');
      expect(packedFiles[name]!.filter((file) => file.endsWith('.d.ts.map') || file.endsWith('.tsbuildinfo'))).toEqual([]);
    }
    const api = packedFiles['vpc-api']!;
    expect(api).toEqual(expect.arrayContaining(['bin/vpc.js', 'dist/cli-bundle/cli.js', 'dist/cli-bundle/THIRD-PARTY-LICENSES.txt', 'dist/cli.d.ts']));
    // The unbundled CLI's code is not shipped; the library's info report (dist/cli/info-report.js) is.
    expect(api.filter((file) => /^dist\/cli(\.js|\/.*\.js)$/.test(file))).toEqual(['dist/cli/info-report.js']);
  });

  it('npx vpc: --version, create, create-diff and info work from the installed tarball', async () => {
    const version = expectSuccess(run('npx', ['--no-install', 'vpc', '--version'], { cwd: project }), 'npx vpc --version');
    // The bin npm linked for the installed package (what npx ran), without npx's own start-up each time.
    const vpc = (...args: string[]) => run(path.join(project, 'node_modules/.bin/vpc'), args, { cwd: project });
    expect(version.stdout.trim()).toBe('0.1.0');
    const base = path.join(project, 'base.vhd');
    const child = path.join(project, 'child.vhd');
    expectSuccess(vpc('create', base, '--size', '16M', '--quiet'), 'vpc create');
    expectSuccess(vpc('create-diff', child, base, '--quiet'), 'vpc create-diff');
    const info = JSON.parse(expectSuccess(vpc('info', child, '--json'), 'vpc info').stdout) as Record<string, unknown>;
    expect(JSON.stringify(info)).toContain(base);
    expect(info).toMatchObject({ path: child });
    expect(JSON.stringify(info)).toMatch(/"(type|diskType)":"differencing"/);
    expect(new Set((await readdir(project)).filter((file) => file.endsWith('.vhd')))).toEqual(new Set(['base.vhd', 'child.vhd']));
  });

  it('each package (and the ./cli entry) imports by name, and the facade creates a disk', () => {
    const program = `
      import { DEFAULT_BLOCK_SIZE } from '@vhdkit/vhd-format';
      import { VpcError } from '@vhdkit/vpc-errors';
      import { createDifferencingDisk } from '@vhdkit/vhd-diff';
      import { VirtualPC } from '@vhdkit/vpc-api';
      import { runCli } from '@vhdkit/vpc-api/cli';
      const vpc = new VirtualPC();
      const disk = await vpc.createDynamicVirtualHardDisk(${JSON.stringify(path.join(project, 'api.vhd'))}, 8 * 1024 * 1024);
      const refused = await vpc.createFixedVirtualHardDisk('', 1).then(() => undefined, (error) => error);
      console.log(JSON.stringify({
        blockSize: DEFAULT_BLOCK_SIZE, create: typeof createDifferencingDisk, runCli: typeof runCli,
        disk: disk.diskType, refused: refused instanceof VpcError ? refused.code : String(refused),
      }));`;
    const result = expectSuccess(run(process.execPath, ['--input-type=module', '--eval', program], { cwd: project }), 'imports');
    expect(JSON.parse(result.stdout)).toEqual({ blockSize: 2 * MIB, create: 'function', runCli: 'function', disk: 'dynamic', refused: 'ERROR_BAD_PATHNAME' });
  });

  it('a strict TypeScript 5 consumer compiles under node16, nodenext and bundler resolution', async () => {
    const source = `
      import { DEFAULT_BLOCK_SIZE, type DiskTypeName } from '@vhdkit/vhd-format';
      import { VpcError, type HresultName } from '@vhdkit/vpc-errors';
      import { readImageMetadata, type CreatedDisk } from '@vhdkit/vhd-diff';
      import { VirtualPC, type VMTask } from '@vhdkit/vpc-api';
      import { processIo, runCli } from '@vhdkit/vpc-api/cli';

      const vpc = new VirtualPC({ language: 'es' });
      const base: CreatedDisk = await vpc.createDynamicVirtualHardDisk('/tmp/base.vhd', DEFAULT_BLOCK_SIZE * 8);
      const task: VMTask = vpc.createDifferencingVirtualHardDisk('child.vhd', base.path);
      task.on('progress', ({ percentCompleted }) => console.log(percentCompleted));
      await task.accepted;
      const child: CreatedDisk = await task;
      const type: DiskTypeName = child.diskType;
      const sizeBytes: number = (await readImageMetadata(child.path)).footer.currentSize;
      const code: HresultName | undefined = task.error instanceof VpcError ? task.error.code : undefined;
      const exitCode: number = await runCli(['--version'], processIo());
      console.log(type, sizeBytes, code, exitCode);
    `;
    const compiles = (['node16', 'nodenext', 'bundler'] as const).map(async (resolution) => {
      const folder = path.join(project, `ts-${resolution}`);
      await mkdir(folder);
      await writeFile(path.join(folder, 'consumer.ts'), source);
      await writeFile(path.join(folder, 'tsconfig.json'), JSON.stringify({
        compilerOptions: {
          target: 'es2022', module: resolution === 'bundler' ? 'esnext' : resolution, moduleResolution: resolution,
          strict: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, verbatimModuleSyntax: true, noEmit: true,
          // node16 checks every declaration file (ours and @types/node; TypeScript's own libs need not be). The other
          // two differ only in how the consumer's imports resolve, which is checked either way: checking the same
          // declarations twice more would triple the test's CPU time for nothing.
          skipLibCheck: resolution !== 'node16', skipDefaultLibCheck: true,
        },
        files: ['consumer.ts'],
      }));
      return { resolution, ...(await runAsync(process.execPath, [TSC5, '-p', folder], { cwd: folder })) };
    });
    for (const result of await Promise.all(compiles)) expectSuccess(result, `tsc (TypeScript 5, ${result.resolution})`);
  });

  it('publint --strict and attw (ESM-only profile) pass for every package', async () => {
    const checks = PACKAGES.flatMap((name) => [
      runAsync(path.join(BIN, 'publint'), ['--strict', '--pack', 'false', path.join(project, 'node_modules/@vhdkit', name)])
        .then((result) => ({ what: `publint ${name}`, ...result })),
      // ESM-only by design: CommonJS `require` is out of scope (each README says so), so node10 and node16-from-CJS
      // are not judged; every other resolution must be clean.
      runAsync(path.join(BIN, 'attw'), [tarballs[name], '--profile', 'esm-only', '--format', 'ascii', '--no-color'])
        .then((result) => ({ what: `attw ${name}`, ...result })),
    ]);
    for (const result of await Promise.all(checks)) {
      expectSuccess(result, result.what);
      if (result.what.startsWith('publint')) expect(result.stdout).toContain('All good');
    }
  });
});
