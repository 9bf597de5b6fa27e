// Compact and resize at 1 GiB (issue: "the operations users reach for next"), one process per measured run so
// peak RSS is the operation's own: `node tools/bench/compact-resize.mjs [--runs N] [--size-mib N]`.
// Compact: a dynamic image with half its 2 MiB blocks written with data and half with zeros (all allocated);
// reports MiB/s over the file read, the file size before and after, and peak RSS. Resize: growing a 1 GiB dynamic
// image with 4 KiB blocks to 2 GiB moves the blocks in the BAT's way; reports time and blocks moved.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const MIB = 1024 * 1024;
const self = fileURLToPath(import.meta.url);

async function makeHalfZero(path, sizeBytes) {
  const { createDynamicDisk, openDisk } = await import('@vhdkit/vhd-diff');
  await createDynamicDisk(path, sizeBytes);
  const disk = await openDisk(path, { writable: true });
  const data = new Uint8Array(2 * MIB).fill(0x5a);
  const zeros = new Uint8Array(2 * MIB);
  for (let offset = 0, index = 0; offset < sizeBytes; offset += 2 * MIB, index++) await disk.write(index % 2 === 0 ? data : zeros, offset);
  await disk.close();
}

async function makeSmallBlocks(path, sizeBytes) {
  const { createDynamicDisk, openDisk } = await import('@vhdkit/vhd-diff');
  await createDynamicDisk(path, sizeBytes, { blockSize: 4096 });
  const disk = await openDisk(path, { writable: true });
  // The first 64 MiB written: every block the grown BAT needs room from is allocated.
  await disk.write(new Uint8Array(64 * MIB).fill(1), 0);
  await disk.close();
}

/** Child mode: run one operation, print its result with the time and this process's peak RSS. */
async function child(operation, path, size) {
  const { compact, resize } = await import('@vhdkit/vhd-diff');
  const started = process.hrtime.bigint();
  const result = operation === 'compact' ? await compact(path) : await resize(path, Number(size));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(JSON.stringify({ result, seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
}

function runChild(operation, path, size = '') {
  const run = spawnSync(process.execPath, [self, '--child', operation, path, size], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

function median(values) {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main() {
  const { values, positionals } = parseArgs({ options: { runs: { type: 'string', default: '3' }, 'size-mib': { type: 'string', default: '1024' }, child: { type: 'boolean' } }, allowPositionals: true });
  if (values.child) return child(...positionals);
  const runs = Number(values.runs);
  const sizeBytes = Number(values['size-mib']) * MIB;
  const folder = await mkdtemp(join(tmpdir(), 'vhdkit-bench-ops-'));
  try {
    const compactRuns = [];
    for (let run = 0; run < runs; run++) {
      const path = join(folder, `half-zero-${run}.vhd`);
      await makeHalfZero(path, sizeBytes);
      const before = (await stat(path)).size;
      const measured = runChild('compact', path);
      compactRuns.push({ ...measured, before, after: (await stat(path)).size });
      await rm(path);
    }
    const resizeRuns = [];
    for (let run = 0; run < runs; run++) {
      const path = join(folder, `small-blocks-${run}.vhd`);
      await makeSmallBlocks(path, sizeBytes);
      resizeRuns.push(runChild('resize', path, String(2 * sizeBytes)));
      await rm(path);
    }
    const compactSeconds = median(compactRuns.map((run) => run.seconds));
    console.log(`compact ${values['size-mib']} MiB half-zero dynamic: median ${compactSeconds.toFixed(3)} s = ${(compactRuns[0].before / MIB / compactSeconds).toFixed(0)} MiB/s of file; ` +
      `file ${compactRuns[0].before} → ${compactRuns[0].after} bytes; peak RSS ${Math.max(...compactRuns.map((run) => run.maxRssMiB)).toFixed(1)} MiB (runs: ${compactRuns.map((run) => run.seconds.toFixed(3)).join(', ')})`);
    console.log(`resize ${values['size-mib']} MiB → ${2 * Number(values['size-mib'])} MiB, 4 KiB blocks: median ${median(resizeRuns.map((run) => run.seconds)).toFixed(3)} s, ` +
      `${resizeRuns[0].result.blocksMoved} blocks moved; peak RSS ${Math.max(...resizeRuns.map((run) => run.maxRssMiB)).toFixed(1)} MiB`);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

await main();
