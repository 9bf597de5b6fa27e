// Case 2: creation cost against size, dynamic and fixed, ours in-process vs qemu-img create. Fixed images
// must be sparse (cost flat); dynamic images cost what their BAT costs (proportional to size).
import { rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { measureInterleaved } from '../lib/timing.mjs';
import { timedProcess } from '../lib/processes.mjs';
import { ours, NotAvailable } from '../lib/ours.mjs';
import { GIB, MIB } from '../lib/images.mjs';
import { timeRow, unavailableRow } from '../lib/results.mjs';
import { MAX_VIRTUAL_SIZE } from './create-child.mjs';

const FULL_SIZES = [3 * MIB, 64 * MIB, GIB, 32 * GIB, 512 * GIB, MAX_VIRTUAL_SIZE];
const QUICK_SIZES = [3 * MIB, GIB, 64 * GIB, MAX_VIRTUAL_SIZE];
/** A 256 MiB fixed image holding more than this on disk was not made sparse: huge sizes are then skipped to protect the disk. */
const SPARSE_LIMIT_BYTES = 64 * MIB;

export function sizeLabel(bytes) {
  if (bytes === MAX_VIRTUAL_SIZE) return '2040 GiB';
  if (bytes >= GIB) return `${bytes / GIB} GiB`;
  return `${bytes / MIB} MiB`;
}

async function allocatedBytes(path) {
  const { blocks } = await stat(path);
  return blocks * 512;
}

export async function run(ctx) {
  let api;
  let apiReason;
  try {
    api = ours('diff', ['createDynamicDisk', 'createFixedDisk']);
  } catch (error) {
    if (!(error instanceof NotAvailable)) throw error;
    apiReason = error.message;
  }
  const rows = [];
  const notes = [
    'Ours runs in-process; qemu-img is a whole process, so its figures include about one process start (see case 1 for that cost).',
  ];
  const series = { 'ours dynamic': [], 'qemu-img dynamic': [], 'ours fixed': [], 'qemu-img fixed': [] };
  /** After ours fails once for a subformat, larger sizes are not tried (a hang would cost a timeout per size). */
  const oursFailed = {};
  /** @type {boolean | undefined} probed once, before the first large fixed image */
  let oursFixedSparse;
  const oursPath = join(ctx.workDir, 'sized-ours.vhd');
  const qemuPath = join(ctx.workDir, 'sized-qemu.vhd');
  const removeBoth = () => Promise.all([rm(oursPath, { force: true }), rm(qemuPath, { force: true })]);

  for (const sizeBytes of ctx.quick ? QUICK_SIZES : FULL_SIZES) {
    const label = sizeLabel(sizeBytes);
    for (const subformat of ['dynamic', 'fixed']) {
      const contestants = [
        {
          key: 'qemu-img',
          spawns: true, run: () => timedProcess('qemu-img', ['create', '-q', '-f', 'vpc', '-o', `subformat=${subformat},force_size=on`, qemuPath, String(sizeBytes)]),
          teardown: () => rm(qemuPath, { force: true }),
        },
      ];
      let oursSkipped = apiReason ?? oursFailed[subformat];
      if (api && subformat === 'fixed' && sizeBytes > SPARSE_LIMIT_BYTES) {
        oursFixedSparse ??= await fixedIsSparse(api, ctx);
        const { bavail, bsize } = await statfs(ctx.workDir);
        if (!oursFixedSparse && sizeBytes > (bavail * bsize) / 4) oursSkipped = 'skipped: ours makes non-sparse fixed images and the disk is too small';
      }
      if (api && !oursSkipped) {
        const create = subformat === 'dynamic' ? api.createDynamicDisk : api.createFixedDisk;
        contestants.unshift({ key: 'ours', run: () => create(oursPath, sizeBytes), teardown: () => rm(oursPath, { force: true }) });
      }
      const outcomes = await measureInterleaved(contestants, { runs: ctx.runs(7, 3), warmup: 1, timeoutMs: 30_000 });
      if (outcomes.get('ours')?.error) oursFailed[subformat] = `skipped: failed at ${label} (${outcomes.get('ours').error})`;
      const oursRow = oursSkipped
        ? unavailableRow(`${subformat} ${label}`, 'ours (create API)', oursSkipped)
        : timeRow(`${subformat} ${label}`, 'ours (create API)', outcomes.get('ours'), { sizeBytes, subformat });
      const qemuRow = timeRow(`${subformat} ${label}`, 'qemu-img create', outcomes.get('qemu-img'), { sizeBytes, subformat });
      rows.push(oursRow, qemuRow);
      if (!oursRow.error) series[`ours ${subformat}`].push({ sizeBytes, ms: oursRow.median, min: oursRow.min, max: oursRow.max });
      if (!qemuRow.error) series[`qemu-img ${subformat}`].push({ sizeBytes, ms: qemuRow.median, min: qemuRow.min, max: qemuRow.max });
    }
  }
  await removeBoth();
  if (oursFixedSparse === false) notes.push(`Ours wrote more than ${SPARSE_LIMIT_BYTES / MIB} MiB for a 256 MiB fixed image: it is not sparse.`);
  return { rows, targets: flatnessTargets(series), notes, chart: { series } };
}

/** Probe: is a 256 MiB fixed image of ours sparse? */
async function fixedIsSparse(api, ctx) {
  const probe = join(ctx.workDir, 'sparse-probe.vhd');
  try {
    await api.createFixedDisk(probe, 256 * MIB);
    return (await allocatedBytes(probe)) <= SPARSE_LIMIT_BYTES;
  } catch {
    return false;
  } finally {
    await rm(probe, { force: true });
  }
}

/** Fixed: the largest size should cost about what the smallest costs (within 3×, allowing for noise at ms scale). */
function flatnessTargets(series) {
  const fixed = series['ours fixed'];
  if (fixed.length < 2) return [{ name: 'fixed creation cost flat across sizes (ours)', target: 'largest ≤ 3× smallest', met: undefined, measured: 'not measured' }];
  const ratio = fixed[fixed.length - 1].ms / fixed[0].ms;
  return [
    {
      name: `fixed creation cost flat across sizes (ours, ${sizeLabel(fixed[fixed.length - 1].sizeBytes)} vs ${sizeLabel(fixed[0].sizeBytes)})`,
      target: '<= 3',
      ratio,
      met: ratio <= 3,
      measured: `${fixed[fixed.length - 1].ms.toFixed(2)} vs ${fixed[0].ms.toFixed(2)} ms`,
    },
  ];
}
