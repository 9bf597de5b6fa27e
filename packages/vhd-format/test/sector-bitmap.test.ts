import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SectorBitmap, sectorBitmapByteSize } from '../src/index.js';

/** The obvious bit-by-bit reading, to check the word-at-a-time code against. */
function naiveRuns(bits: boolean[], start: number, end: number): { start: number; count: number; set: boolean }[] {
  const runs: { start: number; count: number; set: boolean }[] = [];
  for (let sector = start; sector < end; sector++) {
    const last = runs[runs.length - 1];
    if (last && last.set === bits[sector]) last.count++;
    else runs.push({ start: sector, count: 1, set: bits[sector]! });
  }
  return runs;
}

describe('SectorBitmap', () => {
  it('bit 0x80 of byte 0 is sector 0; bit 0x01 is sector 7', () => {
    const bitmap = new SectorBitmap(new Uint8Array(2), 16);
    bitmap.set(0);
    bitmap.set(7);
    bitmap.set(9);
    expect([...bitmap.bytes]).toEqual([0x81, 0x40]);
    expect(bitmap.get(0)).toBe(true);
    expect(bitmap.get(1)).toBe(false);
    bitmap.clear(0);
    expect(bitmap.bytes[0]).toBe(0x01);
  });

  it('wraps the given bytes without copying', () => {
    const bytes = new Uint8Array(512);
    new SectorBitmap(bytes, 4096).setRange(8, 8);
    expect(bytes[1]).toBe(0xff);
  });

  it('forBlockSize gives the on-disk size, zeroed', () => {
    const bitmap = SectorBitmap.forBlockSize(2 * 1024 * 1024);
    expect(bitmap.bytes).toHaveLength(sectorBitmapByteSize(2 * 1024 * 1024));
    expect(bitmap.sectorCount).toBe(4096);
    expect(bitmap.isEmpty()).toBe(true);
    expect(bitmap.isFull()).toBe(false);
  });

  it('setRange / clearRange across byte and word edges', () => {
    const bitmap = new SectorBitmap(new Uint8Array(8), 64);
    bitmap.setRange(3, 40);
    expect([...bitmap.bytes]).toEqual([0x1f, 0xff, 0xff, 0xff, 0xff, 0xe0, 0, 0]);
    bitmap.clearRange(10, 20);
    expect([...bitmap.runs()]).toEqual([
      { start: 0, count: 3, set: false },
      { start: 3, count: 7, set: true },
      { start: 10, count: 20, set: false },
      { start: 30, count: 13, set: true },
      { start: 43, count: 21, set: false },
    ]);
    expect(bitmap.countSet()).toBe(20);
  });

  it('a full 2 MiB-block bitmap is one run', () => {
    const bitmap = SectorBitmap.forBlockSize(2 * 1024 * 1024);
    bitmap.setRange(0, 4096);
    expect(bitmap.isFull()).toBe(true);
    expect([...bitmap.runs()]).toEqual([{ start: 0, count: 4096, set: true }]);
    expect([...bitmap.runs(100, 200)]).toEqual([{ start: 100, count: 100, set: true }]);
  });

  it('ignores bits beyond sectorCount (the bitmap is padded to a sector)', () => {
    const bitmap = new SectorBitmap(new Uint8Array(512).fill(0xff), 8);
    expect(bitmap.isFull()).toBe(true);
    expect(bitmap.countSet()).toBe(8);
    expect([...bitmap.runs()]).toEqual([{ start: 0, count: 8, set: true }]);
  });

  it('throws RangeError for sectors and ranges outside the bitmap', () => {
    const bitmap = new SectorBitmap(new Uint8Array(1), 8);
    expect(() => bitmap.get(8)).toThrow(RangeError);
    expect(() => bitmap.set(-1)).toThrow(RangeError);
    expect(() => bitmap.setRange(4, 5)).toThrow(RangeError);
    expect(() => [...bitmap.runs(0, 9)]).toThrow(RangeError);
    expect(() => new SectorBitmap(new Uint8Array(1), 9)).toThrow(RangeError);
  });

  it('runs, counts and ranges agree with a bit-by-bit model (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.tuple(fc.boolean(), fc.nat(), fc.nat()), { maxLength: 12 }),
        fc.nat(),
        fc.nat(),
        (sectorCount, operations, a, b) => {
          const bitmap = new SectorBitmap(new Uint8Array(Math.ceil(sectorCount / 8) + 3), sectorCount);
          const model: boolean[] = Array(sectorCount).fill(false);
          for (const [value, rawStart, rawCount] of operations) {
            const start = rawStart % sectorCount;
            const count = rawCount % (sectorCount - start + 1);
            if (value) bitmap.setRange(start, count);
            else bitmap.clearRange(start, count);
            model.fill(value, start, start + count);
          }
          const from = Math.min(a % (sectorCount + 1), b % (sectorCount + 1));
          const to = Math.max(a % (sectorCount + 1), b % (sectorCount + 1));
          expect([...bitmap.runs(from, to)]).toEqual(naiveRuns(model, from, to));
          expect(bitmap.countSet()).toBe(model.filter(Boolean).length);
          expect(bitmap.isEmpty()).toBe(!model.includes(true));
          expect(bitmap.isFull()).toBe(!model.includes(false));
          model.forEach((value, sector) => expect(bitmap.get(sector)).toBe(value));
        },
      ),
      { numRuns: 300 },
    );
  });
});
