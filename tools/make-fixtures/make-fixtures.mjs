#!/usr/bin/env node
// Generates the repository's own small VHD images into fixtures/ with qemu-img and qemu-io, and records
// their facts in fixtures/expected.json (shape: RepoFixtureFacts in tools/test-support/src/repo-fixtures.ts).
//
//   node tools/make-fixtures/make-fixtures.mjs           regenerate every image and expected.json
//   node tools/make-fixtures/make-fixtures.mjs --check   verify the committed images against expected.json
//
// QEMU stamps each image with the current time and a random unique id, so regenerating changes the files:
// the images are committed together with the facts measured on them, and --check proves they still agree.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const MIB = 1024 * 1024;
const FOOTER_SIZE = 512;
const fixturesDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures');
const expectedPath = join(fixturesDir, 'expected.json');
/** Where an image is committed: `fixtures/<file>.gz` (tests unpack it through @vhdkit/test-support). */
const packedPath = (file) => join(fixturesDir, `${file}.gz`);

/**
 * The images. `forceSize: false` lets QEMU round the size up to a whole CHS geometry (creator 'qemu');
 * `forceSize: true` keeps the exact odd size (creator 'qem2'). QEMU's dynamic block size is always 2 MiB,
 * so every allocated block costs 2 MiB of file: patterns stay in few blocks to keep the folder small.
 */
const FIXTURE_PLANS = [
  {
    file: 'dynamic-3m-chs.vhd',
    subformat: 'dynamic',
    sizeBytes: 3 * MIB,
    forceSize: false,
    pattern: [
      { offset: 4096, length: 65536, byte: 0xab },
      // Unaligned on both ends and crossing the boundary between block 0 and block 1.
      { offset: 2 * MIB - 1000, length: 3000, byte: 0x5c },
    ],
  },
  {
    file: 'dynamic-5m-plus-512.vhd',
    subformat: 'dynamic',
    sizeBytes: 5 * MIB + 512,
    forceSize: true,
    // Only the last, partial block (1 MiB + 512 of virtual space) is allocated; blocks 0 and 1 read as zeros.
    pattern: [
      { offset: 4 * MIB + 1234, length: 5000, byte: 0x3e },
      { offset: 5 * MIB, length: 512, byte: 0xe1 },
    ],
  },
  {
    file: 'dynamic-7m-plus-1536-empty.vhd',
    subformat: 'dynamic',
    sizeBytes: 7 * MIB + 1536,
    forceSize: true,
    pattern: [],
  },
  {
    file: 'fixed-1m-plus-3584.vhd',
    subformat: 'fixed',
    sizeBytes: MIB + 3584,
    forceSize: true,
    pattern: [
      { offset: 4096, length: 65536, byte: 0xab },
      { offset: 512 * 1024 - 333, length: 1000, byte: 0xc3 },
      { offset: MIB + 3584 - 100, length: 100, byte: 0x7f },
    ],
  },
  {
    file: 'fixed-300k-chs.vhd',
    subformat: 'fixed',
    sizeBytes: 300 * 1024,
    forceSize: false,
    pattern: [
      { offset: 0, length: 512, byte: 0x11 },
      { offset: 1000, length: 10, byte: 0x22 },
    ],
  },
];

function tool(command, args) {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function qemuImgVersion() {
  const firstLine = tool('qemu-img', ['--version']).split('\n')[0].trim(); // "qemu-img version 7.2.22 (Debian …)"
  return firstLine.replace(/^qemu-img version\s+/, 'qemu-img ');
}

async function sha256OfFile(path) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: MIB })) hash.update(chunk);
  return hash.digest('hex');
}

/** sha256 of what the disk should contain: zeros with the patterns laid over them, in order. */
function modelContentSha256(virtualSize, pattern) {
  const content = new Uint8Array(virtualSize);
  for (const { offset, length, byte } of pattern) content.fill(byte, offset, offset + length);
  return createHash('sha256').update(content).digest('hex');
}

/** sha256 of the virtual disk as QEMU reads it (qemu-img convert -O raw). */
async function qemuContentSha256(imagePath, scratchDir) {
  const rawPath = join(scratchDir, 'content.raw');
  tool('qemu-img', ['convert', '-f', 'vpc', '-O', 'raw', imagePath, rawPath]);
  try {
    return await sha256OfFile(rawPath);
  } finally {
    await rm(rawPath, { force: true });
  }
}

/** The few footer/header fields the facts need, read directly so the generator depends on no package of ours. */
async function readLayoutFields(imagePath) {
  const handle = await open(imagePath, 'r');
  try {
    const { size: fileSize } = await handle.stat();
    const footer = Buffer.alloc(FOOTER_SIZE);
    await handle.read(footer, 0, FOOTER_SIZE, fileSize - FOOTER_SIZE);
    const currentSize = Number(footer.readBigUInt64BE(48));
    const diskTypeCode = footer.readUInt32BE(60);
    let blockSize;
    if (diskTypeCode === 3 || diskTypeCode === 4) {
      const header = Buffer.alloc(1024);
      await handle.read(header, 0, header.length, Number(footer.readBigUInt64BE(16)));
      blockSize = header.readUInt32BE(32);
    }
    return { cookie: footer.toString('latin1', 0, 8), currentSize, diskTypeCode, blockSize, fileSize };
  } finally {
    await handle.close();
  }
}

const DISK_TYPE_NAMES = { 2: 'fixed', 3: 'dynamic', 4: 'differencing' };

