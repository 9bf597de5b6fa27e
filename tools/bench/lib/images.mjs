// Work images for the cases, made once per bench run under tools/bench/.work. Parents come from QEMU (the
// reference writer); children and their writes come from this toolkit, as a user would make them.
import { createHash, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { execFileSync } from 'node:child_process';

export const KIB = 1024;
export const MIB = 1024 * KIB;
export const GIB = 1024 * MIB;
const CHUNK_BYTES = 4 * MIB;

function qemuImg(args) {
  execFileSync('qemu-img', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A raw file of incompressible data that differs in every 4 KiB; returns its sha256. */
export async function writeRandomRaw(path, sizeBytes) {
  const chunk = randomBytes(CHUNK_BYTES);
  const hash = createHash('sha256');
  const handle = await open(path, 'w');
  try {
    for (let offset = 0; offset < sizeBytes; offset += CHUNK_BYTES) {
      // Stamp the position into every 4 KiB so no two blocks are equal (no accidental dedup anywhere).
      for (let stamp = 0; stamp < CHUNK_BYTES; stamp += 4 * KIB) chunk.writeDoubleBE(offset + stamp, stamp);
      const length = Math.min(CHUNK_BYTES, sizeBytes - offset);
      const slice = chunk.subarray(0, length);
      hash.update(slice);
      await handle.write(slice, 0, length, offset);
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** A sparse raw file with `dataBytes` of data at the start of every `strideBytes`. */
export async function writeSparseRaw(path, sizeBytes, { strideBytes, dataBytes }) {
  const data = randomBytes(dataBytes);
  const handle = await open(path, 'w');
  try {
    await handle.truncate(sizeBytes);
    for (let offset = 0; offset + dataBytes <= sizeBytes; offset += strideBytes) {
      data.writeDoubleBE(offset, 0);
      await handle.write(data, 0, dataBytes, offset);
    }
  } finally {
    await handle.close();
  }
}

/** qemu-img convert of a raw file to a dynamic VHD of exactly the raw size (force_size keeps QEMU from rounding to CHS). */
export function qemuRawToDynamic(rawPath, vhdPath) {
  qemuImg(['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=dynamic,force_size=on', rawPath, vhdPath]);
}

export function qemuCreate(path, subformat, sizeBytes) {
  qemuImg(['create', '-q', '-f', 'vpc', '-o', `subformat=${subformat},force_size=on`, path, String(sizeBytes)]);
}

/**
 * Deterministic scattered writes: sector-aligned runs of 4–133 KiB spread over the disk, some crossing a
 * 2 MiB block boundary on purpose.
 */
export function scatteredWrites(virtualSize, count, seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state;
  };
  const writes = [];
  for (let index = 0; index < count; index++) {
    const length = (8 + 2 * (next() % 129)) * 512; // an even sector count, so half of it stays aligned
    let offset = (next() % Math.floor((virtualSize - length) / 512)) * 512;
    if (index % 4 === 0) offset = Math.max(0, Math.floor(offset / (2 * MIB)) * 2 * MIB - length / 2);
    const data = randomBytes(length);
    writes.push({ offset, data });
  }
  return writes;
}

/** Applies writes to a raw copy (the expected content of the chain). */
export async function applyWritesToRaw(rawPath, writes) {
  const handle = await open(rawPath, 'r+');
  try {
    for (const { offset, data } of writes) await handle.write(data, 0, data.length, offset);
  } finally {
    await handle.close();
  }
}

export async function sha256File(path) {
  const hash = createHash('sha256');
  const handle = await open(path, 'r');
  try {
    for await (const chunk of handle.createReadStream({ highWaterMark: MIB })) hash.update(chunk);
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** A sink that accepts and drops everything: the in-process /dev/null. Counts bytes so a short read shows. */
export function createSink() {
  const sink = new Writable({
    highWaterMark: MIB,
    write(chunk, _encoding, callback) {
      sink.bytes += chunk.length;
      callback();
    },
    writev(chunks, callback) {
      for (const { chunk } of chunks) sink.bytes += chunk.length;
      callback();
    },
  });
  sink.bytes = 0;
  return sink;
}

/** A sink that hashes what it receives (used once per case to check the bytes, never while timing). */
export function createHashingSink() {
  const hash = createHash('sha256');
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      hash.update(chunk);
      sink.bytes += chunk.length;
      callback();
    },
  });
  sink.bytes = 0;
  sink.digest = () => hash.digest('hex');
  return sink;
}
