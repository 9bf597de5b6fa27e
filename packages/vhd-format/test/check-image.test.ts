/** The one checker: bounded on hostile images, consistent with the reader on built ones. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedFixtures } from '@vhdkit/test-support';
import {
  DiskType,
  FOOTER_SIZE,
  MAX_ISSUE_EXAMPLES,
  MAX_LOCATOR_DATA_BYTES,
  MAX_VIRTUAL_SIZE,
  SECTOR_SIZE,
  bytesSource,
  checkImage,
  createDynamicHeader,
  createFooter,
  encodeDynamicHeader,
  encodeFooter,
  readImage,
} from '../src/index.js';
import type { RandomAccessSource } from '../src/index.js';
import { buildDynamicImage, patternBlock } from './support/image-builder.js';

const MiB = 1024 * 1024;
const shared = sharedFixtures();
const hostileDir = join(shared.dir, 'hostile');

/** A source that counts what is read: the proxy for memory a check may use. */
function counting(bytes: Uint8Array, name: string): { source: RandomAccessSource; stats: { bytesRead: number; largestRead: number } } {
  const inner = bytesSource(bytes, { name });
  const stats = { bytesRead: 0, largestRead: 0 };
  return {
    stats,
    source: {
      size: inner.size,
      name,
      read: (offset, length, options) => {
        stats.bytesRead += length;
        stats.largestRead = Math.max(stats.largestRead, length);
        return inner.read(offset, length, options);
      },
    },
  };
}

function image() {
  return buildDynamicImage({ virtualSize: 8 * MiB, blockSize: 2 * MiB, blocks: [patternBlock(0, 2 * MiB), patternBlock(2, 2 * MiB)] });
}

describe('checkImage on built images', () => {
  it('a well-formed image: no issues, ok', async () => {
    const report = await checkImage(bytesSource(image().bytes));
    expect(report).toMatchObject({ ok: true, diskType: 'dynamic', issues: [], omittedIssues: 0 });
  });

  it('a damaged trailing footer with an intact copy: FOOTER_DAMAGED, and the good copy is the footer to restore', async () => {
    const bytes = image().bytes.slice();
    bytes[bytes.length - FOOTER_SIZE + 70] ^= 0x55; // inside the unique id: only the checksum notices
    const report = await checkImage(bytesSource(bytes));
    expect(report.issues.map((issue) => issue.code)).toEqual(['FOOTER_DAMAGED']);
    expect(report.footerBytes).toEqual(bytes.subarray(0, FOOTER_SIZE));
    expect(report.trailingOffset).toBeUndefined();
    // The reader makes the same choice.
    expect((await readImage(bytesSource(bytes))).footerLocation).toBe('copy');
  });

  it('an unknown format version in the trailing footer is reported, and the trailing footer stays the one checked', async () => {
    const built = image();
    const bytes = built.bytes.slice();
    bytes.set(encodeFooter({ ...built.footer, formatVersion: 0x0002_0000 }), bytes.length - FOOTER_SIZE);
    const report = await checkImage(bytesSource(bytes));
    expect(report.trailingOffset).toBe(bytes.length - FOOTER_SIZE);
    expect(report.issues.map((issue) => issue.code)).toContain('FOOTER_UNSUPPORTED_VERSION');
    expect(report.issues.map((issue) => issue.code)).not.toContain('FOOTER_DAMAGED');
    expect((await readImage(bytesSource(bytes))).footerLocation).toBe('trailing');
  });

  it('blocks placed outside the data area or over the BAT are reported as the reader refuses them', async () => {
    const built = image();
    const bytes = built.bytes.slice();
    const table = new DataView(bytes.buffer, built.header.tableOffset);
    table.setUint32(1 * 4, (bytes.length + MiB) / SECTOR_SIZE);
    table.setUint32(3 * 4, built.header.tableOffset / SECTOR_SIZE);
    const report = await checkImage(bytesSource(bytes));
    expect(report.ok).toBe(false);
    expect(report.issues.find((issue) => issue.code === 'BLOCK_OUT_OF_FILE')).toMatchObject({ blockIndex: 1 });
    expect(report.issues.find((issue) => issue.code === 'BLOCK_OVERLAPS_METADATA')).toMatchObject({ blockIndex: 3 });
  });

  it('what the reader refuses at open is an error of the report, not a crash: a short BAT, a disk above 2040 GiB', async () => {
    const built = image();
    const shortTable = built.bytes.slice();
    const header = { ...built.header, maxTableEntries: 2 };
    shortTable.set(encodeDynamicHeader(header), Number(built.footer.dataOffset));
    await expect(readImage(bytesSource(shortTable))).rejects.toMatchObject({ code: 'TABLE_OUT_OF_RANGE' });
    const shortReport = await checkImage(bytesSource(shortTable));
    expect(shortReport.ok).toBe(false);
    expect(shortReport.issues.filter((issue) => issue.severity === 'error').map((issue) => issue.code)).toEqual(['BAT_TOO_SMALL']);

    const tooLarge = built.bytes.slice();
    const footer = encodeFooter({ ...built.footer, currentSize: MAX_VIRTUAL_SIZE + SECTOR_SIZE });
    tooLarge.set(footer, 0);
    tooLarge.set(footer, tooLarge.length - FOOTER_SIZE);
    await expect(readImage(bytesSource(tooLarge))).rejects.toMatchObject({ code: 'BAD_SIZE', field: 'currentSize' });
    const largeReport = await checkImage(bytesSource(tooLarge));
    expect(largeReport.ok).toBe(false);
    expect(largeReport.issues.filter((issue) => issue.severity === 'error').map((issue) => issue.code)).toEqual(['DISK_TOO_LARGE', 'BAT_TOO_SMALL']);
  });
});

