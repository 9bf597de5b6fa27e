import { stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { testFolder } from '@vhdkit/test-support';
import { check, createDifferencingDisk, createDynamicDisk, createFixedDisk, readImageMetadata, resize } from '../src/index.js';
import { KiB, MiB, patternBytes, sorted } from './helpers/chain-images.js';
import { expectVhdIoError, readWholeDisk, writeIntoDisk } from './helpers/disk-io.js';
import { expectIndependentReadersSee } from './helpers/independent-readers.js';

const folder = testFolder('vhdkit-resize-');

/** The disk grown to `size`: the old bytes, then zeros. */
function grown(old: Uint8Array, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  bytes.set(old.subarray(0, Math.min(old.length, size)));
  return bytes;
}

async function expectClean(path: string): Promise<void> {
  const report = await check(path);
  expect(report.issues.filter((issue) => issue.severity !== 'info'), JSON.stringify(report.issues)).toEqual([]);
}

describe('resize: dynamic', () => {
  it('grows within the room the BAT has: only the header and footers change', async () => {
    const path = folder.nextPath('room.vhd');
    await createDynamicDisk(path, 3 * MiB, { blockSize: 512 * KiB });
    await writeIntoDisk(path, patternBytes(700 * KiB, 1), 100 * KiB);
    const before = await readWholeDisk(path);
    const result = await resize(path, 4 * MiB);
    expect(result).toMatchObject({ oldSize: 3 * MiB, newSize: 4 * MiB, blocksMoved: 0, locatorsMoved: 0 });
    const metadata = await readImageMetadata(path, { strict: true });
    expect(metadata.footer.currentSize).toBe(4 * MiB);
    expect(metadata.header!.maxTableEntries).toBe(8);
    await expectClean(path);
    await expectIndependentReadersSee(path, grown(before, 4 * MiB), folder.nextPath('room.raw'));
  });

  it('moves the blocks in the way when the BAT outgrows its room, and keeps every byte', { timeout: 30_000 }, async () => {
    const path = folder.nextPath('move.vhd');
    await createDynamicDisk(path, 1 * MiB, { blockSize: 4 * KiB });
    for (let block = 0; block < 24; block++) await writeIntoDisk(path, patternBytes(3000, block + 10), block * 40 * KiB + 700);
    const before = await readWholeDisk(path);
    const result = await resize(path, 32 * MiB);
    expect(result.blocksMoved).toBeGreaterThan(0);
    const metadata = await readImageMetadata(path, { strict: true });
    expect(metadata.header!.maxTableEntries).toBe(8192);
    // The specification's CHS for 65,536 sectors: 17 sectors per track, 4 heads, 3855 / 4 cylinders.
    expect(metadata.footer.geometry).toEqual({ cylinders: 963, heads: 4, sectorsPerTrack: 17 });
    await expectClean(path);
    const after = grown(before, 32 * MiB);
    expect(Buffer.from(await readWholeDisk(path)).equals(Buffer.from(after))).toBe(true);
    await expectIndependentReadersSee(path, after, folder.nextPath('move.raw'));
    // The grown disk takes new writes past its old end.
    await writeIntoDisk(path, patternBytes(5000, 99), 30 * MiB + 3);
    after.set(patternBytes(5000, 99), 30 * MiB + 3);
    expect(Buffer.from(await readWholeDisk(path)).equals(Buffer.from(after))).toBe(true);
    await expectClean(path);
  });

  it('shrinks only when nothing past the new end is marked, and says how many bytes are in the way', async () => {
    const path = folder.nextPath('shrink.vhd');
    await createDynamicDisk(path, 4 * MiB, { blockSize: 512 * KiB });
    await writeIntoDisk(path, patternBytes(1000, 3), 3 * MiB + 512);
    const error = await expectVhdIoError(resize(path, 2 * MiB), 'OUT_OF_RANGE');
    expect(error.params).toMatchObject({ reason: 'resize-in-the-way', bytes: '1024' });
    expect((await readImageMetadata(path)).footer.currentSize).toBe(4 * MiB);
    await resize(path, 3 * MiB + 1536);
    const kept = await readWholeDisk(path);
    expect(kept.length).toBe(3 * MiB + 1536);
    await writeIntoDisk(path, new Uint8Array(1), 0);
    await expectClean(path);
  });
});

describe('resize: differencing', () => {
  it('refuses a size other than its parent\'s, and follows a grown parent, moving its relative locator', { timeout: 30_000 }, async () => {
    const parent = folder.nextPath('parent.vhd');
    const child = folder.nextPath('child.vhd');
    await createDynamicDisk(parent, 2 * MiB, { blockSize: 4 * KiB });
    await createDifferencingDisk(child, parent);
    await writeIntoDisk(child, patternBytes(9000, 5), 4000);
    const before = await readWholeDisk(child);
    const refused = await expectVhdIoError(resize(child, 8 * MiB), 'UNSUPPORTED');
    expect(refused.params).toMatchObject({ reason: 'resize-differencing' });
    await resize(parent, 8 * MiB);
    const result = await resize(child, 8 * MiB);
    expect(result.locatorsMoved + result.blocksMoved).toBeGreaterThan(0);
    const metadata = await readImageMetadata(child, { strict: true });
    expect(sorted(metadata.parentLocatorPaths.map((locator) => locator.platformCode))).toEqual(['W2ku', 'W2ru']);
    expect(Buffer.from(await readWholeDisk(child, { timestampMismatch: 'accept' })).equals(Buffer.from(grown(before, 8 * MiB)))).toBe(true);
  });
});

describe('resize: fixed', () => {
  it('grows (the old footer sector reads as zeros) and shrinks only over zeros', async () => {
    const path = folder.nextPath('fixed.vhd');
    await createFixedDisk(path, 2 * MiB);
    await writeIntoDisk(path, patternBytes(MiB, 7), 512 * KiB);
    const before = await readWholeDisk(path);
    await resize(path, 3 * MiB);
    expect((await stat(path)).size).toBe(3 * MiB + 512);
    await expectClean(path);
    await expectIndependentReadersSee(path, grown(before, 3 * MiB), folder.nextPath('fixed.raw'));
    const error = await expectVhdIoError(resize(path, MiB), 'OUT_OF_RANGE');
    expect(error.params).toMatchObject({ bytes: String(512 * KiB) });
    await resize(path, 1536 * KiB);
    expect((await stat(path)).size).toBe(1536 * KiB + 512);
    expect(Buffer.from(await readWholeDisk(path)).equals(Buffer.from(before.subarray(0, 1536 * KiB)))).toBe(true);
    await expectClean(path);
  });

  it('refuses sizes that are not whole sectors, zero, or above 2040 GiB', async () => {
    const path = folder.nextPath('bad-size.vhd');
    await createFixedDisk(path, MiB);
    for (const size of [0, 1000, 2040 * 1024 * MiB + 512, Number.NaN]) await expectVhdIoError(resize(path, size), 'OUT_OF_RANGE');
  });
});
