#!/usr/bin/env node
// Where does the time go? Runs one bench job once, to be started under the V8 profiler:
//   node tools/bench/profile.mjs prepare <dir> [sizeMiB]        make the images (not profiled)
//   node --cpu-prof --cpu-prof-dir=<out> tools/bench/profile.mjs read|read-3-deep|merge|decode-bat <dir>
//   node tools/bench/profile.mjs summary <file.cpuprofile>      top functions by self time
import { copyFile, mkdir, readFile, readdir, stat, utimes } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { childOverFullParent, threeDeepChain } from './lib/chains.mjs';
import { ours } from './lib/ours.mjs';
import { createSink } from './lib/images.mjs';
import { readWithOurs } from './cases/read-chain.mjs';
import { nowMs } from './lib/timing.mjs';

const [command, target, sizeArgument] = process.argv.slice(2);
const MIB = 1024 * 1024;

function contextFor(dir) {
  const made = new Map();
  return {
    workDir: dir,
    shared(key, make) {
      if (!made.has(key)) made.set(key, make());
      return made.get(key);
    },
  };
}

async function prepare(dir, sizeBytes) {
  await mkdir(dir, { recursive: true });
  const context = contextFor(dir);
  const chain = await childOverFullParent(context, sizeBytes);
  await writeFileJson(join(dir, 'chain-3-deep.json'), await threeDeepChain(context, sizeBytes));
  // A merge pair: a child of a copy of the parent, every byte rewritten.
  const mergeDir = join(dir, 'merge');
  await mkdir(mergeDir, { recursive: true });
  const { createDifferencingDisk, openDisk } = ours('diff', ['createDifferencingDisk', 'openDisk']);
  await copyFile(chain.paths[1], join(mergeDir, 'parent.vhd'));
  await createDifferencingDisk(join(mergeDir, 'child.vhd'), join(mergeDir, 'parent.vhd'));
  const disk = await openDisk(join(mergeDir, 'child.vhd'), { writable: true });
  const chunk = Buffer.alloc(4 * MIB, 0x5a);
  for (let offset = 0; offset < sizeBytes; offset += chunk.length) await disk.write(chunk, offset);
  await disk.close();
  await writeFileJson(join(dir, 'chain.json'), chain);
  console.log(`prepared ${dir}`);
}

async function writeFileJson(path, value) {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path, JSON.stringify(value));
}

async function timed(label, job) {
  const started = nowMs();
  await job();
  console.log(`${label}: ${(nowMs() - started).toFixed(1)} ms`);
}

async function summary(file) {
  const profile = JSON.parse(await readFile(file, 'utf8'));
  const selfByFunction = new Map();
  const interval = (profile.endTime - profile.startTime) / profile.samples.length;
  const nodesById = new Map(profile.nodes.map((node) => [node.id, node]));
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  for (const [id, count] of counts) {
    const { callFrame } = nodesById.get(id);
    const where = callFrame.url ? `${callFrame.url.replace(/^.*\/(packages|node_modules|tools)\//, '$1/')}:${callFrame.lineNumber + 1}` : '';
    const key = `${callFrame.functionName || '(anonymous)'} ${where}`.trim();
    selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + count * interval);
  }
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  console.log(`${file}: ${totalMs.toFixed(0)} ms sampled`);
  for (const [key, micros] of [...selfByFunction].toSorted((a, b) => b[1] - a[1]).slice(0, 25)) {
    console.log(`${(micros / 1000).toFixed(1).padStart(9)} ms  ${((micros / 1000 / totalMs) * 100).toFixed(1).padStart(5)}%  ${key}`);
  }
}

if (command === 'prepare') {
  await prepare(resolve(target), Number(sizeArgument ?? 1024) * MIB);
} else if (command === 'read' || command === 'read-3-deep') {
  const chain = JSON.parse(await readFile(join(target, command === 'read' ? 'chain.json' : 'chain-3-deep.json'), 'utf8'));
  await timed(`${command} chain`, () => readWithOurs(chain.paths[0], createSink()));
} else if (command === 'merge') {
  const { merge } = ours('diff', ['merge']);
  const folder = join(target, 'merge');
  const work = join(target, 'merge-run');
  await mkdir(work, { recursive: true });
  for (const name of ['parent.vhd', 'child.vhd']) {
    await copyFile(join(folder, name), join(work, name));
    const { atime, mtime } = await stat(join(folder, name));
    await utimes(join(work, name), atime, mtime);
  }
  await timed('merge', () => merge(join(work, 'child.vhd')));
} else if (command === 'decode-bat') {
  const { decodeBat, encodeBat } = ours('format', ['decodeBat', 'encodeBat']);
  const entries = 1_044_480;
  const bytes = new Uint8Array(entries * 4).fill(0xff);
  let table;
  await timed('decodeBat x20', async () => {
    for (let round = 0; round < 20; round++) table = decodeBat(bytes, entries);
  });
  await timed('encodeBat x20', async () => {
    for (let round = 0; round < 20; round++) encodeBat(table);
  });
} else if (command === 'summary') {
  const files = target.endsWith('.cpuprofile') ? [target] : (await readdir(target)).filter((name) => name.endsWith('.cpuprofile')).map((name) => join(target, name));
  for (const file of files) await summary(file);
} else {
  console.error('usage: profile.mjs prepare <dir> [sizeMiB] | read|read-3-deep|merge|decode-bat <dir> | summary <file-or-dir>');
  process.exitCode = 2;
}
