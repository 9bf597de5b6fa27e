import { spawn } from 'node:child_process';
import { copyFile, mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transformFile } from '@swc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File, tempDir } from '@vhdkit/test-support';
import { check, createDifferencingDisk, createDynamicDisk, merge, openDisk, readImageMetadata, resize } from '../src/index.js';
import type { CrashTask, CrashWrite } from './helpers/chain-crash-worker.js';
import { KiB, MiB, patternBytes, sorted } from './helpers/chain-images.js';
import { ChainModel, firstDifference } from './helpers/chain-model.js';
import { readWholeDisk } from './helpers/disk-io.js';

const here = dirname(fileURLToPath(import.meta.url));
const distIndex = resolve(here, '../dist/index.js');
/** Kill points per scenario (at most; every point when a run has fewer): two scenarios make ≥ 50. */
const KILL_POINTS = Number(process.env.VHD_CRASH_POINTS ?? 25);
const SIZE = 3 * MiB;
const BLOCK = 512 * KiB;

let folder: { path: string; cleanup: () => Promise<void> };
let worker: string;

beforeAll(async () => {
  folder = await tempDir('vhdkit-crash-');
  // The worker runs the built package (node 20 cannot run TypeScript): refuse a dist older than the sources.
  const built = (await stat(distIndex)).mtimeMs;
  for (const source of ['src/index.ts', 'src/chain/block-writer.ts', 'src/chain/merge.ts', 'src/chain/disk.ts', 'src/chain/set-parent.ts', 'src/resize/resize.ts', 'src/compact/compact.ts']) {
    if ((await stat(resolve(here, '..', source))).mtimeMs > built) throw new Error(`dist is older than ${source}: run npm run build in packages/vhd-diff`);
  }
  const out = join(folder.path, 'worker');
  await mkdir(out);
  await writeFile(join(out, 'package.json'), '{"type":"module"}');
  for (const name of ['chain-crash-worker', 'chain-images']) {
    const { code } = await transformFile(join(here, 'helpers', `${name}.ts`), {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'es6' },
    });
    await writeFile(join(out, `${name}.js`), code);
  }
  worker = join(out, 'chain-crash-worker.js');
});
afterAll(async () => {
  await folder.cleanup();
});

/** Runs the worker; resolves with whether SIGKILL ended it, or the number of kill points it passed. */
function runWorker(task: CrashTask): Promise<{ killed: boolean; ops: number }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [worker, pathToFileURL(distIndex).href, JSON.stringify(task)]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status, signal) => {
      if (signal === 'SIGKILL') resolvePromise({ killed: true, ops: task.killAfterOps });
      else if (status !== 0) reject(new Error(`worker failed (${status}): ${stderr}`));
      else resolvePromise({ killed: false, ops: (JSON.parse(stdout) as { ops: number }).ops });
    });
  });
}

/** Runs `work` for every item, a few at a time (each kill point is its own process and folder). */
async function forEachConcurrently<T>(items: readonly T[], work: (item: T) => Promise<void>, concurrency = 3): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: concurrency }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}

/** Copies files keeping their modification times (children record their parent's). */
async function copyKeepingTimes(from: string, to: string): Promise<void> {
  await copyFile(from, to);
  const { atime, mtime } = await stat(from);
  await utimes(to, atime, mtime);
}

/** `count` distinct points in 1..total, spread over the whole run. */
function killPoints(total: number, count: number): number[] {
  if (total <= count) return Array.from({ length: total }, (_, index) => index + 1);
  const points = new Set<number>();
  while (points.size < count) points.add(1 + Math.floor(Math.random() * total));
  return sorted([...points]);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function errorsOf(report: Awaited<ReturnType<typeof check>>): string[] {
  return report.issues.filter((issue) => issue.severity === 'error').map((issue) => `${issue.code}: ${issue.message}`);
}

function sectorView(bytes: Uint8Array, sector: number): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset + sector * 512, 512);
}

/** Index j such that every sector equals the state after j writes or after j+1 (the write in flight). */
function matchingStep(actual: Uint8Array, states: Uint8Array[]): number {
  for (let step = 0; step < states.length; step++) {
    const before = states[step]!;
    const after = states[Math.min(step + 1, states.length - 1)]!;
    let matches = true;
    for (let sector = 0; matches && sector * 512 < actual.length; sector++) {
      const actualSector = sectorView(actual, sector);
      matches = actualSector.equals(sectorView(before, sector)) || actualSector.equals(sectorView(after, sector));
    }
    if (matches) return step;
  }
  return -1;
}

