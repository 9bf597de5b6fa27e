import { rm, stat } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { testFolder } from '@vhdkit/test-support';
import { VhdIoError, createDynamicDisk, createFixedDisk, readImageMetadata } from '../src/index.js';
import { listFolder, rawFooter, rawHeader, readBytes, readTail, vhdSeconds } from './create-support.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const MAX = 2_190_433_320_960; // 2040 GiB
const NOW = new Date('2026-01-01T00:00:00Z');
const ID = Uint8Array.from({ length: 16 }, (_, index) => index * 17);

/** Known answers of the specification's CHS algorithm (docs/format.md#geometry). */
const geometries: [string, number, [number, number, number]][] = [
  ['3 MiB', 3 * MiB, [90, 4, 17]],
  ['4 MiB', 4 * MiB, [120, 4, 17]],
  ['64 MiB', 64 * MiB, [963, 8, 17]],
  ['200 MiB', 200 * MiB, [825, 16, 31]],
  ['127 GiB', 127 * GiB, [65278, 16, 255]],
  ['2040 GiB', MAX, [65535, 16, 255]],
];

const folder = testFolder('vhd-diff-dynfix-');
const nextPath = () => folder.nextPath('d.vhd');

describe('createFixedDisk', () => {
  it.each(geometries)('%s: raw data area then a footer with the specification\'s geometry', async (_label, size, [cylinders, heads, sectorsPerTrack]) => {
    const path = nextPath();
    const created = await createFixedDisk(path, size, { now: NOW, uniqueId: ID });
    const stats = await stat(path);
    expect(stats.size).toBe(size + 512);
    // Sparse: only the footer's page is allocated, whatever the size.
    expect(stats.blocks * 512).toBeLessThanOrEqual(64 * 1024);
    expect(rawFooter(await readTail(path, 512))).toMatchObject({
      cookie: 'conectix',
      features: 2,
      formatVersion: 0x00010000,
      dataOffset: 0xffffffffffffffffn,
      timestamp: vhdSeconds(NOW),
      creatorApplication: 'vhdk',
      creatorVersion: 0x00010000,
      creatorHostOs: 'Wi2k',
      originalSize: size,
      currentSize: size,
      cylinders,
      heads,
      sectorsPerTrack,
      diskType: 2,
      uniqueId: ID,
      savedState: 0,
      reservedAllZero: true,
      checksumValid: true,
    });
    expect(created).toEqual({ path, diskType: 'fixed', virtualSize: size, fileSize: size + 512, uniqueId: ID, uniqueIdText: '00112233-4455-6677-8899-aabbccddeeff' });
  });

  it('reads as zeros in its data area', async () => {
    const path = nextPath();
    await createFixedDisk(path, 3 * MiB);
    const bytes = await readBytes(path);
    expect(bytes.subarray(0, 3 * MiB).every((byte) => byte === 0)).toBe(true);
  });

  it('2040 GiB is instant', async () => {
    const started = performance.now();
    await createFixedDisk(nextPath(), MAX);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('createDynamicDisk', () => {
  it('3 MiB: footer copy, header, 1-sector BAT of 0xFF at 1536, footer where block 0\'s bitmap will go', async () => {
    const path = nextPath();
    const created = await createDynamicDisk(path, 3 * MiB, { now: NOW, uniqueId: ID });
    const bytes = await readBytes(path);
    // BAT ends at 2048; block 0's data would start at 4096 with its bitmap at 3584, where the footer is now.
    expect(bytes.length).toBe(4096);
    expect(Buffer.from(bytes.subarray(0, 512)).equals(Buffer.from(bytes.subarray(3584)))).toBe(true);
    expect(rawFooter(bytes.subarray(3584))).toMatchObject({
      dataOffset: 512n,
      diskType: 3,
      currentSize: 3 * MiB,
      originalSize: 3 * MiB,
      cylinders: 90,
      heads: 4,
      sectorsPerTrack: 17,
      creatorApplication: 'vhdk',
      checksumValid: true,
      uniqueId: ID,
    });
    const header = rawHeader(bytes.subarray(512, 1536));
    expect(header).toMatchObject({
      cookie: 'cxsparse',
      dataOffset: 0xffffffffffffffffn,
      tableOffset: 1536,
      headerVersion: 0x00010000,
      maxTableEntries: 2,
      blockSize: 2 * MiB,
      parentTimestamp: 0,
      reserved1: 0,
      parentUnicodeName: '',
      reserved2AllZero: true,
      checksumValid: true,
    });
    expect(header.parentUniqueId.every((byte) => byte === 0)).toBe(true);
    expect(header.locators.every((entry) => entry.platformCode === '\0\0\0\0' && entry.dataOffset === 0 && entry.dataSpace === 0)).toBe(true);
    expect(bytes.subarray(1536, 2048).every((byte) => byte === 0xff)).toBe(true);
    expect(bytes.subarray(2048, 3584).every((byte) => byte === 0)).toBe(true);
    expect(created).toEqual({ path, diskType: 'dynamic', virtualSize: 3 * MiB, fileSize: 4096, blockSize: 2 * MiB, uniqueId: ID, uniqueIdText: '00112233-4455-6677-8899-aabbccddeeff' });
  });

  it('2040 GiB: 1,044,480 BAT entries (4,177,920 bytes, all 0xFF)', async () => {
    const path = nextPath();
    await createDynamicDisk(path, MAX);
    const bytes = await readBytes(path);
    const header = rawHeader(bytes.subarray(512, 1536));
    expect(header.maxTableEntries).toBe(1_044_480);
    expect(bytes.subarray(1536, 1536 + 4_177_920).every((byte) => byte === 0xff)).toBe(true);
    const footerOffset = Math.ceil((1536 + 4_177_920 + 512) / 4096) * 4096 - 512;
    expect(bytes.length).toBe(footerOffset + 512);
    expect(rawFooter(bytes.subarray(footerOffset))).toMatchObject({ currentSize: MAX, cylinders: 65535, heads: 16, sectorsPerTrack: 255, checksumValid: true });
    const metadata = await readImageMetadata(path, { strict: true });
    expect(metadata.bat?.length).toBe(1_044_480);
    expect(metadata.problems).toEqual([]);
  });

  it.each([512 * 1024, 1 * MiB, 4 * MiB, 4096])('block size %i', async (blockSize) => {
    const path = nextPath();
    const created = await createDynamicDisk(path, 10 * MiB + 512, { blockSize });
    const metadata = await readImageMetadata(path, { strict: true });
    expect(metadata.header?.blockSize).toBe(blockSize);
    expect(metadata.header?.maxTableEntries).toBe(Math.ceil((10 * MiB + 512) / blockSize));
    expect(metadata.bat?.every((entry) => entry === 0xffffffff)).toBe(true);
    expect(created.blockSize).toBe(blockSize);
  });

  it.each([0, 3000, 256, 2 ** 29, 1.5 * MiB, -2 * MiB])('refuses block size %s (not a power of two from 512 B to 256 MiB)', async (blockSize) => {
    const path = nextPath();
    const error = await createDynamicDisk(path, 10 * MiB, { blockSize }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(VhdIoError);
    expect((error as VhdIoError).code).toBe('UNSUPPORTED');
    expect(await listFolder(folder.path())).not.toContain(path.slice(folder.path().length + 1));
  });
});

describe('createDynamicDisk: limits', () => {
  it('refuses a block size that would need more BAT entries than readers accept (2040 GiB in 256 KiB blocks)', async () => {
    const error = await createDynamicDisk(nextPath(), MAX, { blockSize: 256 * 1024 }).catch((reason: unknown) => reason);
    expect((error as VhdIoError).code).toBe('UNSUPPORTED');
    expect((error as VhdIoError).message).toMatch(/BAT entries/);
    // 512 KiB blocks fit: 4,177,920 entries.
    const created = await createDynamicDisk(nextPath(), MAX, { blockSize: 512 * 1024 });
    expect((await readImageMetadata(created.path, { bat: false })).header?.maxTableEntries).toBe(4_177_920);
  });

  it('timestamps before 2000 are clamped to 0; an invalid date is refused', async () => {
    const created = await createDynamicDisk(nextPath(), MiB, { now: new Date('1999-12-31T23:59:59Z') });
    expect((await readImageMetadata(created.path)).footer.timestamp).toBe(0);
    const error = await createFixedDisk(nextPath(), MiB, { now: new Date(Number.NaN) }).catch((reason: unknown) => reason);
    expect((error as VhdIoError).code).toBe('UNSUPPORTED');
  });
});

describe('sizes (both kinds)', () => {
  it.each([
    [1, 512],
    [1000, 1024],
    [3 * MiB + 1, 3 * MiB + 512],
    [MAX - 511, MAX],
    [MAX, MAX],
  ])('size %i is rounded up to whole sectors: %i', async (requested, expected) => {
    const fixed = await createFixedDisk(nextPath(), requested);
    const dynamic = await createDynamicDisk(nextPath(), requested);
    expect(fixed.virtualSize).toBe(expected);
    expect(dynamic.virtualSize).toBe(expected);
    expect((await readImageMetadata(dynamic.path, { bat: false })).footer.currentSize).toBe(expected);
    expect((await readImageMetadata(fixed.path)).footer.currentSize).toBe(expected);
  });

  it.each([
    ['0', 0, 'SIZE_TOO_SMALL'],
    ['negative', -512, 'SIZE_TOO_SMALL'],
    ['fractional', 1024.5, 'UNSUPPORTED'],
    ['NaN', Number.NaN, 'UNSUPPORTED'],
    ['infinite', Number.POSITIVE_INFINITY, 'UNSUPPORTED'],
    ['one byte over 2040 GiB', MAX + 1, 'SIZE_TOO_LARGE'],
    ['2 TiB', 2 * 1024 * GiB, 'SIZE_TOO_LARGE'],
  ])('refuses %s', async (_label, size, code) => {
    const before = await listFolder(folder.path());
    for (const create of [createFixedDisk, createDynamicDisk]) {
      const error = await create(nextPath(), size).catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(VhdIoError);
      expect((error as VhdIoError).code).toBe(code);
    }
    expect(await listFolder(folder.path())).toEqual(before);
  });
});

describe('law: any valid size and block size gives an image that reads back as asked', () => {
  it('dynamic and fixed, sizes from 1 byte to 2040 GiB', async () => {
    const size = fc.oneof(fc.integer({ min: 1, max: 64 * MiB }), fc.integer({ min: 1, max: MAX }));
    const blockSize = fc.constantFrom(512 * 1024, 1 * MiB, 2 * MiB, 8 * MiB);
    await fc.assert(
      fc.asyncProperty(size, blockSize, async (requested, block) => {
        const expected = Math.ceil(requested / 512) * 512;
        const dynamic = await createDynamicDisk(nextPath(), requested, { blockSize: block });
        const fixed = await createFixedDisk(nextPath(), requested);
        const dynamicMetadata = await readImageMetadata(dynamic.path, { strict: true });
        const fixedMetadata = await readImageMetadata(fixed.path, { strict: true });
        expect(dynamicMetadata.footer.currentSize).toBe(expected);
        expect(dynamicMetadata.bat?.length).toBe(Math.ceil(expected / block));
        expect(dynamicMetadata.bat?.every((entry) => entry === 0xffffffff)).toBe(true);
        expect(dynamicMetadata.fileSize).toBe(dynamic.fileSize);
        expect(fixedMetadata.fileSize).toBe(expected + 512);
        expect(fixedMetadata.footer.currentSize).toBe(expected);
        expect(rawFooter(await readTail(fixed.path, 512)).checksumValid).toBe(true);
        await Promise.all([rm(dynamic.path), rm(fixed.path)]);
      }),
      { numRuns: 15 },
    );
  });
});
