#!/usr/bin/env node
// npm run bench [-- --quick] [--only=1,3] [--no-write] [--no-vhd-lib]
// node tools/bench/run.mjs --render-only    rewrite BENCHMARKS.md and the chart from bench-results.json (after editing analysis.md)
// Measures this toolkit and its peers (qemu-img, cat, vhd-lib) in one run on the same files, prints a table,
// and writes BENCHMARKS.md, bench-results.json and bench-chart.svg at the repository root.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { STARTUP_ENVIRONMENT, loadAverage, machineFacts } from './lib/machine.mjs';
import { toolVersion } from './lib/processes.mjs';
import { createFsHandler, loadVhdLib } from './lib/vhd-lib-peer.mjs';
import { oursAvailability, repoRoot } from './lib/ours.mjs';
import { describeError, withTimeout } from './lib/timing.mjs';
import { creationCostChart } from './lib/chart.mjs';
import { benchmarksMarkdown, caseText } from './lib/report.mjs';
import * as createChild from './cases/create-child.mjs';
import * as createSizes from './cases/create-sizes.mjs';
import * as readChain from './cases/read-chain.mjs';
import * as mergeCase from './cases/merge.mjs';
import * as parseCase from './cases/parse.mjs';
import * as memoryCase from './cases/memory.mjs';
import * as httpRead from './cases/http-read.mjs';
import * as importExportCase from './cases/import-export.mjs';
import * as cliProcessCase from './cases/cli-process.mjs';

const CASES = [
  { number: 1, title: 'Create a differencing child of a sparse 2040 GiB parent', module: createChild },
  { number: 2, title: 'Create dynamic and fixed images: cost against size', module: createSizes },
  { number: 3, title: 'Read a chain to /dev/null', module: readChain },
  { number: 4, title: 'Merge a child into its parent', module: mergeCase },
  { number: 5, title: 'Parse: footer + header + BAT, and streaming parse', module: parseCase },
  { number: 6, title: 'Peak memory reading growing chains', module: memoryCase },
  { number: 7, title: 'Read over HTTP from a local nginx; open in the browser', module: httpRead },
  { number: 8, title: 'Import a raw disk; export a chain to a standalone VHD', module: importExportCase },
  { number: 9, title: 'Whole processes: start-up, info, create-diff, cat to a file, write', module: cliProcessCase },
];

const { values: options } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    'no-vhd-lib': { type: 'boolean', default: false },
    'render-only': { type: 'boolean', default: false },
  },
});
const selected = options.only ? new Set(options.only.split(',').map(Number)) : undefined;
// Children inherit process.env: what is removed here is removed for every process the bench starts.
const removedEnvironment = STARTUP_ENVIRONMENT.filter((name) => process.env[name] !== undefined);
for (const name of removedEnvironment) delete process.env[name];
const workDir = join(repoRoot, 'tools/bench/.work', `run-${process.pid}`);
const outputs = { markdown: 'BENCHMARKS.md', json: 'bench-results.json', chart: 'bench-chart.svg' };

function log(message) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function cleanup() {
  await rm(workDir, { recursive: true, force: true });
}

process.on('SIGINT', () => {
  cleanup().finally(() => process.exit(130));
});

