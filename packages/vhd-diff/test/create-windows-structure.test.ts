import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedFixturePath, sharedFixtures, tempDir } from '@vhdkit/test-support';
import { createDifferencingDisk, createDynamicDisk } from '../src/index.js';
import { rawFooter, rawHeader, readBytes } from './create-support.js';

const MiB = 1024 * 1024;
const shared = sharedFixtures();

/** Footer fields that must match Windows (everything but ids, times, creator and checksum). */
function footerShape(bytes: Uint8Array) {
  const { features, formatVersion, dataOffset, originalSize, currentSize, cylinders, heads, sectorsPerTrack, diskType, savedState, reservedAllZero, checksumValid, creatorHostOs } = rawFooter(bytes.subarray(bytes.length - 512));
  return { features, formatVersion, dataOffset, originalSize, currentSize, cylinders, heads, sectorsPerTrack, diskType, savedState, reservedAllZero, checksumValid, creatorHostOs };
}

/** Header fields that must match Windows (everything but parent id, time, name, checksum and locator lengths). */
function headerShape(bytes: Uint8Array) {
  const header = rawHeader(bytes.subarray(512, 1536));
  return {
    cookie: header.cookie,
    dataOffset: header.dataOffset,
    tableOffset: header.tableOffset,
    headerVersion: header.headerVersion,
    maxTableEntries: header.maxTableEntries,
    blockSize: header.blockSize,
    reserved1: header.reserved1,
    reserved2AllZero: header.reserved2AllZero,
    checksumValid: header.checksumValid,
    // Lengths differ with the paths; everything else about the entries must match.
    locators: header.locators.map(({ platformCode, dataSpace, reserved, dataOffset }) => ({ platformCode, dataSpace, reserved, dataOffset })),
  };
}

/**
 * docs/windows-child-layout.md: a child made here from a parent of the same size must have the structure of the child
 * Windows 10 made, differing only in ids, times, creator and paths (and in the block Windows had already written).
 */
describe.skipIf(!shared.available)('structure of a child vs the Windows-made fat-differential.vhd', () => {
  let folder: { path: string; cleanup: () => Promise<void> };
  let ours: Uint8Array;
  let windows: Uint8Array;
  beforeAll(async () => {
    folder = await tempDir('vhd-diff-windows-');
    await createDynamicDisk(join(folder.path, 'fat-parent.vhd'), 4 * MiB);
    await createDifferencingDisk(join(folder.path, 'fat-differential.vhd'), join(folder.path, 'fat-parent.vhd'));
    ours = await readBytes(join(folder.path, 'fat-differential.vhd'));
    windows = await readBytes(sharedFixturePath('dfvfs-fat-differential.vhd'));
  });
  afterAll(() => folder.cleanup());

  it('footers: same type, sizes, geometry, data offset, features and version', () => {
    expect(footerShape(ours)).toEqual(footerShape(windows));
    // Both keep an identical footer copy at offset 0.
    for (const bytes of [ours, windows]) expect(Buffer.from(bytes.subarray(0, 512)).equals(Buffer.from(bytes.subarray(bytes.length - 512)))).toBe(true);
  });

  it('headers: same table offset, entries, block size, locator kinds, data-space units and offsets', () => {
    expect(headerShape(ours)).toEqual(headerShape(windows));
    expect(headerShape(ours).locators.slice(0, 2)).toEqual([
      { platformCode: 'W2ku', dataSpace: 4096, reserved: 0, dataOffset: 4096 },
      { platformCode: 'W2ru', dataSpace: 65536, reserved: 0, dataOffset: 12288 },
    ]);
  });

  it('regions in the same order at the same offsets: header 512, W2ku 4096, BAT 8192, W2ru 12288', () => {
    // Zeros between header and W2ku, W2ku padding, W2ru padding: zero in both files.
    const zeroRanges: [number, number][] = [[1536, 4096], [12288 + 64, 77824]];
    for (const [start, end] of zeroRanges) {
      expect(ours.subarray(start, end).every((byte) => byte === 0)).toBe(true);
      expect(windows.subarray(start, end).every((byte) => byte === 0)).toBe(true);
    }
    // The BAT region 8192..12288: 0xFF after the table entries in both (Windows pads with 0xFF too).
    expect(ours.subarray(8192, 12288).every((byte) => byte === 0xff)).toBe(true);
    expect(windows.subarray(8192 + 8, 12288).every((byte) => byte === 0xff)).toBe(true);
  });

  it('our empty child ends with its footer where Windows put block 0\'s bitmap (81408)', () => {
    const windowsBlock0Sector = new DataView(windows.buffer, windows.byteOffset).getUint32(8192);
    expect(windowsBlock0Sector * 512).toBe(81408);
    expect(ours.length).toBe(81408 + 512);
    expect(rawFooter(ours.subarray(81408)).cookie).toBe('conectix');
    // Between the W2ru region and the footer: zeros, as in the Windows file before its bitmap.
    expect(ours.subarray(77824, 81408).every((byte) => byte === 0)).toBe(true);
    expect(windows.subarray(77824, 81408).every((byte) => byte === 0)).toBe(true);
  });
});
