// Case 9: whole processes as a user runs them. Start-up (`vpc --version`, `vpc info` of a 2040 GiB image) against
// `node -e 0`; `vpc create-diff` on a 2040 GiB parent against `qemu-img create`; `vpc cat` of a chain into a real
// file and through a pipe against `qemu-img convert -O raw`, at 1, 4 and 8 GiB; `vpc write` of 256 MiB from stdin
// against `qemu-img convert -n` into an existing image followed by an fsync of it (the same durability; without the
// fsync for information); and the peak RSS of `vpc cat` of the 8 GiB chain.
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, measureInterleaved } from '../lib/timing.mjs';
import { canMeasureRss, processMaxRss, timedProcess } from '../lib/processes.mjs';
import { ourCli } from '../lib/ours.mjs';
import { childOverFullParent } from '../lib/chains.mjs';
import { GIB, MIB, qemuCreate, sha256File, writeRandomRaw } from '../lib/images.mjs';
import { ratioTarget, throughputRow, timeRow, unavailableRow } from '../lib/results.mjs';
import { parentTheCliAccepts, sparse2040Parent } from './create-child.mjs';

const FULL_CAT_SIZES = [GIB, 4 * GIB, 8 * GIB];
const QUICK_CAT_SIZES = [128 * MIB, 512 * MIB];
const WRITE_BYTES = 256 * MIB;

const quote = (text) => `'${String(text).replaceAll("'", "'\\''")}'`;

/** A shell command line as a contestant's run: redirections and pipes are part of what a user runs. */
const shell = (commandLine) => timedProcess('/bin/sh', ['-c', commandLine]);

/** The target "ours at most `boundMs` over Node's bare start" (a difference of medians of the same run). */
function overheadTarget(name, oursRow, nodeRow, boundMs) {
  if (!oursRow || !nodeRow || oursRow.error || nodeRow.error) {
    return { name, target: `<= node -e 0 + ${boundMs} ms`, met: undefined, measured: `not measured (${(oursRow?.error ?? nodeRow?.error) || 'no data'})` };
  }
  const overMs = oursRow.median - nodeRow.median;
  return {
    name,
    target: `<= node -e 0 + ${boundMs} ms`,
    met: overMs <= boundMs,
    measured: `+${overMs.toFixed(1)} ms (${oursRow.median.toFixed(1)} vs ${nodeRow.median.toFixed(1)} ms)`,
  };
}

async function startUp(ctx, cli, parentPath) {
  const outcomes = await measureInterleaved(
    [
      { key: 'node', spawns: true, run: () => timedProcess(process.execPath, ['-e', '0']) },
      { key: 'version', spawns: true, run: () => timedProcess(process.execPath, [cli, '--version']) },
      { key: 'info', spawns: true, run: () => timedProcess(process.execPath, [cli, 'info', parentPath]) },
      { key: 'qemu-info', spawns: true, run: () => timedProcess('qemu-img', ['info', parentPath]) },
    ],
    { runs: ctx.runs(15, 5), warmup: 1, timeoutMs: 30_000 },
  );
  const rows = [
    timeRow('process start only', 'node -e 0', outcomes.get('node')),
    timeRow('print the version', 'ours (vpc --version)', outcomes.get('version')),
    timeRow('info of a sparse 2040 GiB dynamic image', 'ours (vpc info)', outcomes.get('info')),
    timeRow('info of a sparse 2040 GiB dynamic image', 'qemu-img info', outcomes.get('qemu-info')),
  ];
  return {
    rows,
    targets: [
      overheadTarget('vpc --version start-up over node -e 0', rows[1], rows[0], 25),
      overheadTarget('vpc info (2040 GiB image) over node -e 0', rows[2], rows[0], 50),
    ],
  };
}

