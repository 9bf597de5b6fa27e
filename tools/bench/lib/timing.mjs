// Timing primitives. Every figure is the median of several runs with its min and max; contestants of one
// comparison run interleaved (A, B, C, A, B, C, …) so machine noise hits them alike and ratios stay fair.

import { closeSync, openSync, readSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// A full collection before each in-process run (untimed): otherwise the garbage one contestant leaves (4 MiB tables,
// 2 MiB chunks) is collected in whichever contestant runs next, and the order of contestants decides the figures.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc');

export function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** @param {number[]} samples */
export function summarize(samples) {
  const sorted = samples.toSorted((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs: sorted.length, samples };
}

/**
 * Runs each contestant `runs` times, interleaved (each round starting with the next contestant), after `warmup`
 * untimed rounds. A contestant's `setup` and
 * `teardown` (fresh copies, deleting outputs) run outside the timed part. The figure is the wall time of `run`,
 * unless `run` resolves to `{ measured: number }` (a child process's own time, or a peak RSS): then that value.
 * A contestant that throws is dropped from further rounds and reported with its error.
 *
 * In-process runs start after a full garbage collection (untimed), so each pays only for its own garbage.
 *
 * Contestants marked `spawns: true` (they start a process) are measured in their own interleaved group after the
 * in-process ones: right after a fork, the bench process's memory is copy-on-write and its next in-process run
 * measured up to 10× slower (a 4 MiB BAT decode: 2.3 ms alone, 21 ms when a `qemu-img --version` ran in between),
 * which would charge the harness's own spawning to our code.
 *
 * `inputs` (files the contestants read; a contestant's own `inputs` replace them for it) are read through once, untimed, right before every run: a kernel with
 * proactive reclaim (DAMON, see machine.mjs) pages out page cache left idle, so "read
 * from the page cache" holds only if the files were read just before, for every contestant alike.
 *
 * @param {{ key: string, spawns?: boolean, inputs?: string[], setup?: (round: number) => Promise<unknown>, run: (prepared: unknown) => Promise<unknown>, teardown?: (prepared: unknown) => Promise<void> }[]} contestants
 * @param {{ runs: number, warmup?: number, timeoutMs?: number, inputs?: string[] }} options
 * @returns {Promise<Map<string, { summary?: ReturnType<typeof summarize>, error?: string }>>}
 */
export async function measureInterleaved(contestants, options) {
  const inProcess = contestants.filter((contestant) => !contestant.spawns);
  const spawning = contestants.filter((contestant) => contestant.spawns);
  const results = new Map([...(await measureGroup(inProcess, { ...options, collect: true })), ...(await measureGroup(spawning, options))]);
  return new Map(contestants.map(({ key }) => [key, results.get(key)]));
}

async function measureGroup(contestants, { runs, warmup = 1, timeoutMs = 120_000, inputs = [], collect = false }) {
  const samples = new Map(contestants.map(({ key }) => [key, []]));
  const errors = new Map();
  for (let round = 0; round < warmup + runs; round++) {
    // Each round starts with the next contestant: on this VM the first big writer after a pause gets memory the host
    // took back (slow to fault in again), and a fixed order would charge that to the same contestant every round.
    for (const contestant of rotated(contestants, round)) {
      if (errors.has(contestant.key)) continue;
      let prepared;
      try {
        prepared = contestant.setup ? await withTimeout(contestant.setup(round), timeoutMs, 'setup') : undefined;
        readThrough(contestant.inputs ?? inputs);
        if (collect) collectGarbage();
        const started = nowMs();
        const reported = await withTimeout(contestant.run(prepared), timeoutMs, contestant.key);
        const elapsed = typeof reported?.measured === 'number' ? reported.measured : nowMs() - started;
        if (round >= warmup) samples.get(contestant.key).push(elapsed);
      } catch (error) {
        errors.set(contestant.key, describeError(error));
      } finally {
        if (contestant.teardown) await contestant.teardown(prepared).catch(() => {});
      }
    }
  }
  return contestants.map(({ key }) => [key, errors.has(key) ? { error: errors.get(key) } : { summary: summarize(samples.get(key)) }]);
}

/** `items` starting at index `round` (modulo their count). */
function rotated(items, round) {
  const start = items.length === 0 ? 0 : round % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

/** One buffer for every read-through: a fresh one per call would itself be memory the kernel must fault in. */
let readThroughBuffer;

/** Reads every file in `paths` to the end and drops the bytes: brings (or keeps) them in the page cache. */
export function readThrough(paths) {
  readThroughBuffer ??= Buffer.allocUnsafe(8 * 1024 * 1024);
  for (const path of paths) {
    const fd = openSync(path, 'r');
    try {
      while (readSync(fd, readThroughBuffer, 0, readThroughBuffer.length, null) > 0);
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Settles with `promise`, or rejects after `timeoutMs`. The timer also keeps the event loop alive: a promise
 * that can never settle (a bug in the code under test) would otherwise let Node exit silently mid-run.
 */
export function withTimeout(promise, timeoutMs, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${timeoutMs / 1000} s (a promise that never settles?)`)), timeoutMs);
  });
  return Promise.race([Promise.resolve(promise), timeout]).finally(() => clearTimeout(timer));
}

/** One line for an error: typed errors of this toolkit carry a `code`, Node errors an errno `code`. */
export function describeError(error) {
  if (!(error instanceof Error)) return String(error);
  const code = /** @type {{ code?: unknown }} */ (error).code;
  const firstLine = error.message.split('\n')[0];
  return typeof code === 'string' && !firstLine.includes(code) ? `${code}: ${firstLine}` : firstLine;
}
