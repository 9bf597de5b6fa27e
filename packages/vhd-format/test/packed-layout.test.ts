import { describe, expect, it } from 'vitest';
import { MAX_VIRTUAL_SIZE, SectorBitmap, VhdFormatError, fullBlockBitmap, packedBlockOffset, planPackedDynamicLayout } from '../src/index.js';

const MiB = 1024 * 1024;

describe('planPackedDynamicLayout', () => {
  it('BAT before the blocks: header, BAT padded to a sector, blocks back to back, footer', () => {
    const layout = planPackedDynamicLayout({ virtualSize: 5 * MiB + 512, blockSize: 2 * MiB, blockCount: 2, table: 'before-blocks' });
    expect(layout).toEqual({
      headerOffset: 512,
      tableOffset: 1536,
      maxTableEntries: 3,
      tableByteSize: 512,
      bitmapByteSize: 512,
      blockSpanBytes: 2 * MiB + 512,
      firstBlockOffset: 2048,
      footerOffset: 2048 + 2 * (2 * MiB + 512),
      fileSize: 2048 + 2 * (2 * MiB + 512) + 512,
    });
    expect(packedBlockOffset(layout, 1)).toBe(2048 + 2 * MiB + 512);
  });

  it('BAT after the blocks: blocks from 1536, the BAT where they end, the same file size', () => {
    const before = planPackedDynamicLayout({ virtualSize: 7 * MiB, blockSize: 512 * 1024, blockCount: 5, table: 'before-blocks' });
    const after = planPackedDynamicLayout({ virtualSize: 7 * MiB, blockSize: 512 * 1024, blockCount: 5, table: 'after-blocks' });
    expect(after.firstBlockOffset).toBe(1536);
    expect(after.tableOffset).toBe(1536 + 5 * after.blockSpanBytes);
    expect(after.footerOffset).toBe(after.tableOffset + after.tableByteSize);
    expect(after.fileSize).toBe(before.fileSize);
  });

  it('the 2040 GiB maximum, fully allocated, still fits 32-bit sector numbers', () => {
    const entries = Math.ceil(MAX_VIRTUAL_SIZE / (2 * MiB));
    const layout = planPackedDynamicLayout({ virtualSize: MAX_VIRTUAL_SIZE, blockSize: 2 * MiB, blockCount: entries, table: 'before-blocks' });
    expect(layout.tableByteSize).toBe(entries * 4);
    expect(packedBlockOffset(layout, entries - 1) / 512).toBeLessThan(2 ** 32);
  });

  it.each([
    [{ virtualSize: MAX_VIRTUAL_SIZE + 512, blockSize: 2 * MiB, blockCount: 0 }, 'BAD_SIZE'],
    [{ virtualSize: 4 * MiB, blockSize: 3000, blockCount: 0 }, 'BAD_BLOCK_SIZE'],
    [{ virtualSize: 4 * MiB, blockSize: 2 * MiB, blockCount: 3 }, 'TABLE_OUT_OF_RANGE'],
    [{ virtualSize: 4 * 1024 * MiB, blockSize: 512, blockCount: 0 }, 'TABLE_OUT_OF_RANGE'],
  ])('refuses %o with %s', (init, code) => {
    expect(() => planPackedDynamicLayout({ ...init, table: 'before-blocks' })).toThrow(expect.objectContaining({ code }) as VhdFormatError);
  });
});

describe('fullBlockBitmap', () => {
  it('marks every sector of a block inside the disk', () => {
    const bitmap = new SectorBitmap(fullBlockBitmap(0, 2 * MiB, 5 * MiB), 4096);
    expect(bitmap.countSet()).toBe(4096);
  });

  it('in the last block, only the sectors inside the disk (a partial last sector counts)', () => {
    const bitmap = new SectorBitmap(fullBlockBitmap(2, 2 * MiB, 4 * MiB + 1000), 4096);
    expect([...bitmap.runs()]).toEqual([
      { start: 0, count: 2, set: true },
      { start: 2, count: 4094, set: false },
    ]);
  });
});