async function createDiff(ctx, cli, parentPath) {
  const notes = [];
  const childPath = join(ctx.workDir, 'case9-child.vhd');
  const qemuPath = join(ctx.workDir, 'case9-qemu-2040g.vhd');
  const cliParentPath = await parentTheCliAccepts(ctx, cli, parentPath, childPath, notes);
  const outcomes = await measureInterleaved(
    [
      {
        key: 'ours', spawns: true,
        run: () => timedProcess(process.execPath, [cli, 'create-diff', '--quiet', childPath, cliParentPath]),
        teardown: () => rm(childPath, { force: true }),
      },
      {
        key: 'qemu-img', spawns: true,
        run: () => timedProcess('qemu-img', ['create', '-q', '-f', 'vpc', '-o', 'subformat=dynamic', qemuPath, '2040G']),
        teardown: () => rm(qemuPath, { force: true }),
      },
    ],
    { runs: ctx.runs(9, 5), warmup: 1, timeoutMs: 30_000 },
  );
  const label = cliParentPath === parentPath ? 'differencing child of a 2040 GiB parent' : 'differencing child of a 2040 GiB − 2 MiB parent';
  const rows = [
    timeRow(label, 'ours (vpc create-diff)', outcomes.get('ours')),
    timeRow('2040 GiB dynamic image', 'qemu-img create -f vpc -o subformat=dynamic', outcomes.get('qemu-img')),
  ];
  return { rows, targets: [ratioTarget('vpc create-diff (2040 GiB parent) vs qemu-img create 2040G (time ratio)', rows[0], rows[1], '<=', 1.0)], notes };
}

/** Runs a command line that writes `outPath`, then checks the file has the disk's size (a failed run is no result). */
async function writesWholeFile(commandLine, outPath, sizeBytes) {
  const result = await shell(commandLine);
  const { size } = await stat(outPath);
  if (size !== sizeBytes) throw new Error(`${outPath} holds ${size} bytes, not ${sizeBytes}`);
  return result;
}

async function catToFile(ctx, cli, sizeBytes, checkContent) {
  const chain = await childOverFullParent(ctx, sizeBytes);
  const outPath = join(ctx.workDir, 'case9-out.raw');
  const removeOut = () => rm(outPath, { force: true });
  const [child] = chain.paths;
  const toFile = `exec ${quote(process.execPath)} ${quote(cli)} cat ${quote(child)} > ${quote(outPath)}`;
  const throughPipe = `${quote(process.execPath)} ${quote(cli)} cat ${quote(child)} | cat > ${quote(outPath)}`;
  const qemu = `exec qemu-img convert -f vpc -O raw ${quote(chain.singleImagePath)} ${quote(outPath)}`;
  // What the pipe itself allows: the raw bytes, already in the page cache, through the same `| cat > file`.
  const pipeCeiling = `cat ${quote(chain.rawPath)} | cat > ${quote(outPath)}`;
  const notes = [];
  if (checkContent) {
    try {
      await writesWholeFile(toFile, outPath, sizeBytes);
      notes.push(`vpc cat > file, ${sizeBytes / MIB} MiB: content ${(await sha256File(outPath)) === chain.rawSha256 ? 'verified (sha256 of the raw data)' : 'WRONG (sha256 differs)'}.`);
    } finally {
      await removeOut();
    }
  }
  const outcomes = await measureInterleaved(
    [
      { key: 'file', spawns: true, inputs: chain.paths, run: () => writesWholeFile(toFile, outPath, sizeBytes), teardown: removeOut },
      { key: 'pipe', spawns: true, inputs: chain.paths, run: () => writesWholeFile(throughPipe, outPath, sizeBytes), teardown: removeOut },
      { key: 'qemu-img', spawns: true, inputs: [chain.singleImagePath], run: () => writesWholeFile(qemu, outPath, sizeBytes), teardown: removeOut },
      { key: 'pipe-ceiling', spawns: true, inputs: [chain.rawPath], run: () => writesWholeFile(pipeCeiling, outPath, sizeBytes), teardown: removeOut },
    ],
    // From 4 GiB on, no warm-up round: the chain was just written or read (it is in the page cache), and each round
    // writes the whole size again.
    { runs: ctx.runs(3, 1), warmup: sizeBytes >= 4 * GIB ? 0 : 1, timeoutMs: 300_000 },
  );
  const label = `export a child over a fully written parent to a raw file, ${sizeBytes >= GIB ? `${sizeBytes / GIB} GiB` : `${sizeBytes / MIB} MiB`}`;
  const rows = {
    file: throughputRow(label, 'ours (vpc cat child > out.raw)', outcomes.get('file'), sizeBytes),
    pipe: throughputRow(label, 'ours (vpc cat child | cat > out.raw)', outcomes.get('pipe'), sizeBytes),
    qemu: throughputRow(label, 'qemu-img convert -O raw (parent) out.raw', outcomes.get('qemu-img'), sizeBytes),
    pipeCeiling: throughputRow(label, 'cat raw | cat > out.raw (the pipe alone, for scale)', outcomes.get('pipe-ceiling'), sizeBytes),
  };
  const bound = sizeBytes >= 4 * GIB ? 1.0 : 0.8;
  const informational = sizeBytes !== GIB && sizeBytes !== 4 * GIB && sizeBytes !== 8 * GIB; // quick sizes: no issue target
  const target = (name, row) => {
    const measured = ratioTarget(`${label}: ${name} vs qemu-img (throughput ratio${informational ? '; quick size, not a target' : ''})`, row, rows.qemu, '>=', bound);
    return informational ? { ...measured, informational: true } : measured;
  };
  const pipeVsCeiling = { ...ratioTarget(`${label}: vpc cat | cat > file vs cat raw | cat > file (throughput ratio; the pipe's own limit, not an issue target)`, rows.pipe, rows.pipeCeiling, '>=', 0.8), informational: true };
  return { rows: Object.values(rows), targets: [target('vpc cat > file', rows.file), target('vpc cat | cat > file', rows.pipe), pipeVsCeiling], notes };
}

