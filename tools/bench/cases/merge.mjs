// Case 4: merge a child into its fully written parent (a fully written child, and one with scattered writes):
// ours (merge) vs vhd-lib's mergeVhd on fresh copies of the same two files each run. Copies live in their own folder under the same names, so the
// child's relative locator finds the copy of the parent, never the master.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, rm, stat, unlink, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { measureInterleaved, describeError } from '../lib/timing.mjs';
import { ours } from '../lib/ours.mjs';
import { fullParent } from '../lib/chains.mjs';
import { MIB, scatteredWrites, sha256File } from '../lib/images.mjs';
import { absoluteTarget, ratioTarget, throughputRow, unavailableRow } from '../lib/results.mjs';

const WRITE_CHUNK_BYTES = 4 * MIB;

/**
 * Master copies in their own folder: parent.vhd (QEMU, fully written) and child.vhd (ours). `fill` writes the
 * child through our openDisk and returns the sha256 of the content the merged parent must then hold.
 */
function mergeMasters(ctx, key, sizeBytes, fill) {
  return ctx.shared(`merge-masters-${key}-${sizeBytes}`, async () => {
    const { createDifferencingDisk, openDisk } = ours('diff', ['createDifferencingDisk', 'openDisk', 'merge']);
    const parent = await fullParent(ctx, sizeBytes);
    const folder = join(ctx.workDir, `merge-master-${key}`);
    await mkdir(folder, { recursive: true });
    const parentPath = join(folder, 'parent.vhd');
    const childPath = join(folder, 'child.vhd');
    await copyFile(parent.vhdPath, parentPath);
    await createDifferencingDisk(childPath, parentPath);
    const disk = await openDisk(childPath, { writable: true });
    let filled;
    try {
      filled = await fill(disk, parent);
      await disk.flush();
    } finally {
      await disk.close();
    }
    return { folder, parentPath, childPath, ...filled };
  });
}

/** Every byte of the child written: the merge copies whole blocks. */
async function fillCompletely(disk) {
  const sizeBytes = disk.virtualSize;
  const chunk = randomBytes(WRITE_CHUNK_BYTES);
  const hash = createHash('sha256');
  for (let offset = 0; offset < sizeBytes; offset += WRITE_CHUNK_BYTES) {
    chunk.writeDoubleBE(offset, 0);
    const slice = chunk.subarray(0, Math.min(WRITE_CHUNK_BYTES, sizeBytes - offset));
    hash.update(slice);
    await disk.write(slice, offset);
  }
  return { contentSha256: hash.digest('hex'), dataBytes: sizeBytes };
}

/** 1024 scattered writes (4–133 KiB): the merge copies sector runs into partly covered blocks. */
async function fillScattered(disk, parent) {
  const writes = scatteredWrites(disk.virtualSize, 1024, 7);
  for (const { offset, data } of writes) await disk.write(data, offset);
  return { contentSha256: await patchedSha256(parent.rawPath, writes), dataBytes: unionBytes(writes) };
}

/** Bytes the writes cover, overlaps counted once (they are sector-aligned): what the child's bitmaps mark. */
function unionBytes(writes) {
  const ranges = writes.map(({ offset, data }) => [offset, offset + data.length]).toSorted((a, b) => a[0] - b[0]);
  let total = 0;
  let coveredTo = 0;
  for (const [start, end] of ranges) {
    if (end <= coveredTo) continue;
    total += end - Math.max(start, coveredTo);
    coveredTo = end;
  }
  return total;
}

/** sha256 of a raw file with writes laid over it, streamed (no second copy of the disk on disk). */
async function patchedSha256(rawPath, writes) {
  const hash = createHash('sha256');
  let position = 0;
  for await (const chunk of createReadStream(rawPath, { highWaterMark: WRITE_CHUNK_BYTES })) {
    const end = position + chunk.length;
    for (const { offset, data } of writes) {
      if (offset >= end || offset + data.length <= position) continue;
      const from = Math.max(offset, position);
      const to = Math.min(offset + data.length, end);
      chunk.set(data.subarray(from - offset, to - offset), from - position);
    }
    hash.update(chunk);
    position = end;
  }
  return hash.digest('hex');
}

/**
 * The child records its parent's modification time (as Windows does), so a copy must keep the master's times.
 * The copy is also flushed to disk first: a real parent is not a gigabyte of dirty page cache, and a merge that
 * fsyncs (ours does, vhd-lib does not) would otherwise be charged for writing the bench's own copy.
 */
async function copyWithTimes(from, to) {
  await copyFile(from, to);
  const handle = await open(to, 'r+');
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
  const { atime, mtime } = await stat(from);
  await utimes(to, atime, mtime);
}

async function freshCopies(ctx, masters, name) {
  const folder = join(ctx.workDir, `merge-${name}`);
  await rm(folder, { recursive: true, force: true });
  await mkdir(folder);
  const parentPath = join(folder, 'parent.vhd');
  const childPath = join(folder, 'child.vhd');
  await copyWithTimes(masters.parentPath, parentPath);
  await copyWithTimes(masters.childPath, childPath);
  return { folder, parentPath, childPath };
}

/**
 * vhd-lib's mergeVhd with the durability ours gives: it neither syncs nor deletes the child, so the fair peer is its
 * merge followed by an fsync of the parent and the same child deletion (and folder sync) that our merge does.
 */
