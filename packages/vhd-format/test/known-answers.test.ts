/** Known answers from the specification and docs/format.md#known-answers, table-driven. */
import { describe, expect, it } from 'vitest';
import {
  batByteSize,
  computeChecksum,
  dateFromVhdTimestamp,
  DEFAULT_BLOCK_SIZE,
  geometryFromSize,
  MAX_VIRTUAL_SIZE,
  sectorBitmapByteSize,
  sizeFromGeometry,
  vhdTimestampFromDate,
  VHD_EPOCH_UNIX_SECONDS,
} from '../src/index.js';
import { hex32, loadSharedFixtures } from './support/fixtures.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('geometryFromSize (the specification algorithm)', () => {
  it.each([
    // [size, cylinders, heads, sectors per track, why]
    [3 * MiB, 90, 4, 17, 'smallest Virtual PC disk; heads floor of 4'],
    [4 * MiB, 120, 4, 17, 'the Windows fixture'],
    [64 * MiB, 963, 8, 17, 'heads from (cth + 1023) / 1024'],
    [200 * MiB, 825, 16, 31, 'cth ≥ heads × 1024 with 17 spt: switch to 31'],
    [127 * GiB, 65278, 16, 255, 'above 65535×16×63 sectors: 255 spt'],
    [2040 * GiB, 65535, 16, 255, 'capped at 65535×16×255'],
    [65535 * 16 * 255 * 512, 65535, 16, 255, 'exactly the cap'],
    [0, 0, 4, 17, 'empty disk'],
    // Hand-computed at each branch point of the algorithm:
    [(16384 * 17 - 1) * 512, 1023, 16, 17, 'cth = 16383: the last size with 17 spt'],
    [16384 * 17 * 512, 561, 16, 31, 'cth = 16384 ≥ 16 × 1024: switch to 31 spt (cth = 8984)'],
    [(16384 * 31 - 1) * 512, 1023, 16, 31, 'cth = 16383 with 31 spt: the last size with 31'],
    [16384 * 31 * 512, 503, 16, 63, 'cth = 16384 with 31 spt: switch to 63 (cth = 8061)'],
    [(65535 * 16 * 63 - 1) * 512, 65534, 16, 63, 'last size below the 255-spt threshold'],
    [65535 * 16 * 63 * 512, 16191, 16, 255, 'the 255-spt threshold (cth = 259056)'],
  ])('%d bytes → %d/%d/%d (%s)', (size, cylinders, heads, sectorsPerTrack) => {
    expect(geometryFromSize(size)).toEqual({ cylinders, heads, sectorsPerTrack });
  });

  it('64 MiB addresses 67,055,616 bytes by CHS', () => {
    expect(sizeFromGeometry(geometryFromSize(64 * MiB))).toBe(67_055_616);
  });

  it('rejects sizes that are not a non-negative number', () => {
    expect(() => geometryFromSize(-1)).toThrow(expect.objectContaining({ code: 'BAD_SIZE' }));
    expect(() => geometryFromSize(Number.NaN)).toThrow(expect.objectContaining({ code: 'BAD_SIZE' }));
  });
});

describe('timestamps', () => {
  it.each([
    ['2000-01-01T00:00:00Z', 0],
    ['2026-01-01T00:00:00Z', 820_540_800],
    ['2020-10-14T20:47:35Z', 656_023_655],
    ['2136-02-07T06:28:15Z', 0xffffffff],
  ])('%s ⇄ %d', (iso, seconds) => {
    expect(vhdTimestampFromDate(new Date(iso))).toBe(seconds);
    expect(dateFromVhdTimestamp(seconds).toISOString()).toBe(new Date(iso).toISOString());
  });

  it('truncates milliseconds', () => {
    expect(vhdTimestampFromDate(new Date('2026-01-01T00:00:00.999Z'))).toBe(820_540_800);
  });

  it('the epoch is Unix time 946,684,800', () => {
    expect(new Date(VHD_EPOCH_UNIX_SECONDS * 1000).toISOString()).toBe('2000-01-01T00:00:00.000Z');
  });

  it('throws RangeError for dates the 32-bit field cannot hold', () => {
    expect(() => vhdTimestampFromDate(new Date('1999-12-31T23:59:59Z'))).toThrow(RangeError);
    expect(() => vhdTimestampFromDate(new Date('2136-02-07T06:28:16Z'))).toThrow(RangeError);
    expect(() => vhdTimestampFromDate(new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe('BAT and bitmap sizes', () => {
  it.each([
    [3 * MiB, 2, 512],
    [127 * GiB, 65_024, 260_096],
    [MAX_VIRTUAL_SIZE, 1_044_480, 4_177_920],
  ])('a %d-byte disk with 2 MiB blocks has %d entries in %d bytes', (size, entries, bytes) => {
    const maxTableEntries = Math.ceil(size / DEFAULT_BLOCK_SIZE);
    expect(maxTableEntries).toBe(entries);
    expect(batByteSize(maxTableEntries)).toBe(bytes);
    // Every block of a 2 MiB-block disk carries a one-sector bitmap, whatever the disk size.
    expect(sectorBitmapByteSize(DEFAULT_BLOCK_SIZE)).toBe(512);
  });

  it('the 3 MiB table is one sector; Windows alignment pads it to 4 KiB', () => {
    expect(batByteSize(2)).toBe(512);
    expect(batByteSize(2, 4096)).toBe(4096);
    expect(batByteSize(0)).toBe(0);
  });

  it.each([
    [512, 512],
    [4096, 512],
    [512 * 1024, 512],
    [DEFAULT_BLOCK_SIZE, 512],
    [4 * MiB, 1024],
    [8 * MiB, 2048],
    [256 * MiB, 65_536],
  ])('a %d-byte block has a %d-byte bitmap', (blockSize, bitmapBytes) => {
    expect(sectorBitmapByteSize(blockSize)).toBe(bitmapBytes);
  });
});

const { available, fixtures } = loadSharedFixtures();

describe.skipIf(!available)('checksums of real footers and headers', () => {
  it('the Windows child: footer 0xFFFFF02C, header 0xFFFFD951', () => {
    const { bytes } = fixtures.find((fixture) => fixture.facts.file === 'dfvfs-fat-differential.vhd')!;
    expect(hex32(computeChecksum(bytes.subarray(0, 512), 64))).toBe('0xfffff02c');
    expect(hex32(computeChecksum(bytes.subarray(512, 1536), 36))).toBe('0xffffd951');
  });

  it.each(fixtures.map((fixture) => [fixture.facts.file, fixture] as const))('%s: computed checksums match the stored ones exactly when expected.json says valid', (_file, { facts, bytes }) => {
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const footerComputed = computeChecksum(bytes.subarray(0, 512), 64);
    const headerComputed = computeChecksum(bytes.subarray(512, 1536), 36);
    expect(hex32(view.getUint32(64))).toBe(facts.footerChecksum);
    expect(footerComputed === view.getUint32(64)).toBe(facts.footerChecksumValid);
    expect(hex32(view.getUint32(512 + 36))).toBe(facts.headerChecksum);
    expect(headerComputed === view.getUint32(512 + 36)).toBe(facts.headerChecksumValid);
  });
});