/** A setup step: a fresh, empty 1 GiB dynamic image made by QEMU at `path` (outside the timed part). */
const freshDynamicImage = (path) => async () => {
  await rm(path, { force: true });
  qemuCreate(path, 'dynamic', GIB);
};

async function writeFromStdin(ctx, cli) {
  const inputPath = join(ctx.workDir, 'case9-input.raw');
  const oursPath = join(ctx.workDir, 'case9-write-ours.vhd');
  const qemuPath = join(ctx.workDir, 'case9-write-qemu.vhd');
  await writeRandomRaw(inputPath, WRITE_BYTES);
  const outcomes = await measureInterleaved(
    [
      {
        key: 'ours', spawns: true, setup: freshDynamicImage(oursPath),
        run: () => shell(`exec ${quote(process.execPath)} ${quote(cli)} write --quiet ${quote(oursPath)} --offset 0 < ${quote(inputPath)}`),
      },
      {
        key: 'qemu-img', spawns: true, setup: freshDynamicImage(qemuPath),
        run: () => shell(`exec qemu-img convert -n -f raw -O vpc ${quote(inputPath)} ${quote(qemuPath)}`),
      },
      {
        // The same durability as ours: the image's data on disk when the job ends. `sync FILE` (coreutils) is one
        // fsync of that file, in a process that starts in about a millisecond.
        key: 'qemu-img-fsync', spawns: true, setup: freshDynamicImage(qemuPath),
        run: () => shell(`qemu-img convert -n -f raw -O vpc ${quote(inputPath)} ${quote(qemuPath)} && exec sync ${quote(qemuPath)}`),
      },
    ],
    { runs: ctx.runs(5, 2), warmup: 1, timeoutMs: 120_000 },
  );
  const label = `write ${WRITE_BYTES / MIB} MiB at offset 0 of an empty 1 GiB dynamic image`;
  const rows = [
    throughputRow(label, 'ours (vpc write image --offset 0 < input.raw)', outcomes.get('ours'), WRITE_BYTES),
    throughputRow(label, 'qemu-img convert -n -f raw -O vpc input.raw image && sync image (same durability)', outcomes.get('qemu-img-fsync'), WRITE_BYTES),
    throughputRow(label, 'qemu-img convert -n -f raw -O vpc input.raw image (no sync)', outcomes.get('qemu-img'), WRITE_BYTES),
  ];
  await Promise.all([inputPath, oursPath, qemuPath].map((path) => rm(path, { force: true })));
  return {
    rows,
    targets: [
      ratioTarget('vpc write 256 MiB from stdin vs qemu-img convert -n + fsync of the image (throughput ratio, same durability)', rows[0], rows[1], '>=', 1.0),
      { ...ratioTarget('vpc write 256 MiB from stdin vs qemu-img convert -n without sync (throughput ratio; information, not a target)', rows[0], rows[2], '>=', 1.0), informational: true },
    ],
    notes: [
      'vpc write vs qemu-img: `qemu-img convert -n` is the closest QEMU job — it reads a raw file and writes its bytes into an existing VHD from offset 0. `qemu-io -c "write -P"` writes a pattern (no input is read) and `qemu-img dd` creates a new image. vpc write syncs its data before the table entries that point at it (crash ordering), so its data is on disk when it exits; qemu-img convert does not sync by default, so the target peer is `qemu-img convert -n … && sync image` (one fsync of the image, timed with it), the same durability; the run without sync is shown for information.',
    ],
  };
}