async function main() {
  const startedAt = new Date();
  const loadAtStart = loadAverage();
  if (!toolVersion('qemu-img')) {
    console.error('qemu-img is not installed: the bench needs it to make its parent images (npm run setup:interop).');
    process.exitCode = 1;
    return;
  }
  await mkdir(workDir, { recursive: true });
  const vhdLib = options['no-vhd-lib'] ? { available: false, reason: 'not installed or run (--no-vhd-lib)' } : loadVhdLib();
  const peers = [];
  if (vhdLib.available) {
    log(`vhd-lib ${vhdLib.version} ${vhdLib.installedNow ? 'installed now' : 'found'} in tools/bench/.peers`);
  } else {
    log(`vhd-lib NOT AVAILABLE: ${vhdLib.reason}`);
    peers.push(`**vhd-lib was not available in this run:** ${vhdLib.reason}. Its rows say so.`);
  }
  const availability = oursAvailability();
  log(`ours: ${Object.entries(availability).map(([name, state]) => `${name} ${state}`).join('; ')}`);

  const sharedResults = new Map();
  const ctx = {
    quick: options.quick,
    workDir,
    vhdLib,
    vhdLibLabel: vhdLib.available ? `vhd-lib ${vhdLib.version}` : 'vhd-lib',
    handler: createFsHandler(),
    runs: (full, quick) => (options.quick ? quick : full),
    /** Size of the fully written images of the read, merge and parse cases (1 GiB, as the issue asks; less when quick). */
    imageBytes: options.quick ? 128 * 1024 * 1024 : 1024 * 1024 * 1024,
    /** Work images made once per run and shared by the cases that need them. */
    shared(key, make) {
      if (!sharedResults.has(key)) {
        log(`  preparing ${key}…`);
        sharedResults.set(key, withTimeout(make(), 600_000, `preparing ${key}`));
      }
      return sharedResults.get(key);
    },
  };

  const results = [];
  try {
    for (const benchCase of CASES) {
      if (selected && !selected.has(benchCase.number)) continue;
      log(`case ${benchCase.number}: ${benchCase.title}`);
      const started = Date.now();
      let result;
      try {
        result = { number: benchCase.number, title: benchCase.title, ...(await withTimeout(benchCase.module.run(ctx), 900_000, `case ${benchCase.number}`)) };
      } catch (error) {
        log(`case ${benchCase.number} failed: ${error instanceof Error ? error.stack : error}`);
        result = { number: benchCase.number, title: benchCase.title, rows: [], targets: [], failure: describeError(error) };
      }
      result.seconds = (Date.now() - started) / 1000;
      results.push(result);
      console.log(caseText(result));
    }
  } finally {
    await cleanup();
  }

  const durationSeconds = (Date.now() - startedAt.getTime()) / 1000;
  const machine = machineFacts({ vhdLibVersion: vhdLib.available ? vhdLib.version : undefined, loadAtStart, removedEnvironment });
  console.log(`\nfinished in ${durationSeconds.toFixed(0)} s (${options.quick ? 'quick' : 'full'} mode)`);
  if (options['no-write']) return;

  await writeOutputs({ startedAt, durationSeconds, quick: options.quick, machine, peers, results });
  await writeFile(
    join(repoRoot, outputs.json),
    `${JSON.stringify({ generatedAt: startedAt.toISOString(), mode: options.quick ? 'quick' : 'full', durationSeconds, machine, ours: availability, peerNotes: peers, cases: results }, null, 2)}\n`,
  );
  log(`wrote ${outputs.markdown}, ${outputs.json}${results.some((result) => result.chart) ? `, ${outputs.chart}` : ''}`);
}

/** BENCHMARKS.md and the chart, from a run's results (fresh, or read back from bench-results.json). */
async function writeOutputs({ startedAt, durationSeconds, quick, machine, peers, results }) {
  const chartCase = results.find((result) => result.chart);
  const { sizeLabel } = createSizes;
  const chartSvg = chartCase ? creationCostChart(chartCase.chart.series, { title: 'Creating an image: cost against virtual size', sizeLabel }) : undefined;
  if (chartSvg) await writeFile(join(repoRoot, outputs.chart), chartSvg);
  else await rm(join(repoRoot, outputs.chart), { force: true }); // never leave a chart from another run beside these figures
  const analysisPath = join(repoRoot, 'tools/bench/analysis.md');
  const analysis = existsSync(analysisPath) ? readFileSync(analysisPath, 'utf8') : undefined;
  const report = { startedAt, durationSeconds, quick, machine, peers, results, chartFile: chartSvg ? outputs.chart : undefined, analysis, jsonFile: outputs.json };
  await writeFile(join(repoRoot, outputs.markdown), benchmarksMarkdown(report));
}

async function renderOnly() {
  const saved = JSON.parse(readFileSync(join(repoRoot, outputs.json), 'utf8'));
  await writeOutputs({
    startedAt: new Date(saved.generatedAt),
    durationSeconds: saved.durationSeconds,
    quick: saved.mode === 'quick',
    machine: saved.machine,
    peers: saved.peerNotes ?? [],
    results: saved.cases,
  });
  log(`rewrote ${outputs.markdown} from ${outputs.json} (run of ${saved.generatedAt})`);
}

(options['render-only'] ? renderOnly() : main()).catch(async (error) => {
  console.error(error);
  await cleanup();
  process.exitCode = 1;
});
