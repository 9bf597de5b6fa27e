// Case 8: import a raw disk into a dynamic VHD (ours vs qemu-img convert -f raw -O vpc), with the output sizes of a
// half-zero raw image; and export a child over a fully written parent to a standalone dynamic VHD file (ours vs
// qemu-img convert -O vpc of the equivalent single image: QEMU's vpc driver does not follow VHD parents).
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { measureInterleaved, describeError } from '../lib/timing.mjs';
import { timedProcess } from '../lib/processes.mjs';
import { ours, ourCli, NotAvailable } from '../lib/ours.mjs';
import { childOverFullParent, fullParent } from '../lib/chains.mjs';
import { MIB, writeSparseRaw } from '../lib/images.mjs';
import { ratioTarget, throughputRow, unavailableRow } from '../lib/results.mjs';

const QEMU_DYNAMIC = ['-O', 'vpc', '-o', 'subformat=dynamic'];
/**
 * qemu-img convert writes with cache mode 'unsafe' unless told otherwise: it ignores flushes, so its output is not
 * durable when it exits (its one fdatasync runs when the empty image is created). `-t writeback` makes it flush, as
 * ours does (its vpc driver then flushes after each BAT update): an informational row, same durability as ours.
 */
const QEMU_DURABLE = ['-t', 'writeback'];

/** A contestant that writes `outPath` each round and removes it afterwards (outside the timed part). */
function writing(key, outPath, job, spawns = false) {
  return { key, spawns, run: job, teardown: () => rm(outPath, { force: true }) };
}

async function importContestants(ctx, rawPath, label, unavailable) {
  const contestants = [];
  const out = (name) => join(ctx.workDir, `${label}-${name}.vhd`);
  try {
    const { importRaw } = ours('diff', ['importRaw']);
    contestants.push(writing('ours-api', out('ours'), () => importRaw(rawPath, out('ours'), { type: 'dynamic' })));
  } catch (error) {
    unavailable.set('ours-api', describeError(error));
  }
  try {
    const cli = ourCli();
    contestants.push(writing('ours-cli', out('cli'), () => timedProcess(process.execPath, [cli, 'import', rawPath, out('cli'), '--type', 'dynamic']), true));
  } catch (error) {
    unavailable.set('ours-cli', error instanceof NotAvailable ? error.message : describeError(error));
  }
  contestants.push(writing('qemu-img', out('qemu'), () => timedProcess('qemu-img', ['convert', '-f', 'raw', ...QEMU_DYNAMIC, rawPath, out('qemu')]), true));
  contestants.push(writing('qemu-img-durable', out('qemu-durable'), () => timedProcess('qemu-img', ['convert', ...QEMU_DURABLE, '-f', 'raw', ...QEMU_DYNAMIC, rawPath, out('qemu-durable')]), true));
  return { contestants, out };
}

/** Output file sizes of one import each (ours and QEMU) of the same raw file. */
async function outputSizes(rawPath, out) {
  const { importRaw } = ours('diff', ['importRaw']);
  await importRaw(rawPath, out('size-ours'), { type: 'dynamic' });
  await timedProcess('qemu-img', ['convert', '-f', 'raw', ...QEMU_DYNAMIC, rawPath, out('size-qemu')]);
  const sizes = { ours: (await stat(out('size-ours'))).size, qemu: (await stat(out('size-qemu'))).size };
  await rm(out('size-ours'), { force: true });
  await rm(out('size-qemu'), { force: true });
  return sizes;
}

function rows(label, outcomes, unavailable, sizeBytes, tools) {
  const row = (key) =>
    unavailable.has(key) ? unavailableRow(label, tools[key], unavailable.get(key), 'MiB/s') : outcomes.has(key) ? throughputRow(label, tools[key], outcomes.get(key), sizeBytes) : undefined;
  return Object.fromEntries(Object.keys(tools).map((key) => [key, row(key)]));
}

