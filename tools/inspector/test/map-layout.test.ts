import { describe, expect, it } from 'vitest';
import { BlockFill } from '../src/block-fill.js';
import { humanBytes } from '../src/format-values.js';
import { cellFills, mapLayout } from '../src/map-layout.js';

describe('mapLayout', () => {
  it.each([
    // blocks, then the grid for a 960 × 384 canvas
    [1, { columns: 1, rows: 1, cellPixels: 24, blocksPerCell: 1 }],
    [2, { columns: 2, rows: 1, cellPixels: 24, blocksPerCell: 1 }],
    [256, { columns: 40, rows: 7, cellPixels: 24, blocksPerCell: 1 }],
    [10_000, { columns: 160, rows: 63, cellPixels: 6, blocksPerCell: 1 }],
    [368_640, { columns: 960, rows: 384, cellPixels: 1, blocksPerCell: 1 }],
    // 2040 GiB in 2 MiB blocks: more blocks than pixels, three per pixel.
    [1_044_480, { columns: 960, rows: 363, cellPixels: 1, blocksPerCell: 3 }],
  ])('lays out %i blocks', (blocks, layout) => {
    const found = mapLayout(blocks, 960, 384);
    expect(found).toEqual(layout);
    expect(found.columns * found.cellPixels).toBeLessThanOrEqual(960);
    expect(found.rows * found.cellPixels).toBeLessThanOrEqual(384);
    expect(found.columns * found.rows * found.blocksPerCell).toBeGreaterThanOrEqual(blocks);
  });
});

describe('cellFills', () => {
  it('shows the most written block of each group', () => {
    const { Empty, Allocated, Partly, Full, Misplaced } = BlockFill;
    const fills = Uint8Array.of(Empty, Empty, Empty, Allocated, Empty, Partly, Full, Partly, Empty, Misplaced, Full);
    expect([...cellFills(fills, 3)]).toEqual([Empty, Partly, Full, Misplaced]);
    expect(cellFills(fills, 1)).toBe(fills);
  });
});

describe('humanBytes', () => {
  it.each([
    [0, '0 bytes'],
    [512, '512 bytes'],
    [1536, '1.5 KiB'],
    [4 * 1024 ** 2, '4 MiB'],
    [2040 * 1024 ** 3, '2040 GiB'],
    [16 * 1024 ** 4, '16 TiB'],
  ])('%i bytes read as %s', (bytes, text) => {
    expect(humanBytes(bytes)).toBe(text);
  });
});
