#!/usr/bin/env node
/**
 * Hostile-input fuzz runner: generates cases from seeds (packages/vhd-diff/test/hostile), runs them in batches
 * in child processes (so a crash, a hang or a memory blow-up costs one seed, and memory is measured per process),
 * and prints counts by outcome class. Exits 1 on any defect.
 *
 *   node tools/hostile/run.mjs [--cases N] [--from SEED] [--jobs J] [--batch B] [--json] [--quiet]
 *   node tools/hostile/run.mjs --seeds 34,521,763   just those seeds (regressions)
 *   node tools/hostile/run.mjs --show SEED      what case SEED is (mutations and the oracle's verdict)
 *
 * Needs the built packages (npm run build).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { transformSync } from '@swc/core';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const sourceDir = join(repoRoot, 'packages/vhd-diff/test/hostile');
const buildDir = join(repoRoot, 'node_modules/.cache/vhdkit-hostile');

const DEFECTS = ['untyped', 'timeout', 'memory', 'leak', 'wrong-byte', 'accepted-nonsense'];
const CLASSES = [...DEFECTS, 'ok-typed', 'ok-read'];
/** A child is killed (its current seed a 'memory' defect) above this RSS: far above the per-case limit, below harm. */
const CHILD_RSS_LIMIT_BYTES = 1536 * 1024 * 1024;
/** A child silent this long is hung (the per-case limit is 5 s, checked inside). */
const CHILD_SILENCE_LIMIT_MS = 10_000;

function parseArgs(argv) {
  const options = { cases: 1_000_000, from: 1, jobs: 2, batch: 2_000, json: false, quiet: false, show: undefined, seeds: undefined };
  for (let index = 0; index < argv.length; index++) {
    const name = argv[index];
    const value = () => Number(argv[++index]);
    if (name === '--cases') options.cases = value();
    else if (name === '--from') options.from = value();
    else if (name === '--jobs') options.jobs = value();
    else if (name === '--batch') options.batch = value();
    else if (name === '--show') options.show = value();
    else if (name === '--seeds') options.seeds = argv[++index].split(',').map(Number);
    else if (name === '--json') options.json = true;
    else if (name === '--quiet') options.quiet = true;
    else throw new Error(`unknown option ${name}`);
  }
  return options;
}

/** Transpiles the generator, oracle and harness (TypeScript, test code) to plain modules for the children. */
function compileHarness() {
  if (!existsSync(join(repoRoot, 'packages/vhd-diff/dist/index.js'))) {
    throw new Error('packages are not built: run npm run build first');
  }
  mkdirSync(buildDir, { recursive: true });
  for (const file of readdirSync(sourceDir).filter((name) => name.endsWith('.ts'))) {
    const { code } = transformSync(readFileSync(join(sourceDir, file), 'utf8'), {
      filename: file,
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022', keepClassNames: true },
      module: { type: 'es6' },
    });
    writeFileSync(join(buildDir, file.replace(/\.ts$/, '.js')), code);
  }
  return join(buildDir, 'worker.js');
}