async function measureImport(ctx, sizeBytes) {
  const parent = await fullParent(ctx, sizeBytes);
  const unavailable = new Map();
  const { contestants, out } = await importContestants(ctx, parent.rawPath, 'import-random', unavailable);
  const outcomes = await measureInterleaved(contestants, { runs: ctx.runs(3, 2), warmup: 1, inputs: [parent.rawPath] });
  const label = `import random raw → dynamic, ${sizeBytes / MIB} MiB`;
  const measured = rows(label, outcomes, unavailable, sizeBytes, {
    'ours-api': 'ours (importRaw)',
    'ours-cli': 'ours (vpc import)',
    'qemu-img': 'qemu-img convert -f raw -O vpc -o subformat=dynamic',
    'qemu-img-durable': 'qemu-img convert -t writeback -f raw -O vpc -o subformat=dynamic (flushes, as ours)',
  });
  const targets = [
    ratioTarget(`import ${sizeBytes / MIB} MiB random raw → dynamic: ours API vs qemu-img (throughput ratio)`, measured['ours-api'], measured['qemu-img'], '>=', 1.0),
    { ...ratioTarget(`import ${sizeBytes / MIB} MiB random raw → dynamic: vpc import vs qemu-img (throughput ratio; not an issue target)`, measured['ours-cli'], measured['qemu-img'], '>=', 1.0), informational: true },
    { ...ratioTarget(`import ${sizeBytes / MIB} MiB random raw → dynamic: ours API vs qemu-img -t writeback, both durable (throughput ratio; not an issue target)`, measured['ours-api'], measured['qemu-img-durable'], '>=', 1.0), informational: true },
  ];
  const notes = [];
  try {
    const halfZeroRaw = join(ctx.workDir, `half-zero-${sizeBytes}.raw`);
    await writeSparseRaw(halfZeroRaw, sizeBytes, { strideBytes: 4 * MIB, dataBytes: 2 * MIB });
    const sizes = await outputSizes(halfZeroRaw, out);
    await rm(halfZeroRaw, { force: true });
    notes.push(`Half-zero ${sizeBytes / MIB} MiB raw (every other 2 MiB block zero) → dynamic: ours ${sizes.ours} bytes, qemu-img ${sizes.qemu} bytes.`);
    targets.push({ name: 'half-zero raw → dynamic: output size ours ≤ qemu-img', target: '<= 1', ratio: sizes.ours / sizes.qemu, met: sizes.ours <= sizes.qemu, measured: `${sizes.ours} vs ${sizes.qemu} bytes` });
  } catch (error) {
    notes.push(`The half-zero output sizes were not measured: ${describeError(error)}`);
  }
  return { rows: Object.values(measured).filter(Boolean), targets, notes };
}

async function measureExport(ctx, sizeBytes) {
  const chain = await childOverFullParent(ctx, sizeBytes);
  const unavailable = new Map();
  const contestants = [];
  const out = (name) => join(ctx.workDir, `export-${name}.vhd`);
  try {
    const { exportToFile } = ours('diff', ['exportToFile']);
    contestants.push(writing('ours-api', out('ours'), () => exportToFile(chain.paths[0], out('ours'), { type: 'dynamic' })));
  } catch (error) {
    unavailable.set('ours-api', describeError(error));
  }
  try {
    const cli = ourCli();
    contestants.push(writing('ours-cli', out('cli'), () => timedProcess(process.execPath, [cli, 'export', chain.paths[0], out('cli')]), true));
  } catch (error) {
    unavailable.set('ours-cli', error instanceof NotAvailable ? error.message : describeError(error));
  }
  contestants.push(writing('qemu-img', out('qemu'), () => timedProcess('qemu-img', ['convert', '-f', 'vpc', ...QEMU_DYNAMIC, chain.singleImagePath, out('qemu')]), true));
  contestants.push(
    writing('qemu-img-durable', out('qemu-durable'), () => timedProcess('qemu-img', ['convert', ...QEMU_DURABLE, '-f', 'vpc', ...QEMU_DYNAMIC, chain.singleImagePath, out('qemu-durable')]), true),
  );
  const outcomes = await measureInterleaved(contestants, { runs: ctx.runs(3, 2), warmup: 1, inputs: [...new Set([...chain.paths, chain.singleImagePath])] });
  const label = `export child over fully written parent → dynamic file, ${sizeBytes / MIB} MiB`;
  const measured = rows(label, outcomes, unavailable, sizeBytes, {
    'ours-api': 'ours (exportToFile)',
    'ours-cli': 'ours (vpc export)',
    'qemu-img': 'qemu-img convert -O vpc (the parent: QEMU does not follow VHD parents)',
    'qemu-img-durable': 'qemu-img convert -t writeback -O vpc (the parent; flushes, as ours)',
  });
  const targets = [
    ratioTarget(`export ${sizeBytes / MIB} MiB child → file: ours API vs qemu-img (throughput ratio)`, measured['ours-api'], measured['qemu-img'], '>=', 1.0),
    { ...ratioTarget(`export ${sizeBytes / MIB} MiB child → file: vpc export vs qemu-img (throughput ratio; not an issue target)`, measured['ours-cli'], measured['qemu-img'], '>=', 1.0), informational: true },
    { ...ratioTarget(`export ${sizeBytes / MIB} MiB child → file: ours API vs qemu-img -t writeback, both durable (throughput ratio; not an issue target)`, measured['ours-api'], measured['qemu-img-durable'], '>=', 1.0), informational: true },
  ];
  return { rows: Object.values(measured).filter(Boolean), targets, notes: [] };
}

export async function run(ctx) {
  const sizeBytes = ctx.imageBytes;
  const result = { rows: [], targets: [], notes: ['Ours makes the new file durable before it finishes: it fsyncs it and links it to its name (atomic creation). qemu-img convert does not by default: it writes with cache mode \'unsafe\', which ignores flushes (its one fdatasync runs when the empty image is created, before any data); the qemu-img -t writeback rows flush, as ours does. Ours reads on the calling thread into a small ring of buffers while the thread pool writes the blocks read before (one writev of up to 2 MiB at a time), and starts a datasync every 64 MiB while it copies, so the final fsync finds little left to write.'] };
  for (const measure of [measureImport, measureExport]) {
    try {
      const part = await measure(ctx, sizeBytes);
      result.rows.push(...part.rows);
      result.targets.push(...part.targets);
      result.notes.push(...part.notes);
    } catch (error) {
      result.notes.push(`${measure.name} was not measured: ${describeError(error)}`);
    }
  }
  return result;
}
