// Case 6: peak RSS while reading whole chains of growing size, each read in its own process, measured by GNU time
// (%M) for every tool alike.
import { copyFile, mkdir, rm, stat, utimes } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureInterleaved, describeError } from '../lib/timing.mjs';
import { canMeasureRss, processMaxRss } from '../lib/processes.mjs';
import { sparseChain } from '../lib/chains.mjs';
import { GIB, MIB } from '../lib/images.mjs';
import { qemuConvertToNullArgs } from './read-chain.mjs';

const readerScript = fileURLToPath(new URL('../rss-reader.mjs', import.meta.url));
const jobScript = fileURLToPath(new URL('../rss-job.mjs', import.meta.url));
const JOB_PEAK_LIMIT_BYTES = 120 * 1000 * 1000; // issue 14: merge and convert of the 8 GiB chain "under 120 MB"
const FULL_SIZES = [GIB, 4 * GIB, 8 * GIB];
const QUICK_SIZES = [256 * MIB, GIB];
const PEAK_LIMIT_BYTES = 150 * 1000 * 1000; // "under 150 MB"
const FLAT_GROWTH_BYTES = 16 * MIB;

async function readerRss(args, expectedBytes) {
  const { maxRssBytes, stdout } = await processMaxRss(process.execPath, [readerScript, ...args]);
  const report = JSON.parse(stdout.trim().split('\n').pop());
  if (expectedBytes !== undefined && report.bytes < expectedBytes) throw new Error(`read ${report.bytes} of ${expectedBytes} bytes`);
  return { measured: maxRssBytes };
}

function sizeLabel(bytes) {
  return bytes >= GIB ? `${bytes / GIB} GiB` : `${bytes / MIB} MiB`;
}

/** Here each contestant reports its peak RSS in bytes as its measured value (see measureInterleaved). */
function rssRow(label, tool, outcome) {
  if (outcome.error) return { label, tool, unit: 'MiB', error: outcome.error };
  const { median, min, max, runs } = outcome.summary;
  return { label, tool, unit: 'MiB', median: median / MIB, min: min / MIB, max: max / MIB, runs };
}

export async function run(ctx) {
  const sizes = ctx.quick ? QUICK_SIZES : FULL_SIZES;
  if (!canMeasureRss()) {
    const reason = 'GNU time (/usr/bin/time) is not installed (apt-get install time)';
    return { rows: [{ label: 'peak RSS', tool: 'all', unit: 'MiB', error: reason }], targets: [], notes: [] };
  }
  const runs = ctx.runs(2, 1); // peak RSS barely varies between runs, and each 8 GiB read takes a while
  const rows = [];
  const notes = [
    'Chains: a parent with one 2 MiB block of data in every 64 MiB (QEMU), and our child over it with 64 scattered writes; the whole virtual size is read.',
    'vhd-lib emits only allocated blocks (a sparse VHD stream), so it moves about 1/32 of the bytes ours and qemu-img move.',
  ];
  const oursBySize = [];

  const idle = await measureInterleaved(
    [
      { key: 'ours', run: () => readerRss(['idle', 'ours']) },
      ...(ctx.vhdLib.available ? [{ key: 'vhd-lib', run: () => readerRss(['idle', 'vhd-lib']) }] : []),
    ],
    { runs, warmup: 0 },
  );
  rows.push(rssRow('baseline: process with the library loaded, nothing read', 'ours (node + @vhdkit)', idle.get('ours')));
  if (idle.has('vhd-lib')) rows.push(rssRow('baseline: process with the library loaded, nothing read', 'vhd-lib', idle.get('vhd-lib')));

  for (const sizeBytes of sizes) {
    const label = `read ${sizeLabel(sizeBytes)} chain`;
    let chain;
    try {
      chain = await sparseChain(ctx, sizeBytes);
    } catch (error) {
      rows.push({ label, tool: 'ours', unit: 'MiB', error: `chain not made: ${describeError(error)}` });
      continue;
    }
    const contestants = [{ key: 'ours', run: () => readerRss(['ours', chain.paths[0]], sizeBytes) }];
    if (ctx.vhdLib.available) contestants.push({ key: 'vhd-lib', run: () => readerRss(['vhd-lib', ...chain.paths]) });
    // QEMU reads the parent alone (it cannot follow a VHD chain); the memory profile of the job is the same.
    contestants.push({ key: 'qemu-img', run: async () => ({ measured: (await processMaxRss('qemu-img', qemuConvertToNullArgs(chain.paths[1], sizeBytes))).maxRssBytes }) });
    const outcomes = await measureInterleaved(contestants, { runs, warmup: 0 });
    const oursRow = rssRow(label, 'ours (openDisk().createReadStream)', outcomes.get('ours'));
    rows.push(oursRow);
    if (outcomes.has('vhd-lib')) rows.push(rssRow(label, `${ctx.vhdLibLabel} createSyntheticStream`, outcomes.get('vhd-lib')));
    if (outcomes.has('qemu-img')) rows.push(rssRow(label, 'qemu-img convert (parent) → null', outcomes.get('qemu-img')));
    if (!oursRow.error) oursBySize.push({ sizeBytes, rssBytes: oursRow.median * MIB });
  }
  if (!ctx.vhdLib.available) notes.push(`vhd-lib not measured: ${ctx.vhdLib.reason}`);

  const jobs = await jobRows(ctx, sizes[sizes.length - 1], runs);
  rows.push(...jobs.rows);

  const largest = oursBySize[oursBySize.length - 1];
  const smallest = oursBySize[0];
  const measuredAll = oursBySize.length === sizes.length;
  return {
    rows,
    targets: [
      {
        name: `peak RSS reading the ${sizeLabel(sizes[sizes.length - 1])} chain (ours)`,
        target: '< 150 MB',
        met: measuredAll ? largest.rssBytes < PEAK_LIMIT_BYTES : undefined,
        measured: measuredAll ? `${(largest.rssBytes / 1e6).toFixed(1)} MB` : 'not measured',
      },
      {
        name: `peak RSS flat from ${sizeLabel(sizes[0])} to ${sizeLabel(sizes[sizes.length - 1])} (ours, growth)`,
        target: `<= ${FLAT_GROWTH_BYTES / MIB} MiB`,
        met: measuredAll ? largest.rssBytes - smallest.rssBytes <= FLAT_GROWTH_BYTES : undefined,
        measured: measuredAll ? `${((largest.rssBytes - smallest.rssBytes) / MIB).toFixed(1).replace(/^-0\.0$/, '0.0')} MiB` : 'not measured',
      },
      ...jobs.targets,
    ],
    notes,
  };
}

