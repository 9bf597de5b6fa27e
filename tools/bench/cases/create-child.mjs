// Case 1: create a differencing child of a sparse 2040 GiB dynamic parent. QEMU cannot create differencing
// VHDs, so its nearest job is creating a 2040 GiB dynamic image (same 4 MiB BAT to write).
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describeError, measureInterleaved } from '../lib/timing.mjs';
import { canMeasureRss, processMaxRss, timedProcess, timeProcess } from '../lib/processes.mjs';
import { ours, ourCli, NotAvailable } from '../lib/ours.mjs';
import { MIB, qemuCreate } from '../lib/images.mjs';
import { ratioTarget, timeRow, unavailableRow } from '../lib/results.mjs';

export const MAX_VIRTUAL_SIZE = 2_190_433_320_960; // 2040 GiB

export async function sparse2040Parent(ctx) {
  return ctx.shared('parent-2040g', async () => {
    const path = join(ctx.workDir, 'parent-2040g.vhd');
    qemuCreate(path, 'dynamic', MAX_VIRTUAL_SIZE);
    return path;
  });
}

/**
 * The vpc facade refuses sizes of 2040 GiB and more (it reads Virtual PC's limit as exclusive), while the API and
 * the format accept exactly 2040 GiB. When the CLI refuses the parent, it is measured on the largest parent it
 * accepts (2040 GiB less one 2 MiB block: the same BAT size within one entry), and the note says so.
 */
export async function parentTheCliAccepts(ctx, cli, parentPath, childPath, notes) {
  try {
    await timeProcess(process.execPath, [cli, 'create-diff', childPath, parentPath]);
    return parentPath;
  } catch (error) {
    if (!String(error.message).includes('0xA0040683')) throw error;
  } finally {
    await rm(childPath, { force: true });
  }
  const nearMaxPath = join(ctx.workDir, 'parent-2040g-less-2m.vhd');
  qemuCreate(nearMaxPath, 'dynamic', MAX_VIRTUAL_SIZE - 2 * 1024 * 1024);
  notes.push(
    'The vpc CLI refuses a parent of exactly 2040 GiB (VM_E_IMAGE_SIZE_TOO_LARGE: the facade treats 2040 GiB as exclusive); its row uses a parent of 2040 GiB − 2 MiB (one BAT entry fewer).',
  );
  return nearMaxPath;
}

const createScript = fileURLToPath(new URL('../rss-create.mjs', import.meta.url));
const memoryLabel = (size) => `peak RSS of a process creating the child of a ${size} parent`;

/** Peak RSS of a process creating the child of a 3 MiB parent and of the 2040 GiB parent: the growth must stay small. */
async function creationMemory(ctx, bigParentPath, childPath) {
  const tool = 'ours (createDifferencingDisk)';
  const failed = (reason) => ({
    rows: [unavailableRow(memoryLabel('3 MiB'), tool, reason, 'MiB'), unavailableRow(memoryLabel('2040 GiB'), tool, reason, 'MiB')],
    target: { name: 'creation memory flat: RSS growth, 2040 GiB vs 3 MiB parent', target: '< 16 MiB', met: undefined, measured: `not measured (${reason})` },
  });
  if (!canMeasureRss()) return failed('GNU time (/usr/bin/time) is not installed');
  const smallParentPath = join(ctx.workDir, 'parent-3m.vhd');
  qemuCreate(smallParentPath, 'dynamic', 3 * 1024 * 1024);
  const measure = (parent) => async () => {
    try {
      return { measured: (await processMaxRss(process.execPath, [createScript, childPath, parent])).maxRssBytes };
    } finally {
      await rm(childPath, { force: true });
    }
  };
  const outcomes = await measureInterleaved(
    [
      { key: 'small', run: measure(smallParentPath) },
      { key: 'big', run: measure(bigParentPath) },
    ],
    { runs: 3, warmup: 0, timeoutMs: 30_000 },
  );
  const small = outcomes.get('small');
  const big = outcomes.get('big');
  if (small.error || big.error) return failed(small.error ?? big.error);
  const toRow = (size, { summary }) => ({
    label: memoryLabel(size), tool, unit: 'MiB', median: summary.median / MIB, min: summary.min / MIB, max: summary.max / MIB, runs: summary.runs,
  });
  const growthBytes = big.summary.median - small.summary.median;
  return {
    rows: [toRow('3 MiB', small), toRow('2040 GiB', big)],
    target: {
      name: 'creation memory flat: RSS growth, 2040 GiB vs 3 MiB parent',
      target: '< 16 MiB',
      met: growthBytes < 16 * MIB,
      measured: `${(growthBytes / MIB).toFixed(1)} MiB`,
    },
  };
}