async function makeImage(plan, workDir, madeBy) {
  const imagePath = join(workDir, plan.file);
  const options = [`subformat=${plan.subformat}`];
  if (plan.forceSize) options.push('force_size=on');
  tool('qemu-img', ['create', '-q', '-f', 'vpc', '-o', options.join(','), imagePath, String(plan.sizeBytes)]);
  if (plan.pattern.length > 0) {
    const commands = plan.pattern.flatMap(({ offset, length, byte }) => [
      '-c',
      `write -q -P 0x${byte.toString(16)} ${offset} ${length}`,
    ]);
    tool('qemu-io', ['-f', 'vpc', ...commands, imagePath]);
  }

  const info = JSON.parse(tool('qemu-img', ['info', '-f', 'vpc', '--output=json', imagePath]));
  const layout = await readLayoutFields(imagePath);
  const diskType = DISK_TYPE_NAMES[layout.diskTypeCode];
  if (layout.cookie !== 'conectix' || diskType !== plan.subformat) {
    throw new Error(`${plan.file}: QEMU wrote a ${diskType ?? layout.diskTypeCode} image, expected ${plan.subformat}`);
  }
  if (info['virtual-size'] !== layout.currentSize) {
    throw new Error(`${plan.file}: qemu-img reports ${info['virtual-size']} bytes but the footer says ${layout.currentSize}`);
  }
  if (plan.forceSize && layout.currentSize !== plan.sizeBytes) {
    throw new Error(`${plan.file}: force_size gave ${layout.currentSize} bytes instead of ${plan.sizeBytes}`);
  }
  for (const { offset, length } of plan.pattern) {
    if (offset + length > layout.currentSize) throw new Error(`${plan.file}: pattern at ${offset} runs past the disk`);
  }

  const contentSha256 = await qemuContentSha256(imagePath, workDir);
  const expectedContent = modelContentSha256(layout.currentSize, plan.pattern);
  if (contentSha256 !== expectedContent) {
    throw new Error(`${plan.file}: qemu-img reads content ${contentSha256}, the pattern model says ${expectedContent}`);
  }

  /** @type {import('../test-support/src/repo-fixtures.ts').RepoFixtureFacts} */
  const facts = {
    file: plan.file,
    madeBy,
    diskType,
    fileSize: layout.fileSize,
    sha256: await sha256OfFile(imagePath),
    virtualSize: layout.currentSize,
    ...(layout.blockSize === undefined ? {} : { blockSize: layout.blockSize }),
    contentSha256,
    pattern: plan.pattern,
  };
  return { imagePath, facts };
}

async function readExpected() {
  if (!existsSync(expectedPath)) return [];
  return JSON.parse(await readFile(expectedPath, 'utf8'));
}

async function generate() {
  const madeBy = qemuImgVersion();
  const workDir = await mkdtemp(join(tmpdir(), 'vhdkit-fixtures-'));
  try {
    const made = [];
    for (const plan of FIXTURE_PLANS) made.push(await makeImage(plan, workDir, madeBy));

    // Every image is made and checked before fixtures/ is touched, so a failure leaves the old set intact.
    const previous = await readExpected();
    const keptNames = new Set(made.map(({ facts }) => facts.file));
    for (const old of previous) {
      if (!keptNames.has(old.file)) await rm(packedPath(old.file), { force: true });
    }
    // Committed gzip-packed: QEMU's blocks are 2 MiB of mostly zeros. zlib writes no name or time in the gzip
    // header, so packing the same image twice gives the same bytes.
    for (const { imagePath, facts } of made) await writeFile(packedPath(facts.file), gzipSync(await readFile(imagePath), { level: 9 }));
    const allFacts = made.map(({ facts }) => facts);
    await writeFile(expectedPath, `${JSON.stringify(allFacts, null, 2)}\n`);

    const totalBytes = allFacts.reduce((sum, facts) => sum + facts.fileSize, 0);
    const packedBytes = (await Promise.all(allFacts.map(async (facts) => (await readFile(packedPath(facts.file))).length))).reduce((a, b) => a + b, 0);
    for (const facts of allFacts) {
      console.log(`${facts.file.padEnd(34)} ${facts.diskType.padEnd(8)} virtual ${String(facts.virtualSize).padStart(9)}  file ${String(facts.fileSize).padStart(9)}`);
    }
    console.log(`wrote ${allFacts.length} images (${totalBytes} bytes, ${packedBytes} packed) and fixtures/expected.json, made by ${madeBy}`);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Verifies the committed images: file bytes, and the content QEMU reads, against the recorded facts. */
async function check() {
  const expected = await readExpected();
  if (expected.length === 0) throw new Error('fixtures/expected.json is missing or empty: run npm run fixtures');
  const workDir = await mkdtemp(join(tmpdir(), 'vhdkit-fixtures-'));
  const failures = [];
  try {
    for (const facts of expected) {
      const imagePath = join(workDir, facts.file);
      await writeFile(imagePath, gunzipSync(await readFile(packedPath(facts.file))));
      const size = (await readFile(imagePath)).length;
      if (size !== facts.fileSize) failures.push(`${facts.file}: size ${size}, expected ${facts.fileSize}`);
      const sha256 = await sha256OfFile(imagePath);
      if (sha256 !== facts.sha256) failures.push(`${facts.file}: sha256 ${sha256}, expected ${facts.sha256}`);
      const contentSha256 = await qemuContentSha256(imagePath, workDir);
      if (contentSha256 !== facts.contentSha256) failures.push(`${facts.file}: content sha256 differs`);
      if (modelContentSha256(facts.virtualSize, facts.pattern) !== facts.contentSha256) {
        failures.push(`${facts.file}: recorded pattern does not produce the recorded content`);
      }
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  if (failures.length > 0) throw new Error(`fixtures do not match expected.json:\n  ${failures.join('\n  ')}`);
  console.log(`${expected.length} fixtures match fixtures/expected.json`);
}

const mode = process.argv.includes('--check') ? check : generate;
mode().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
