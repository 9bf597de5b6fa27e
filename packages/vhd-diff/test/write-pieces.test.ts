import { describe, expect, it } from 'vitest';
import { createDynamicDisk } from '../src/index.js';
import { openChain } from '../src/chain/open-disk.js';
import { KiB, MiB, SECTOR, bitIsSet, patternBytes, rawBitmap, rawLayout } from './helpers/chain-images.js';
import { ChainModel, firstDifference } from './helpers/chain-model.js';
import { expectVhdIoError, readWholeDisk } from './helpers/disk-io.js';
import { testFolder } from '@vhdkit/test-support';

const folder = testFolder('vhdkit-write-pieces-');
const BLOCK = 512 * KiB;

/** Writes `pieces` as one batch through the disk's writer, then closes it. */
async function writePiecesInto(path: string, pieces: { offset: number; bytes: Uint8Array }[]): Promise<void> {
  const disk = await openChain(path, { writable: true });
  try {
    await disk.writePieces(pieces.map(({ offset, bytes }) => ({ data: bytes, virtualOffset: offset })));
  } finally {
    await disk.close();
  }
}

describe('writing many pieces as one batch (how merge writes a group)', { timeout: 30_000 }, () => {
  it('several pieces in one new block become one block with exactly their sectors marked; the caller bytes stay as given', async () => {
    const path = folder.nextPath('new-block.vhd');
    await createDynamicDisk(path, 2 * MiB, { blockSize: BLOCK });
    // A whole block first (written as the caller's bytes), then two pieces inside the next block, then one more in the first.
    const whole = patternBytes(BLOCK, 1);
    const wholeCopy = whole.slice();
    const pieces = [
      { offset: 0, bytes: whole },
      { offset: BLOCK + 2 * SECTOR, bytes: patternBytes(3 * SECTOR, 2) },
      { offset: BLOCK + 100 * SECTOR, bytes: patternBytes(SECTOR, 3) },
    ];
    await writePiecesInto(path, pieces);
    expect(firstDifference(whole, wholeCopy)).toBe(-1);

    const model = new ChainModel(2 * MiB, 1);
    for (const { offset, bytes } of pieces) model.write(0, offset, bytes);
    expect(firstDifference(await readWholeDisk(path), model.view(0))).toBe(-1);
    const layout = await rawLayout(path);
    expect(layout.bat.flatMap((entry, block) => (entry === 0xffffffff ? [] : [block]))).toEqual([0, 1]);
    const bitmap = await rawBitmap(path, layout, 1);
    expect([...Array(BLOCK / SECTOR).keys()].filter((sector) => bitIsSet(bitmap, sector))).toEqual([2, 3, 4, 100]);
  });

  it('pieces into allocated blocks add their bits to what the block already marks', async () => {
    const path = folder.nextPath('allocated.vhd');
    await createDynamicDisk(path, 2 * MiB, { blockSize: BLOCK });
    const model = new ChainModel(2 * MiB, 1);
    const first = [{ offset: 10 * SECTOR, bytes: patternBytes(SECTOR, 4) }, { offset: BLOCK + 7 * SECTOR, bytes: patternBytes(2 * SECTOR, 5) }];
    await writePiecesInto(path, first);
    const second = [
      { offset: 0, bytes: patternBytes(2 * SECTOR, 6) },
      { offset: 20 * SECTOR, bytes: patternBytes(SECTOR, 7) },
      { offset: BLOCK + 8 * SECTOR, bytes: patternBytes(4 * SECTOR, 8) },
    ];
    await writePiecesInto(path, second);
    for (const { offset, bytes } of [...first, ...second]) model.write(0, offset, bytes);
    expect(firstDifference(await readWholeDisk(path), model.view(0))).toBe(-1);
    const layout = await rawLayout(path);
    const marked = async (block: number): Promise<number[]> => {
      const bitmap = await rawBitmap(path, layout, block);
      return [...Array(BLOCK / SECTOR).keys()].filter((sector) => bitIsSet(bitmap, sector));
    };
    expect(await marked(0)).toEqual([0, 1, 10, 20]);
    expect(await marked(1)).toEqual([7, 8, 9, 10, 11]);
  });

  it('refuses pieces that share sectors, overlap or are out of order, and writes nothing', async () => {
    const path = folder.nextPath('refused.vhd');
    await createDynamicDisk(path, 2 * MiB, { blockSize: BLOCK });
    const before = await readWholeDisk(path);
    const disk = await openChain(path, { writable: true });
    try {
      const bad = [
        [{ data: patternBytes(100, 1), virtualOffset: 0 }, { data: patternBytes(SECTOR, 2), virtualOffset: SECTOR }],
        [{ data: patternBytes(2 * SECTOR, 1), virtualOffset: 0 }, { data: patternBytes(SECTOR, 2), virtualOffset: SECTOR }],
        [{ data: patternBytes(SECTOR, 1), virtualOffset: 4 * SECTOR }, { data: patternBytes(SECTOR, 2), virtualOffset: 0 }],
        [{ data: patternBytes(SECTOR, 1), virtualOffset: 2 * MiB }],
      ];
      for (const pieces of bad) expect((await expectVhdIoError(disk.writePieces(pieces))).code).toBe('OUT_OF_RANGE');
    } finally {
      await disk.close();
    }
    expect(firstDifference(await readWholeDisk(path), before)).toBe(-1);
  });
});