function rssOf(pid) {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Runs seeds [from, from + count) in one child; resolves with the outcomes (a dead child's seed included). */
function runBatch(worker, folder, from, count, onOutcome) {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [worker, folder, String(from), String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let current;
    let finished = new Set();
    let killedAs;
    let lastOutput = Date.now();
    let stderr = '';
    child.stderr.on('data', (chunk) => { stderr = (stderr + chunk).slice(-2000); });
    const watchdog = setInterval(() => {
      if (current === undefined || killedAs) return;
      if (rssOf(child.pid) > CHILD_RSS_LIMIT_BYTES) killedAs = { outcome: 'memory', detail: `child RSS above ${CHILD_RSS_LIMIT_BYTES / 2 ** 20} MB` };
      else if (Date.now() - lastOutput > CHILD_SILENCE_LIMIT_MS) killedAs = { outcome: 'timeout', detail: `no result in ${CHILD_SILENCE_LIMIT_MS} ms (hang)` };
      if (killedAs) child.kill('SIGKILL');
    }, 250);
    createInterface({ input: child.stdout }).on('line', (line) => {
      lastOutput = Date.now();
      const record = JSON.parse(line);
      if ('start' in record) {
        current = record.start;
      } else if (!finished.has(record.seed) || record.late) {
        finished.add(record.seed);
        onOutcome(record);
      }
    });
    child.on('close', (code, signal) => {
      clearInterval(watchdog);
      const next = current === undefined ? from : current + (finished.has(current) ? 1 : 0);
      if (current !== undefined && !finished.has(current)) {
        const death = killedAs ?? { outcome: 'untyped', detail: `child died (exit ${code}, signal ${signal}): ${stderr.trim().split('\n').slice(-3).join(' | ')}` };
        onOutcome({ seed: current, mutations: [], oracle: '', elapsedMs: 0, rssGrowthBytes: 0, stricter: false, ...death, died: true });
      } else if (code !== 0 && current === undefined) {
        throw new Error(`worker failed to start: ${stderr}`);
      }
      const done = current === undefined ? 0 : current + 1 - from;
      resolvePromise(done >= count ? undefined : { from: Math.max(next, current + 1), count: count - done });
    });
  });
}

async function show(seed) {
  const worker = compileHarness();
  const harness = await import(pathToFileURL(join(dirname(worker), 'harness.js')).href);
  const oracle = await import(pathToFileURL(join(dirname(worker), 'oracle.js')).href);
  const { images, mutations } = harness.generateCase(seed);
  const verdict = oracle.judgeChain(images.map((image) => image.bytes));
  console.log(`seed ${seed}: ${images.map((image) => `${image.model.name} (${image.model.kind}, ${image.model.virtualSize} B, ${image.bytes.length}-byte file)`).join(' → ')}`);
  console.log(`mutations: ${mutations.join('; ') || 'none'}`);
  console.log(`oracle: ${verdict.accepted ? `accepts (${[...new Set(verdict.soft)].join(', ')})` : `rejects image ${verdict.image}: ${verdict.rule}`}`);
  const folder = join(tmpdir(), `vhdkit-hostile-show-${process.pid}`);
  mkdirSync(folder, { recursive: true });
  await harness.plantSecret(folder);
  console.log(JSON.stringify(await harness.runCase(seed, folder), null, 2));
  rmSync(folder, { recursive: true, force: true });
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.show !== undefined) return show(options.show);
  const worker = compileHarness();
  const folder = join(tmpdir(), `vhdkit-hostile-${process.pid}`);
  const counts = Object.fromEntries(CLASSES.map((name) => [name, 0]));
  const defects = [];
  let stricter = 0;
  let slowestMs = 0;
  let largestGrowth = 0;
  let done = 0;
  const started = Date.now();
  const harness = await import(pathToFileURL(join(dirname(worker), 'harness.js')).href);
  const oracle = await import(pathToFileURL(join(dirname(worker), 'oracle.js')).href);
  const onOutcome = (outcome) => {
    if (outcome.died) {
      const { images, mutations } = harness.generateCase(outcome.seed);
      const verdict = oracle.judgeChain(images.map((image) => image.bytes));
      outcome.mutations = mutations;
      outcome.oracle = verdict.accepted ? 'accepts' : `rejects image ${verdict.image}: ${verdict.rule}`;
    }
    if (!outcome.late) done++;
    counts[outcome.outcome] = (counts[outcome.outcome] ?? 0) + 1;
    if (outcome.stricter) stricter++;
    slowestMs = Math.max(slowestMs, outcome.elapsedMs);
    largestGrowth = Math.max(largestGrowth, outcome.rssGrowthBytes);
    if (DEFECTS.includes(outcome.outcome)) {
      defects.push(outcome);
      if (!options.quiet && !options.json) console.log(`DEFECT seed ${outcome.seed} ${outcome.outcome}: ${outcome.detail} [${outcome.mutations.join('; ')}] oracle ${outcome.oracle}`);
    }
    if (!options.quiet && !options.json && done % 10_000 === 0) console.log(`${done} cases, ${Math.round((Date.now() - started) / 1000)} s, ${defects.length} defects`);
  };
  const queue = [];
  if (options.seeds) {
    for (const seed of options.seeds) queue.push({ from: seed, count: 1 });
  } else {
    for (let from = options.from; from < options.from + options.cases; from += options.batch) {
      queue.push({ from, count: Math.min(options.batch, options.from + options.cases - from) });
    }
  }
  try {
    await Promise.all(Array.from({ length: options.jobs }, async (_, job) => {
      while (queue.length > 0) {
        let batch = queue.shift();
        while (batch) batch = await runBatch(worker, join(folder, `job-${job}`), batch.from, batch.count, onOutcome);
      }
    }));
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  const summary = { cases: done, seconds: (Date.now() - started) / 1000, counts, stricter, slowestMs: Math.round(slowestMs), largestRssGrowthMB: Math.round(largestGrowth / 2 ** 20), defects };
  if (options.json) {
    console.log(JSON.stringify(summary));
  } else {
    console.log(`\n${done} cases in ${summary.seconds.toFixed(1)} s (slowest ${summary.slowestMs} ms, largest RSS growth ${summary.largestRssGrowthMB} MB)`);
    for (const name of CLASSES) console.log(`  ${name.padEnd(18)} ${counts[name]}${name === 'ok-typed' ? ` (of which ${stricter} stricter than the oracle)` : ''}`);
    const byKind = new Map();
    for (const defect of defects) {
      const key = `${defect.outcome}: ${defect.detail.replace(/\d+/g, 'N').slice(0, 120)}`;
      const entry = byKind.get(key) ?? { count: 0, seed: defect.seed };
      entry.count++;
      byKind.set(key, entry);
    }
    for (const [key, { count, seed }] of byKind) console.log(`  ${String(count).padStart(6)} × ${key} (e.g. seed ${seed})`);
  }
  process.exitCode = defects.length > 0 ? 1 : 0;
}

await main();
