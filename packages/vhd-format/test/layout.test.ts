import { describe, expect, it } from 'vitest';
import { blockOffsetForNewBlock, MAX_VIRTUAL_SIZE, planDynamicLayout } from '../src/index.js';

const MiB = 1024 * 1024;

describe('planDynamicLayout', () => {
  it('no locators: BAT at 1536 padded to 512, first block data 4 KiB aligned', () => {
    expect(planDynamicLayout({ virtualSize: 3 * MiB, blockSize: 2 * MiB })).toEqual({
      headerOffset: 512,
      tableOffset: 1536,
      maxTableEntries: 2,
      tableByteSize: 512,
      locators: [],
      bitmapByteSize: 512,
      firstBlockOffset: 3584,
      emptyFileSize: 4096,
    });
  });

  it('the 2040 GiB plain layout', () => {
    const layout = planDynamicLayout({ virtualSize: MAX_VIRTUAL_SIZE, blockSize: 2 * MiB });
    expect(layout.tableByteSize).toBe(4_177_920);
    expect(layout.firstBlockOffset + layout.bitmapByteSize).toBe(4_182_016 + 0);
    expect((layout.firstBlockOffset + layout.bitmapByteSize) % 4096).toBe(0);
  });

  it('Windows order: W2ku before the BAT, W2ru after it, others after that, in the given order', () => {
    const layout = planDynamicLayout({
      virtualSize: 127 * 1024 * MiB,
      blockSize: 2 * MiB,
      locators: [
        { platformCode: 'W2ru', dataBytes: 70_000 },
        { platformCode: 'MacX', dataBytes: 10 },
        { platformCode: 'W2ku', dataBytes: 5000 },
      ],
    });
    expect(layout.locators).toEqual([
      { platformCode: 'W2ru', dataOffset: 4096 + 8192 + 262_144, dataSpace: 73_728, dataBytes: 70_000 },
      { platformCode: 'MacX', dataOffset: 4096 + 8192 + 262_144 + 73_728, dataSpace: 4096, dataBytes: 10 },
      { platformCode: 'W2ku', dataOffset: 4096, dataSpace: 8192, dataBytes: 5000 },
    ]);
    expect(layout.tableOffset).toBe(12_288);
    expect(layout.tableByteSize).toBe(262_144);
    const end = 4096 + 8192 + 262_144 + 73_728 + 4096;
    expect(layout.firstBlockOffset).toBe(end + 4096 - 512);
    expect(layout.emptyFileSize).toBe(end + 4096);
  });

  it('rejects bad sizes, block sizes and locator lengths', () => {
    expect(() => planDynamicLayout({ virtualSize: MAX_VIRTUAL_SIZE + 512, blockSize: 2 * MiB })).toThrow(expect.objectContaining({ code: 'BAD_SIZE' }));
    expect(() => planDynamicLayout({ virtualSize: MiB, blockSize: 3000 })).toThrow(expect.objectContaining({ code: 'BAD_BLOCK_SIZE' }));
    expect(() => planDynamicLayout({ virtualSize: MiB, blockSize: 2 * MiB, locators: [{ platformCode: 'W2ku', dataBytes: -1 }] })).toThrow(
      expect.objectContaining({ code: 'BAD_LOCATOR' }),
    );
  });
});

describe('blockOffsetForNewBlock', () => {
  it.each([
    [77_824, 512, 81_408],
    [81_920 + 2 * MiB, 512, 2_182_656],
    [2048, 512, 3584],
    [3584, 512, 3584],
    [4096, 2048, 6144],
    [0, 8192, 0],
  ])('after %d with a %d-byte bitmap → %d', (end, bitmapBytes, expected) => {
    expect(blockOffsetForNewBlock(end, bitmapBytes)).toBe(expected);
    expect((expected + bitmapBytes) % 4096).toBe(0);
  });
});