/** A written dynamic parent and its empty child, kept as pristine copies to restore before each kill. */
async function pristineChain(name: string): Promise<{ dir: string; model: ChainModel }> {
  const dir = join(folder.path, name);
  await mkdir(dir);
  const parent = join(dir, 'parent.vhd');
  await createDynamicDisk(parent, SIZE, { blockSize: BLOCK });
  const model = new ChainModel(SIZE, 1);
  const disk = await openDisk(parent, { writable: true });
  // Blocks 0 and 3 only, so merging the child has to allocate parent blocks too.
  for (const [offset, length, seed] of [[0, 300 * KiB, 1], [3 * BLOCK + 3, 200 * KiB, 2]] as const) {
    await disk.write(patternBytes(length, seed), offset);
    model.write(0, offset, patternBytes(length, seed));
  }
  await disk.close();
  await createDifferencingDisk(join(dir, 'child.vhd'), parent);
  model.addLayer();
  return { dir, model };
}

async function restore(pristine: string, name: string): Promise<string> {
  const dir = join(folder.path, name);
  await mkdir(dir);
  await copyKeepingTimes(join(pristine, 'parent.vhd'), join(dir, 'parent.vhd'));
  await copyKeepingTimes(join(pristine, 'child.vhd'), join(dir, 'child.vhd'));
  return dir;
}

/** Unaligned writes: new blocks, in-place overwrites, partial sectors, block-spanning ones. */
const WRITES: CrashWrite[] = [
  { offset: 1000, length: 10, seed: 11 },
  { offset: BLOCK - 700, length: BLOCK + 1400, seed: 12 },
  { offset: 1003, length: 600, seed: 13 },
  { offset: 2 * MiB + 511, length: 513, seed: 14 },
  { offset: 0, length: 3 * BLOCK, seed: 15 },
  { offset: SIZE - 1, length: 1, seed: 16 },
  { offset: 4 * BLOCK + 4096, length: 8192, seed: 17 },
  { offset: 5 * BLOCK + 3, length: 100, seed: 18 },
  { offset: 2 * BLOCK, length: BLOCK, seed: 19 },
];

/**
 * The merge's child: WRITES plus larger runs apart from each other, so the merge writes the parent in several groups
 * (small runs apart share a group; see merge.ts) and has at least KILL_POINTS points to be killed at.
 */
const MERGE_WRITES: CrashWrite[] = [
  ...WRITES,
  { offset: 3 * BLOCK + 1024, length: BLOCK - 2048, seed: 21 },
  { offset: 4 * BLOCK + 200 * KiB, length: 300 * KiB, seed: 22 },
  { offset: 5 * BLOCK + 100 * KiB, length: 400 * KiB, seed: 23 },
];

