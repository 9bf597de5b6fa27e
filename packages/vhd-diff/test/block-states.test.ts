import { describe, expect, it } from 'vitest';
import { SectorBitmap } from '@vhdkit/vhd-format';
import { BlockStateCache } from '../src/chain/block-states.js';

const SECTORS = 4096; // 2 MiB blocks
const BITMAP_BYTES = 512;

function bitmapWith(...sectors: number[]): SectorBitmap {
  const bitmap = new SectorBitmap(new Uint8Array(BITMAP_BYTES), SECTORS);
  for (const sector of sectors) bitmap.set(sector);
  return bitmap;
}

function fullBitmap(): SectorBitmap {
  const bitmap = bitmapWith();
  bitmap.setRange(0, SECTORS);
  return bitmap;
}

describe('BlockStateCache', () => {
  it('classifies bitmaps: full and empty blocks share one state each, partial ones keep their own bytes', () => {
    const cache = new BlockStateCache(8, BITMAP_BYTES, SECTORS);
    const full = cache.remember(0, fullBitmap());
    expect(full).toMatchObject({ full: true, empty: false });
    expect(cache.remember(1, fullBitmap())).toBe(full);
    const empty = cache.remember(2, bitmapWith());
    expect(empty).toMatchObject({ full: false, empty: true });
    expect(cache.remember(3, bitmapWith())).toBe(empty);
    const partialBitmap = bitmapWith(5, 4095);
    const partial = cache.remember(4, partialBitmap);
    expect(partial).toMatchObject({ full: false, empty: false });
    expect(partial.bitmap).toBe(partialBitmap);
    expect([0, 1, 2, 3, 4].map((index) => cache.get(index))).toEqual([full, full, empty, empty, partial]);
    expect(cache.get(5)).toBeUndefined();
    expect(cache.has(5)).toBe(false);
    expect(cache.partialBitmapCount).toBe(1);
    // The shared full state still reads as full sector by sector.
    expect([...full.bitmap.runs()]).toEqual([{ start: 0, count: SECTORS, set: true }]);
  });

  it('replaces a block’s state when it changes kind (a writer filling a partial block)', () => {
    const cache = new BlockStateCache(4, BITMAP_BYTES, SECTORS);
    cache.remember(1, bitmapWith(7));
    expect(cache.partialBitmapCount).toBe(1);
    expect(cache.remember(1, fullBitmap()).full).toBe(true);
    expect(cache.get(1)?.full).toBe(true);
    expect(cache.partialBitmapCount).toBe(0);
    expect(cache.remember(1, bitmapWith(9)).bitmap.get(9)).toBe(true);
    expect(cache.get(1)?.bitmap.get(9)).toBe(true);
  });

  it('keeps at most partialLimit partial bitmaps, dropping the oldest, and never drops full or empty blocks', () => {
    const limit = 3;
    const blocks = 1000;
    const cache = new BlockStateCache(blocks, BITMAP_BYTES, SECTORS, limit);
    for (let index = 0; index < blocks; index++) {
      const bitmap = index % 3 === 0 ? fullBitmap() : index % 3 === 1 ? bitmapWith() : bitmapWith(index % SECTORS);
      cache.remember(index, bitmap);
      expect(cache.partialBitmapCount).toBeLessThanOrEqual(limit);
    }
    const partialIndices = Array.from({ length: blocks }, (_, index) => index).filter((index) => index % 3 === 2);
    const kept = partialIndices.filter((index) => cache.has(index));
    expect(kept).toEqual(partialIndices.slice(-limit));
    for (const index of kept) expect(cache.get(index)!.bitmap.get(index % SECTORS)).toBe(true);
    for (let index = 0; index < blocks; index++) {
      if (index % 3 === 0) expect(cache.get(index)?.full).toBe(true);
      if (index % 3 === 1) expect(cache.get(index)?.empty).toBe(true);
    }
  });

  it('is unlimited by default (writable files keep every bitmap the writer hands over)', () => {
    const cache = new BlockStateCache(10_000, BITMAP_BYTES, SECTORS);
    for (let index = 0; index < 10_000; index++) cache.remember(index, bitmapWith(1 + (index % 100)));
    expect(cache.partialBitmapCount).toBe(10_000);
  });
});