/** A job's peak RSS against issue 14's "< 120 MB". */
function jobTarget(name, row) {
  return {
    name,
    target: '< 120 MB',
    met: row.error ? undefined : row.median * MIB < JOB_PEAK_LIMIT_BYTES,
    measured: row.error ? `not measured (${row.error})` : `${((row.median * MIB) / 1e6).toFixed(1)} MB`,
  };
}

/** A copy of a file that keeps its times (the child records its parent's modification time). */
async function copyWithTimes(from, to) {
  await copyFile(from, to);
  const { atime, mtime } = await stat(from);
  await utimes(to, atime, mtime);
}

/**
 * Issue 14: peak RSS of a merge (into a fresh copy of the parent, each run) and of a convert to a new dynamic image,
 * of the largest chain, each in its own process.
 */
async function jobRows(ctx, sizeBytes, runs) {
  const label = (job) => `${job} ${sizeLabel(sizeBytes)} chain`;
  let chain;
  try {
    chain = await sparseChain(ctx, sizeBytes);
  } catch (error) {
    const reason = `chain not made: ${describeError(error)}`;
    return { rows: ['merge', 'convert'].map((job) => ({ label: label(job), tool: 'ours', unit: 'MiB', error: reason })), targets: [] };
  }
  const folder = join(ctx.workDir, 'rss-jobs');
  const contestants = [
    {
      key: 'merge',
      setup: async () => {
        await rm(folder, { recursive: true, force: true });
        await mkdir(folder);
        for (const path of chain.paths) await copyWithTimes(path, join(folder, basename(path)));
        return join(folder, basename(chain.paths[0]));
      },
      run: async (childCopy) => ({ measured: (await processMaxRss(process.execPath, [jobScript, 'merge', childCopy])).maxRssBytes }),
      teardown: () => rm(folder, { recursive: true, force: true }),
    },
    {
      key: 'convert',
      setup: async () => {
        await rm(folder, { recursive: true, force: true });
        await mkdir(folder);
        return join(folder, 'flat.vhd');
      },
      run: async (output) => ({ measured: (await processMaxRss(process.execPath, [jobScript, 'convert', chain.paths[0], output])).maxRssBytes }),
      teardown: () => rm(folder, { recursive: true, force: true }),
    },
  ];
  const outcomes = await measureInterleaved(contestants, { runs, warmup: 0 });
  const mergeRow = rssRow(label('merge'), 'ours (merge)', outcomes.get('merge'));
  const convertRow = rssRow(label('convert'), 'ours (convert → dynamic)', outcomes.get('convert'));
  return {
    rows: [mergeRow, convertRow],
    targets: [jobTarget(`peak RSS merging the ${sizeLabel(sizeBytes)} chain (ours)`, mergeRow), jobTarget(`peak RSS converting the ${sizeLabel(sizeBytes)} chain (ours)`, convertRow)],
  };
}
