#!/usr/bin/env node
// node tools/bench/format-bench.mjs [--runs=N]
// Micro-benchmarks of @vhdkit/vhd-format (build it first: cd packages/vhd-format && npm run build):
//   1. decodeBat / encodeBat of a 2040 GiB disk's table (1,044,480 entries)   target < 10 ms each
//   2. parseVhdStream over a 1 GiB dynamic image held in memory, every block allocated   target ≥ 1 GiB/s
// Prints the median of several runs (after warm-up). Not a timed test: figures depend on the machine.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  createDynamicHeader,
  createFooter,
  DiskType,
  encodeBat,
  encodeDynamicHeader,
  encodeFooter,
  decodeBat,
  MAX_VIRTUAL_SIZE,
  DEFAULT_BLOCK_SIZE,
  parseVhdStream,
  planDynamicLayout,
  blockOffsetForNewBlock,
  UNUSED_BAT_ENTRY,
  batByteSize,
} from '@vhdkit/vhd-format';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
// BAT runs are cheap: take many, so the median resists a busy machine.
const runs = Math.max(3, Number(values.runs));

function median(samples) {
  const ordered = Float64Array.from(samples).toSorted();
  return ordered[Math.floor(ordered.length / 2)];
}

/** Median milliseconds of `fn` over `count` runs, after `warmup` untimed runs. */
async function timeMedian(fn, count, warmup = 3) {
  for (let index = 0; index < warmup; index++) await fn();
  const samples = [];
  for (let index = 0; index < count; index++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return { medianMs: median(samples), minMs: Math.min(...samples), maxMs: Math.max(...samples) };
}

function verdict(ok) {
  return ok ? 'meets target' : 'MISSES target';
}

// 1. The BAT of the largest disk Windows accepts, two thirds of the blocks allocated.
const entries = Math.ceil(MAX_VIRTUAL_SIZE / DEFAULT_BLOCK_SIZE);
const table = new Uint32Array(entries).fill(UNUSED_BAT_ENTRY);
for (let index = 0; index < entries; index++) if (index % 3 !== 2) table[index] = 8200 + index * 4097;
const batBytes = encodeBat(table);
const decodeTiming = await timeMedian(() => void decodeBat(batBytes, entries), runs * 4);
const encodeTiming = await timeMedian(() => void encodeBat(table), runs * 4);

// 2. A 1 GiB dynamic image, all 512 blocks allocated, in the plain layout (BAT at 1536, data 4 KiB aligned).
const virtualSize = 1 * GIB;
const layout = planDynamicLayout({ virtualSize, blockSize: DEFAULT_BLOCK_SIZE });
const blockStride = DEFAULT_BLOCK_SIZE + layout.bitmapByteSize;
const imageBat = new Uint32Array(layout.maxTableEntries);
let cursor = layout.firstBlockOffset;
for (let index = 0; index < imageBat.length; index++) {
  imageBat[index] = cursor / 512;
  cursor = blockOffsetForNewBlock(cursor + blockStride, layout.bitmapByteSize);
}
const image = new Uint8Array(cursor + 512);
const footer = encodeFooter(createFooter({ diskType: DiskType.Dynamic, currentSize: virtualSize, uniqueId: new Uint8Array(16).fill(7), timestamp: 820_540_800 }));
image.set(footer, 0);
image.set(encodeDynamicHeader(createDynamicHeader({ tableOffset: layout.tableOffset, maxTableEntries: layout.maxTableEntries, blockSize: DEFAULT_BLOCK_SIZE })), 512);
image.set(encodeBat(imageBat, batByteSize(imageBat.length)), layout.tableOffset);
for (const sector of imageBat) {
  image.fill(0xff, sector * 512, sector * 512 + layout.bitmapByteSize);
  image[sector * 512 + layout.bitmapByteSize] = sector & 0xff;
}
image.set(footer, cursor);

function* chunks(bytes, size) {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

async function parseAll(chunkSize, reuseBuffers) {
  let blocks = 0;
  let checksum = 0;
  for await (const event of parseVhdStream(chunks(image, chunkSize), { reuseBuffers })) {
    if (event.kind !== 'block') continue;
    blocks++;
    checksum += event.data[0];
  }
  if (blocks !== imageBat.length) throw new Error(`parsed ${blocks} blocks, expected ${imageBat.length}`);
  return checksum;
}

const streamRuns = Math.max(3, Math.round(runs / 3));
const streamResults = [];
for (const chunkSize of [1 * MIB, 64 * 1024, 4 * MIB + 1]) {
  for (const reuseBuffers of [false, true]) {
    const timing = await timeMedian(() => parseAll(chunkSize, reuseBuffers), streamRuns, 1);
    streamResults.push({ chunkSize, reuseBuffers, ...timing, gibPerSecond: image.length / GIB / (timing.medianMs / 1000) });
  }
}

console.log(`vhd-format benchmark (node ${process.version}, median of ${runs * 4} BAT runs / ${streamRuns} stream runs)`);
console.log(`decodeBat  ${entries.toLocaleString('en')} entries: ${decodeTiming.medianMs.toFixed(2)} ms (min ${decodeTiming.minMs.toFixed(2)}, max ${decodeTiming.maxMs.toFixed(2)})  target < 10 ms: ${verdict(decodeTiming.medianMs < 10)}`);
console.log(`encodeBat  ${entries.toLocaleString('en')} entries: ${encodeTiming.medianMs.toFixed(2)} ms (min ${encodeTiming.minMs.toFixed(2)}, max ${encodeTiming.maxMs.toFixed(2)})  target < 10 ms: ${verdict(encodeTiming.medianMs < 10)}`);
for (const result of streamResults) {
  console.log(
    `parseVhdStream 1 GiB image (${(image.length / MIB).toFixed(1)} MiB file), ${result.chunkSize.toLocaleString('en')}-byte chunks, ${result.reuseBuffers ? 'reuseBuffers   ' : 'fresh buffers  '}: ${result.medianMs.toFixed(0)} ms (min ${result.minMs.toFixed(0)}) = ${result.gibPerSecond.toFixed(2)} GiB/s  target ≥ 1 GiB/s: ${verdict(result.gibPerSecond >= 1)}`,
  );
}
