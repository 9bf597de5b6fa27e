#!/usr/bin/env node
// node tools/bench/compare-builds.mjs --old <checkout> [--runs N] [--size-mib N]
// "No regression" on one machine at one time: this checkout's built vhd-diff against another checkout's (built with
// `npm ci && npx turbo run build`), loaded side by side in one process and interleaved run by run, on the same
// files: the chain read (stream with thread-pool reads and with blockingReads, copyDiskTo) and the metadata read of
// a 2040 GiB image. Figures from different days cannot say whether code regressed or the machine changed; this can.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { measureInterleaved } from './lib/timing.mjs';
import { repoRoot } from './lib/ours.mjs';
import { createHashingSink, createSink, qemuCreate, qemuRawToDynamic, writeRandomRaw } from './lib/images.mjs';

const { values: options } = parseArgs({
  options: { old: { type: 'string' }, runs: { type: 'string', default: '7' }, 'size-mib': { type: 'string', default: '1024' } },
});
if (!options.old) {
  console.error('usage: node tools/bench/compare-builds.mjs --old <checkout with built packages> [--runs N] [--size-mib N]');
  process.exit(2);
}
const builds = {
  old: await loadBuild(resolve(options.old)),
  new: await loadBuild(repoRoot),
};
const runs = Number(options.runs);
const sizeBytes = Number(options['size-mib']) * 2 ** 20;

async function loadBuild(root) {
  const diff = await import(pathToFileURL(join(root, 'packages/vhd-diff/dist/index.js')).href);
  const commit = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  return { diff, commit };
}

async function streamThrough(diff, path, openOptions, sink) {
  const disk = await diff.openDisk(path, openOptions);
  try {
    await pipeline(disk.createReadStream(), sink);
  } finally {
    await disk.close();
  }
  return sink;
}

async function copyThrough(diff, path, sink) {
  const disk = await diff.openDisk(path);
  try {
    await diff.copyDiskTo(disk, sink);
  } finally {
    await disk.close();
  }
  return sink;
}

const median = (samples) => samples.toSorted((a, b) => a - b)[Math.floor(samples.length / 2)];

async function main() {
  const workDir = await mkdtemp(join(tmpdir(), 'vhdkit-compare-'));
  try {
    const rawPath = join(workDir, 'parent.raw');
    const parentPath = join(workDir, 'parent.vhd');
    const childPath = join(workDir, 'child.vhd');
    const bigPath = join(workDir, 'sparse-2040g.vhd');
    const rawSha256 = await writeRandomRaw(rawPath, sizeBytes);
    qemuRawToDynamic(rawPath, parentPath);
    qemuCreate(bigPath, 'dynamic', 2040 * 2 ** 30);
    await builds.new.diff.createDifferencingDisk(childPath, parentPath);

    const contestants = [];
    for (const [name, { diff }] of Object.entries(builds)) {
      // Content first, untimed: a fast wrong answer is not a result.
      for (const [label, read] of [
        ['stream', (sink) => streamThrough(diff, childPath, {}, sink)],
        ['stream-blocking', (sink) => streamThrough(diff, childPath, { blockingReads: true }, sink)],
        ['copyDiskTo', (sink) => copyThrough(diff, childPath, sink)],
      ]) {
        const checked = await read(createHashingSink());
        if (checked.digest() !== rawSha256) throw new Error(`${name} ${label} read the wrong bytes`);
        contestants.push({ key: `${name} ${label}`, kind: 'MiB/s', run: () => read(createSink()) });
      }
      contestants.push({ key: `${name} readImageMetadata`, kind: 'ms', run: () => diff.readImageMetadata(bigPath) });
    }
    const outcomes = await measureInterleaved(contestants, { runs, warmup: 1, inputs: [childPath, parentPath, bigPath] });
    console.log(`old ${builds.old.commit} vs new ${builds.new.commit}; ${runs} interleaved runs; chain: empty child over a full ${sizeBytes / 2 ** 20} MiB parent`);
    for (const measurement of ['stream', 'stream-blocking', 'copyDiskTo', 'readImageMetadata']) {
      const figures = Object.keys(builds).map((name) => {
        const { summary, error } = outcomes.get(`${name} ${measurement}`);
        if (error) return { name, text: `failed: ${error}` };
        const ms = median(summary.samples);
        const value = measurement === 'readImageMetadata' ? ms : sizeBytes / 2 ** 20 / (ms / 1000);
        const unit = measurement === 'readImageMetadata' ? 'ms' : 'MiB/s';
        const range = measurement === 'readImageMetadata' ? `${summary.min.toFixed(2)}–${summary.max.toFixed(2)}` : `${(sizeBytes / 2 ** 20 / (summary.max / 1000)).toFixed(0)}–${(sizeBytes / 2 ** 20 / (summary.min / 1000)).toFixed(0)}`;
        return { name, value, text: `${value.toFixed(unit === 'ms' ? 2 : 0)} ${unit} (${range})` };
      });
      const [oldFigure, newFigure] = figures;
      const ratio = oldFigure.value && newFigure.value ? (measurement === 'readImageMetadata' ? oldFigure.value / newFigure.value : newFigure.value / oldFigure.value) : undefined;
      console.log(`${measurement.padEnd(18)} old ${oldFigure.text.padEnd(28)} new ${newFigure.text.padEnd(28)} new/old speed ${ratio ? `${ratio.toFixed(2)}×` : 'n/a'}`);
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

await main();