describe('SIGKILL at any point', () => {
  // With tableEntriesOnFlush the writes become visible together at a flush (here after every third write) or when a
  // write into an older block commits the waiting ones: fewer states can be seen, each still a state between writes.
  it.each([
    ['', false],
    [' with its table entries left for the flush', true],
  ])('while writing a child%s: the chain opens, check finds no errors, the content is a state between two writes', async (_mode, tableEntriesOnFlush) => {
    const name = tableEntriesOnFlush ? 'write-deferred' : 'write';
    const mode = tableEntriesOnFlush ? { tableEntriesOnFlush, flushEvery: 3 } : {};
    const { dir: pristine, model } = await pristineChain(`${name}-pristine`);
    const states = [model.view(1)];
    for (const write of WRITES) {
      model.write(1, write.offset, patternBytes(write.length, write.seed));
      states.push(model.view(1));
    }
    const parentHash = await sha256File(join(pristine, 'parent.vhd'));
    const countDir = await restore(pristine, `${name}-count`);
    const { ops } = await runWorker({ kind: 'write', path: join(countDir, 'child.vhd'), writes: WRITES, killAfterOps: 0, ...mode });
    expect(firstDifference(await readWholeDisk(join(countDir, 'child.vhd')), states.at(-1)!)).toBe(-1);
    expect(ops).toBeGreaterThanOrEqual(KILL_POINTS);

    const stepsSeen = new Set<number>();
    const infoSeen = new Set<string>();
    await forEachConcurrently(killPoints(ops, KILL_POINTS), async (point) => {
      const dir = await restore(pristine, `${name}-kill-${point}`);
      const child = join(dir, 'child.vhd');
      expect((await runWorker({ kind: 'write', path: child, writes: WRITES, killAfterOps: point, ...mode })).killed, `kill at ${point}`).toBe(true);
      const report = await check(child);
      expect(errorsOf(report), `check after kill at ${point}`).toEqual([]);
      for (const issue of report.issues) infoSeen.add(issue.code);
      const step = matchingStep(await readWholeDisk(child), states);
      expect(step, `content after kill at ${point}`).toBeGreaterThanOrEqual(0);
      stepsSeen.add(step);
      expect(await sha256File(join(dir, 'parent.vhd'))).toBe(parentHash);
      // The image stays writable: redoing every write reaches the final state (checked at every third point).
      if (point % 3 !== 0) return;
      const disk = await openDisk(child, { writable: true });
      for (const write of WRITES) await disk.write(patternBytes(write.length, write.seed), write.offset);
      await disk.close();
      expect(firstDifference(await readWholeDisk(child), states.at(-1)!), `rewrite after kill at ${point}`).toBe(-1);
      expect(errorsOf(await check(child))).toEqual([]);
    });
    // The kills landed all over the run: several intermediate states, and inside a block allocation.
    expect(stepsSeen.size).toBeGreaterThanOrEqual(Math.min(tableEntriesOnFlush ? 3 : 4, KILL_POINTS));
    if (KILL_POINTS >= 25) expect(infoSeen).toContain('UNREFERENCED_SPACE');
  }, 120_000);

  it('while merging: a resumed merge gives the model bytes and the same parent file as an uninterrupted merge', async () => {
    const { dir: pristine, model } = await pristineChain('merge-pristine');
    const child = await openDisk(join(pristine, 'child.vhd'), { writable: true });
    for (const write of MERGE_WRITES) {
      await child.write(patternBytes(write.length, write.seed), write.offset);
      model.write(1, write.offset, patternBytes(write.length, write.seed));
    }
    await child.close();
    model.mergeDown(1);
    const expected = model.view(0);

    const referenceDir = await restore(pristine, 'merge-reference');
    const { ops } = await runWorker({ kind: 'merge', childPath: join(referenceDir, 'child.vhd'), killAfterOps: 0 });
    expect(ops).toBeGreaterThanOrEqual(KILL_POINTS);
    const reference = await readFile(join(referenceDir, 'parent.vhd'));
    expect(firstDifference(await readWholeDisk(join(referenceDir, 'parent.vhd')), expected)).toBe(-1);

    await forEachConcurrently(killPoints(ops, KILL_POINTS), async (point) => {
      const dir = await restore(pristine, `merge-kill-${point}`);
      const parent = join(dir, 'parent.vhd');
      expect((await runWorker({ kind: 'merge', childPath: join(dir, 'child.vhd'), killAfterOps: point })).killed, `kill at ${point}`).toBe(true);
      expect(errorsOf(await check(parent)), `parent check after kill at ${point}`).toEqual([]);
      // The child is deleted near the end; while it exists it must be intact.
      if (await exists(join(dir, 'child.vhd'))) {
        expect(errorsOf(await check(join(dir, 'child.vhd'), { timestampMismatch: 'accept' })), `child check after kill at ${point}`).toEqual([]);
      }
      await merge(join(dir, 'child.vhd'));
      const merged = await readFile(parent);
      expect(firstDifference(merged, reference), `parent file after resuming from ${point}`).toBe(-1);
      expect(firstDifference(await readWholeDisk(parent), expected)).toBe(-1);
    });
  }, 120_000);

  it('while re-parenting: the child names its old parent or its new one, never a mix, and reads the same bytes', async () => {
    const { dir: pristine, model } = await pristineChain('set-parent-pristine');
    const own = await openDisk(join(pristine, 'child.vhd'), { writable: true });
    for (const write of WRITES.slice(0, 4)) {
      await own.write(patternBytes(write.length, write.seed), write.offset);
      model.write(1, write.offset, patternBytes(write.length, write.seed));
    }
    await own.close();
    const expected = model.view(1);
    /** A copy of the parent under another name (same unique id): both locators change. */
    const prepare = async (name: string): Promise<{ child: string; parent: string; moved: string }> => {
      const dir = await restore(pristine, name);
      await copyKeepingTimes(join(dir, 'parent.vhd'), join(dir, 'moved.vhd'));
      return { child: join(dir, 'child.vhd'), parent: join(dir, 'parent.vhd'), moved: join(dir, 'moved.vhd') };
    };
    const reference = await prepare('set-parent-reference');
    const { ops } = await runWorker({ kind: 'set-parent', childPath: reference.child, parentPath: reference.moved, killAfterOps: 0 });
    const referenceDisk = await openDisk(reference.child);
    expect(referenceDisk.parent?.path).toBe(reference.moved);
    await referenceDisk.close();
    expect(ops).toBeGreaterThanOrEqual(4); // footer, locator data, sync, header (at least)

    const parentsSeen = new Set<string>();
    await forEachConcurrently(killPoints(ops, ops), async (point) => {
      const paths = await prepare(`set-parent-kill-${point}`);
      expect((await runWorker({ kind: 'set-parent', childPath: paths.child, parentPath: paths.moved, killAfterOps: point })).killed, `kill at ${point}`).toBe(true);
      // Strict open: the recorded parent id and timestamp must match the file the locators name.
      const disk = await openDisk(paths.child);
      const parentPath = disk.parent?.path;
      await disk.close();
      expect([paths.parent, paths.moved], `parent after kill at ${point}`).toContain(parentPath);
      parentsSeen.add(parentPath === paths.moved ? 'moved' : 'old');
      expect(firstDifference(await readWholeDisk(paths.child), expected), `content after kill at ${point}`).toBe(-1);
      expect(errorsOf(await check(paths.child)), `check after kill at ${point}`).toEqual([]);
      const header = (await readImageMetadata(paths.child)).header!;
      expect(header.parentUnicodeName, `name after kill at ${point}`).toBe(parentPath === paths.moved ? 'moved.vhd' : 'parent.vhd');
    });
    // Kills before the header write leave the old parent; the last ones land after it.
    expect(parentsSeen).toEqual(new Set(['old', 'moved']));
  }, 120_000);

  it('while growing a dynamic disk whose blocks are in the BAT\'s way: the old disk or the new one, never a mix', async () => {
    const pristine = join(folder.path, 'resize-pristine');
    await mkdir(pristine);
    const image = join(pristine, 'disk.vhd');
    const oldSize = MiB;
    const newSize = 8 * MiB;
    // 512-byte blocks, one every 4 KiB of file: growing the BAT to 64 KiB moves a dozen of them.
    await createDynamicDisk(image, oldSize, { blockSize: 512 });
    const disk = await openDisk(image, { writable: true });
    for (let index = 0; index < 40; index++) await disk.write(patternBytes(700, 30 + index), index * 9 * 512 + 100);
    await disk.close();
    const before = await readWholeDisk(image);
    const after = new Uint8Array(newSize);
    after.set(before);

    const copyTo = async (name: string): Promise<string> => {
      const dir = join(folder.path, name);
      await mkdir(dir);
      await copyKeepingTimes(image, join(dir, 'disk.vhd'));
      return join(dir, 'disk.vhd');
    };
    const reference = await copyTo('resize-reference');
    const { ops } = await runWorker({ kind: 'resize', path: reference, newSize, killAfterOps: 0 });
    expect(firstDifference(await readWholeDisk(reference), after)).toBe(-1);
    expect(ops).toBeGreaterThanOrEqual(50);

    const sizesSeen = new Set<number>();
    const footerCopyWindows: number[] = [];
    await forEachConcurrently(killPoints(ops, Math.max(50, KILL_POINTS)), async (point) => {
      const path = await copyTo(`resize-kill-${point}`);
      expect((await runWorker({ kind: 'resize', path, newSize, killAfterOps: point })).killed, `kill at ${point}`).toBe(true);
      const content = await readWholeDisk(path);
      sizesSeen.add(content.length);
      expect(firstDifference(content, content.length === oldSize ? before : after), `content after kill at ${point}`).toBe(-1);
      // Between the trailing footer's write and its copy's, the copy still has the old size (repairable).
      const errors = errorsOf(await check(path));
      if (errors.length > 0) {
        expect(errors.map((error) => error.split(':')[0]), `check after kill at ${point}`).toEqual(['FOOTER_COPY_MISMATCH']);
        footerCopyWindows.push(point);
      }
      // Resizing again finishes the job from wherever the kill left it (checked at every third point, and
      // wherever the footer copy lagged).
      if (point % 3 !== 0 && errors.length === 0) return;
      await resize(path, newSize);
      expect(firstDifference(await readWholeDisk(path), after), `resumed after kill at ${point}`).toBe(-1);
      expect(errorsOf(await check(path)), `check after resuming from ${point}`).toEqual([]);
    });
    expect(sizesSeen).toEqual(new Set([oldSize, newSize]));
    // The window is the trailing footer's write and its fdatasync: the last four calls are footer, sync, copy, sync.
    for (const point of footerCopyWindows) expect([ops - 3, ops - 2], `footer copy lagging after kill at ${point}`).toContain(point);
  }, 180_000);
});