async function mergeDurablyWithVhdLib(ctx, parentPath, childPath) {
  await ctx.vhdLib.lib.mergeVhd(ctx.handler, parentPath, ctx.handler, childPath);
  const parent = await open(parentPath, 'r+');
  try {
    await parent.sync();
  } finally {
    await parent.close();
  }
  await unlink(childPath);
  const folder = await open(dirname(childPath), 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

async function contentSha256ByQemu(ctx, imagePath) {
  const rawPath = join(ctx.workDir, 'merge-check.raw');
  try {
    execFileSync('qemu-img', ['convert', '-f', 'vpc', '-O', 'raw', imagePath, rawPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    return await sha256File(rawPath);
  } finally {
    await rm(rawPath, { force: true });
  }
}

const SCENARIOS = [
  { key: 'full', label: 'fully written child', fill: fillCompletely },
  { key: 'scattered', label: 'child with 1024 scattered writes', fill: fillScattered },
];

export async function run(ctx) {
  const sizeBytes = ctx.imageBytes;
  const rows = [];
  const targets = [];
  const notes = [
    'Each run merges fresh copies (made and flushed to disk outside the timed part) of the same parent and child, keeping their modification times (the child records its parent\'s).',
    'vhd-lib\'s mergeVhd neither syncs the parent nor deletes the child; its contestant is mergeVhd followed by an fsync of the parent, the deletion of the child and an fsync of the folder, the durability our merge gives (ours also keeps a journal).',
    'Throughput = bytes the child holds (what the merge must copy) / wall time. The parent is fully written by QEMU.',
    'After one untimed merge by each tool, qemu-img reads the merged parent and its sha256 is compared with the expected content.',
  ];
  for (const scenario of SCENARIOS) {
    const measured = await measureScenario(ctx, scenario, sizeBytes);
    rows.push(...measured.rows);
    targets.push(...measured.targets);
    notes.push(...measured.notes);
  }
  return { rows, targets, notes };
}

async function measureScenario(ctx, scenario, sizeBytes) {
  const label = `merge ${scenario.label} (${sizeBytes / MIB} MiB disk)`;
  const notes = [];
  let masters;
  try {
    masters = await mergeMasters(ctx, scenario.key, sizeBytes, scenario.fill);
  } catch (error) {
    const reason = describeError(error);
    return {
      rows: [unavailableRow(label, 'ours (merge)', reason, 'MiB/s')],
      targets: [{ name: `merge, ${scenario.label}: targets`, target: '—', met: undefined, measured: `not measured (${reason})` }],
      notes,
    };
  }
  const { merge } = ours('diff', ['merge']);
  const tools = {
    ours: async ({ parentPath, childPath }) => {
      const result = await merge(childPath);
      if (result.parentPath !== parentPath) throw new Error(`merge wrote into ${result.parentPath}, not the fresh copy ${parentPath}`);
    },
  };
  if (ctx.vhdLib.available) {
    tools['vhd-lib'] = ({ parentPath, childPath }) => mergeDurablyWithVhdLib(ctx, parentPath, childPath);
  }

  // Untimed correctness pass, which also warms the page cache.
  const verifyErrors = new Map();
  for (const [name, mergeWith] of Object.entries(tools)) {
    const copies = await freshCopies(ctx, masters, name);
    try {
      await mergeWith(copies);
      const merged = await contentSha256ByQemu(ctx, copies.parentPath);
      notes.push(`${scenario.label}, ${name}: merged parent content ${merged === masters.contentSha256 ? 'verified' : 'WRONG (sha256 differs)'} (read by qemu-img).`);
    } catch (error) {
      verifyErrors.set(name, describeError(error));
    } finally {
      await rm(copies.folder, { recursive: true, force: true });
    }
  }

  const contestants = Object.entries(tools)
    .filter(([name]) => !verifyErrors.has(name))
    .map(([name, mergeWith]) => ({
      key: name,
      setup: () => freshCopies(ctx, masters, name),
      run: (copies) => mergeWith(copies),
      teardown: (copies) => (copies ? rm(copies.folder, { recursive: true, force: true }) : Promise.resolve()),
    }));
  const outcomes = await measureInterleaved(contestants, { runs: ctx.runs(3, 3), warmup: 0 });
  const row = (key, tool) => {
    if (verifyErrors.has(key)) return unavailableRow(label, tool, verifyErrors.get(key), 'MiB/s');
    if (!outcomes.has(key)) return unavailableRow(label, tool, ctx.vhdLib.reason ?? 'not run', 'MiB/s');
    return throughputRow(label, tool, outcomes.get(key), masters.dataBytes);
  };
  const oursRow = row('ours', 'ours (merge)');
  const vhdLibRow = row('vhd-lib', `${ctx.vhdLibLabel} mergeVhd`);
  notes.push(`${scenario.label}: the child holds ${(masters.dataBytes / MIB).toFixed(1)} MiB.`);
  return {
    rows: [oursRow, vhdLibRow],
    targets: [
      // Issue 14: against vhd-lib with the same durability (merge + fsync of the parent + child deletion).
      ratioTarget(`merge, ${scenario.label}: ours vs vhd-lib + fsync (throughput ratio)`, oursRow, vhdLibRow, '>=', scenario.key === 'full' ? 1.0 : 2.0),
      // Issue 14's 800 MiB/s is about moving a child's data; a child holding ~70 MiB is dominated by fixed costs.
      ...(scenario.key === 'full' ? [absoluteTarget(`merge, ${scenario.label}: ours throughput from page cache`, oursRow, '>=', 800, 'MiB/s')] : []),
    ],
    notes,
  };
}