describe.skipIf(!shared.available)('checkImage on the hostile images: bounded reads, a typed report', () => {
  const files = shared.available ? readdirSync(hostileDir).filter((file) => file.endsWith('.vhd')) : [];

  it.each(files)('%s', async (file) => {
    const bytes = new Uint8Array(readFileSync(join(hostileDir, file)));
    const { source, stats } = counting(bytes, file);
    const report = await checkImage(source);
    expect(report.issues.length).toBeLessThanOrEqual(Object.keys(report.counts).length * MAX_ISSUE_EXAMPLES);
    // Never more than the image's bytes plus its footer twice and the header: nothing is read from a claimed size.
    expect(stats.bytesRead).toBeLessThanOrEqual(bytes.length * 2 + 4096);
    expect(stats.largestRead).toBeLessThanOrEqual(Math.max(MAX_LOCATOR_DATA_BYTES, 256 * 1024));
  });

  it('check-locator-*: the hostile locators are reported once and never read', async () => {
    for (const file of ['check-locator-abort.vhd', 'check-locator-4g.vhd', 'check-locator-1g.vhd']) {
      const bytes = new Uint8Array(readFileSync(join(hostileDir, file)));
      const { source, stats } = counting(bytes, file);
      const report = await checkImage(source);
      expect(report.ok, file).toBe(false);
      expect(report.counts.LOCATOR_OUT_OF_FILE, file).toBeGreaterThan(0);
      expect(stats.bytesRead, file).toBeLessThan(64 * 1024);
    }
  });

  it('block-size-*: BAD_BLOCK_SIZE, and nothing after it is sized from the bad value', async () => {
    for (const file of ['block-size-0-dynamic.vhd', 'block-size-1000.vhd', 'block-size-4g.vhd']) {
      const report = await checkImage(bytesSource(new Uint8Array(readFileSync(join(hostileDir, file)))));
      expect(report.issues.map((issue) => issue.code), file).toContain('BAD_BLOCK_SIZE');
    }
  });

  it('repair-bad-trailing-footer-*: FOOTER_DAMAGED with the intact copy as the footer to restore', async () => {
    for (const file of ['repair-bad-trailing-footer-a.vhd', 'repair-bad-trailing-footer-b.vhd']) {
      const bytes = new Uint8Array(readFileSync(join(hostileDir, file)));
      const report = await checkImage(bytesSource(bytes));
      expect(report.issues.map((issue) => issue.code), file).toContain('FOOTER_DAMAGED');
      expect(report.footerBytes, file).toEqual(bytes.subarray(0, FOOTER_SIZE));
    }
  });
});

/**
 * make-big-bat.py's images, built here (the script takes 4–16 s of Python on a busy machine): a dynamic image with
 * 512-byte blocks and 4 Mi BAT entries in 16 MB. `random`: entries anywhere (seeded); `same`: every entry one block.
 */
function bigBat(mode: 'random' | 'same'): Uint8Array {
  const entries = 4 * 1024 * 1024;
  const blockSize = 512;
  const tableOffset = 1536;
  const firstBlock = Math.ceil((tableOffset + entries * 4) / SECTOR_SIZE);
  const footerAt = mode === 'random' ? tableOffset + entries * 4 : (firstBlock + 2) * SECTOR_SIZE;
  const bytes = new Uint8Array(footerAt + FOOTER_SIZE);
  const footer = encodeFooter(createFooter({ diskType: DiskType.Dynamic, currentSize: entries * blockSize, uniqueId: new Uint8Array(16).fill(3), timestamp: 0 }));
  bytes.set(footer, 0);
  bytes.set(footer, footerAt);
  bytes.set(encodeDynamicHeader(createDynamicHeader({ tableOffset, maxTableEntries: entries, blockSize })), 512);
  const table = new DataView(bytes.buffer, tableOffset, entries * 4);
  let seed = 1;
  for (let index = 0; index < entries; index++) {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    table.setUint32(index * 4, mode === 'random' ? seed % 0xfffffffe : firstBlock);
  }
  if (mode === 'same') bytes.fill(0xff, firstBlock * SECTOR_SIZE, firstBlock * SECTOR_SIZE + SECTOR_SIZE);
  return bytes;
}

describe('checkImage on a 4 Mi-entry BAT in 16 MB (make-big-bat.py\'s random and same images)', () => {
  it.each(['random', 'same'] as const)('%s: every entry counted, 100 examples per code, a report of bounded size', async (mode) => {
    const bytes = bigBat(mode);
    expect(bytes.length).toBeLessThan(17 * MiB);
    const { source, stats } = counting(bytes, `${mode}.vhd`);
    const report = await checkImage(source);
    expect(report.ok).toBe(false);
    const counted = Object.values(report.counts).reduce((sum, count) => sum + count, 0);
    expect(counted).toBeGreaterThan(4_000_000);
    expect(report.omittedIssues).toBe(counted - report.issues.length);
    for (const code of Object.keys(report.counts)) expect(report.issues.filter((issue) => issue.code === code).length).toBeLessThanOrEqual(MAX_ISSUE_EXAMPLES);
    expect(JSON.stringify(report.issues).length).toBeLessThan(200_000);
    // The table is read twice in 256 KiB chunks; nothing else of size.
    expect(stats.largestRead).toBeLessThanOrEqual(256 * 1024);
    expect(stats.bytesRead).toBeLessThan(3 * bytes.length);
    if (mode === 'same') expect(report.counts.BLOCKS_OVERLAP).toBe(4 * 1024 * 1024 - 1);
    if (mode === 'random') expect(report.counts.BLOCK_OUT_OF_FILE).toBeGreaterThan(4_000_000);
  }, 30_000);
});