async function catMemory(ctx, cli, sizeBytes) {
  const label = `peak RSS of vpc cat of the ${sizeBytes >= GIB ? `${sizeBytes / GIB} GiB` : `${sizeBytes / MIB} MiB`} chain (GNU time %M)`;
  const tool = 'ours (vpc cat child > /dev/null)';
  if (!canMeasureRss()) {
    const reason = 'GNU time (/usr/bin/time) is not installed';
    return { rows: [unavailableRow(label, tool, reason, 'MB')], targets: [{ name: label, target: '< 80 MB', met: undefined, measured: `not measured (${reason})` }] };
  }
  const chain = await childOverFullParent(ctx, sizeBytes);
  // GNU time runs the shell, which execs Node: the figure is the vpc process's own.
  const commandLine = `exec ${quote(process.execPath)} ${quote(cli)} cat ${quote(chain.paths[0])} > /dev/null`;
  const outcomes = await measureInterleaved(
    [{ key: 'ours', spawns: true, run: async () => ({ measured: (await processMaxRss('/bin/sh', ['-c', commandLine])).maxRssBytes }) }],
    { runs: ctx.runs(2, 1), warmup: 0, timeoutMs: 300_000 },
  );
  const outcome = outcomes.get('ours');
  if (outcome.error) return { rows: [unavailableRow(label, tool, outcome.error, 'MB')], targets: [{ name: label, target: '< 80 MB', met: undefined, measured: `not measured (${outcome.error})` }] };
  const { median, min, max, runs } = outcome.summary;
  const row = { label, tool, unit: 'MB', median: median / 1e6, min: min / 1e6, max: max / 1e6, runs };
  const informational = sizeBytes !== 8 * GIB;
  return {
    rows: [row],
    targets: [{ name: `${label}${informational ? ' (quick size, not a target)' : ''}`, target: '< 80 MB', met: row.median < 80, measured: `${row.median.toFixed(1)} MB`, ...(informational ? { informational: true } : {}) }],
  };
}

export async function run(ctx) {
  let cli;
  try {
    cli = ourCli();
  } catch (error) {
    return { rows: [unavailableRow('whole processes', 'ours (vpc)', describeError(error))], targets: [], notes: [] };
  }
  const rows = [];
  const targets = [];
  // VPC_BENCH_SKIP_CAT=1 leaves out the cat and memory rows (1–8 GiB each) while iterating on the others; the default runs all.
  const skipCat = process.env.VPC_BENCH_SKIP_CAT === '1';
  const notes = [
    ...(skipCat ? ['VPC_BENCH_SKIP_CAT=1: the cat and memory rows were left out of this run.'] : []),
    'Every contestant is a whole process, timed from spawn to exit, interleaved with its peers; images are read from the page cache (a warm-up round first) and output files are removed between runs, outside the timed part.',
    'qemu-img cannot follow a VHD chain; it converts the equivalent single image (the parent: the child holds no data).',
  ];
  const parts = [
    ['start-up', async () => startUp(ctx, cli, await sparse2040Parent(ctx))],
    ['create-diff', async () => createDiff(ctx, cli, await sparse2040Parent(ctx))],
    ...(skipCat ? [] : (ctx.quick ? QUICK_CAT_SIZES : FULL_CAT_SIZES).map((sizeBytes, index) => [`cat ${sizeBytes / MIB} MiB`, () => catToFile(ctx, cli, sizeBytes, index === 0)])),
    ['write', () => writeFromStdin(ctx, cli)],
    ...(skipCat ? [] : [['memory', () => catMemory(ctx, cli, (ctx.quick ? QUICK_CAT_SIZES : FULL_CAT_SIZES).at(-1))]]),
  ];
  for (const [name, measure] of parts) {
    try {
      const part = await measure();
      rows.push(...part.rows);
      targets.push(...part.targets);
      notes.push(...(part.notes ?? []));
    } catch (error) {
      rows.push(unavailableRow(name, 'ours (vpc)', describeError(error)));
      targets.push({ name: `${name}: all targets`, target: '—', met: undefined, measured: `not measured (${describeError(error)})` });
    }
  }
  return { rows, targets, notes };
}