export async function run(ctx) {
  const parentPath = await sparse2040Parent(ctx);
  const childPath = join(ctx.workDir, 'child-of-2040g.vhd');
  const qemuPath = join(ctx.workDir, 'qemu-2040g.vhd');
  const removeChild = () => rm(childPath, { force: true });
  const contestants = [];
  const unavailable = new Map();

  try {
    const { createDifferencingDisk } = ours('diff', ['createDifferencingDisk']);
    contestants.push({ key: 'ours-api', run: () => createDifferencingDisk(childPath, parentPath), teardown: removeChild });
  } catch (error) {
    if (!(error instanceof NotAvailable)) throw error;
    unavailable.set('ours-api', error.message);
  }
  const notes = [];
  let cliLabel = 'differencing child of 2040 GiB parent, whole process';
  try {
    const cli = ourCli();
    const cliParentPath = await parentTheCliAccepts(ctx, cli, parentPath, childPath, notes);
    if (cliParentPath !== parentPath) cliLabel = 'differencing child of 2040 GiB − 2 MiB parent, whole process';
    contestants.push({
      key: 'ours-cli',
      spawns: true, run: () => timedProcess(process.execPath, [cli, 'create-diff', childPath, cliParentPath]),
      teardown: removeChild,
    });
  } catch (error) {
    unavailable.set('ours-cli', describeError(error));
  }
  contestants.push(
    {
      key: 'qemu-img',
      spawns: true, run: () => timedProcess('qemu-img', ['create', '-q', '-f', 'vpc', '-o', 'subformat=dynamic', qemuPath, '2040G']),
      teardown: () => rm(qemuPath, { force: true }),
    },
    // The price of starting a process at all, so in-process and whole-process figures can be read side by side.
    { key: 'node-startup', spawns: true, run: () => timedProcess(process.execPath, ['-e', '0']) },
    { key: 'qemu-img-startup', spawns: true, run: () => timedProcess('qemu-img', ['--version']) },
  );

  const outcomes = await measureInterleaved(contestants, { runs: ctx.runs(9, 5), warmup: 1, timeoutMs: 30_000 });
  const row = (key, label, tool) => (unavailable.has(key) ? unavailableRow(label, tool, unavailable.get(key)) : timeRow(label, tool, outcomes.get(key)));
  const rows = [
    row('ours-api', 'differencing child of 2040 GiB parent, in-process', 'ours (createDifferencingDisk)'),
    row('ours-cli', cliLabel, 'ours (vpc create-diff CLI)'),
    row('qemu-img', '2040 GiB dynamic image, whole process', 'qemu-img create'),
    row('node-startup', 'process start only', 'node -e 0'),
    row('qemu-img-startup', 'process start only', 'qemu-img --version'),
  ];
  const memory = await creationMemory(ctx, parentPath, childPath);
  rows.push(...memory.rows);
  return {
    rows,
    targets: [
      ratioTarget('create child in-process vs qemu-img create (time ratio)', rows[0], rows[2], '<=', 1.0),
      ratioTarget('create child, whole CLI process vs qemu-img create (time ratio, for reference)', rows[1], rows[2], '<=', 1.0),
      {
        name: 'create child in-process under 30 ms',
        target: '< 30 ms',
        met: rows[0].error ? undefined : rows[0].median < 30,
        measured: rows[0].error ? `not measured (${rows[0].error})` : `${rows[0].median.toFixed(1)} ms`,
      },
      memory.target,
    ],
    notes: [
      ...notes,
      'The parent is a sparse 2040 GiB dynamic VHD made by qemu-img (4 MiB BAT, no block allocated). The child is deleted after each run.',
      'qemu-img cannot create differencing VHDs; its nearest job is a dynamic image of the same size (it writes the same 4 MiB BAT).',
    ],
  };
}
