import { readFile, stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { interop, run, sha256File, testFolder } from '@vhdkit/test-support';
import { VhdIoError, createDifferencingDisk, createDynamicDisk, createFixedDisk, openDisk } from '../src/index.js';
import { KiB, MiB, SECTOR, bitIsSet, patternBytes, rawBitmap, rawLayout } from './helpers/chain-images.js';
import { ChainModel, firstDifference } from './helpers/chain-model.js';
import { readWholeDisk, writeIntoDisk } from './helpers/disk-io.js';

const qemu = interop('qemu-img');

const folder = testFolder('vhdkit-chain-write-');
const nextPath = folder.nextPath;

describe('writing a dynamic disk', { timeout: 30_000 }, () => {
  it('allocates a block at the end with 4 KiB-aligned data, zeros around the write and bits for exactly the sectors written', async () => {
    const path = nextPath('dynamic.vhd');
    await createDynamicDisk(path, 3 * MiB, { blockSize: 512 * KiB });
    const before = await rawLayout(path);
    const data = patternBytes(1000, 1);
    await writeIntoDisk(path, data, 512 * KiB + 700);

    const layout = await rawLayout(path);
    expect(layout.bat.filter((entry) => entry !== 0xffffffff)).toHaveLength(1);
    const bitmapOffset = layout.bat[1]! * SECTOR;
    const dataOffset = bitmapOffset + layout.bitmapBytes;
    expect(dataOffset % 4096).toBe(0);
    expect(bitmapOffset).toBeGreaterThanOrEqual(before.fileSize - 512);
    expect(layout.fileSize).toBe(dataOffset + 512 * KiB + 512);
    const bitmap = await rawBitmap(path, layout, 1);
    const setSectors = [...Array(1024).keys()].filter((sector) => bitIsSet(bitmap, sector));
    expect(setSectors).toEqual([1, 2, 3]); // bytes 700..1699 of the block
    const file = await readFile(path);
    const blockData = file.subarray(dataOffset, dataOffset + 512 * KiB);
    expect(Buffer.from(blockData.subarray(700, 1700)).equals(Buffer.from(data))).toBe(true);
    expect(blockData.subarray(0, 700).every((byte) => byte === 0)).toBe(true);
    expect(blockData.subarray(1700).every((byte) => byte === 0)).toBe(true);
    // Footer moved to the new end, unchanged, and still equal to the copy at offset 0.
    expect(Buffer.from(file.subarray(file.length - 512)).equals(Buffer.from(file.subarray(0, 512)))).toBe(true);

    const expected = new Uint8Array(3 * MiB);
    expected.set(data, 512 * KiB + 700);
    expect(firstDifference(await readWholeDisk(path), expected)).toBe(-1);
  });

  it('writes across block boundaries with partial sectors at both ends, and in place in allocated blocks', async () => {
    const path = nextPath('span.vhd');
    await createDynamicDisk(path, 4 * MiB, { blockSize: 512 * KiB });
    const model = new ChainModel(4 * MiB, 1);
    const writes: [number, number][] = [[512 * KiB - 300, 1 * MiB + 601], [100, 50], [512 * KiB - 10, 20], [3 * MiB + 1, 1 * MiB - 1]];
    for (const [index, [offset, length]] of writes.entries()) {
      const bytes = patternBytes(length, 10 + index);
      await writeIntoDisk(path, bytes, offset);
      model.write(0, offset, bytes);
      expect(firstDifference(await readWholeDisk(path), model.view(0))).toBe(-1);
    }
    const layout = await rawLayout(path);
    expect(layout.bat.flatMap((entry, block) => (entry === 0xffffffff ? [] : [block]))).toEqual([0, 1, 2, 3, 6, 7]);
  });

  it('refuses writes past the end of the disk and leaves the file unchanged', async () => {
    const path = nextPath('range.vhd');
    await createDynamicDisk(path, 1 * MiB);
    const hash = await sha256File(path);
    const disk = await openDisk(path, { writable: true });
    const error = await disk.write(new Uint8Array(2), 1 * MiB - 1).catch((caught: unknown) => caught);
    await disk.close();
    expect(error).toBeInstanceOf(VhdIoError);
    expect((error as VhdIoError).code).toBe('OUT_OF_RANGE');
    expect(await sha256File(path)).toBe(hash);
  });
});

describe('tableEntriesOnFlush', { timeout: 30_000 }, () => {
  it('new blocks are written and read back at once, but their table entries reach the file only at the flush', async () => {
    const path = nextPath('deferred.vhd');
    await createDynamicDisk(path, 4 * MiB, { blockSize: 512 * KiB });
    const first = patternBytes(700 * KiB, 1);
    const second = patternBytes(300 * KiB, 2);
    const disk = await openDisk(path, { writable: true, tableEntriesOnFlush: true });
    try {
      await disk.write(first, 100 * KiB);
      await disk.write(second, 2 * MiB);
      // This process reads what it wrote; the file's table still has no entry (a crash now leaves the empty disk).
      const back = new Uint8Array(first.length);
      await disk.read(back, 100 * KiB);
      expect(firstDifference(back, first)).toBe(-1);
      expect((await rawLayout(path)).bat.every((entry) => entry === 0xffffffff)).toBe(true);
      await disk.flush();
      const flushed = await rawLayout(path);
      expect(flushed.bat.filter((entry) => entry !== 0xffffffff)).toHaveLength(3);
      // A write into a block whose entry is in the file commits the waiting ones before its data goes in.
      await disk.write(patternBytes(10, 3), 3 * MiB + 5);
      expect((await rawLayout(path)).bat.filter((entry) => entry !== 0xffffffff)).toHaveLength(3);
      await disk.write(patternBytes(10, 4), 100 * KiB);
      expect((await rawLayout(path)).bat.filter((entry) => entry !== 0xffffffff)).toHaveLength(4);
    } finally {
      await disk.close();
    }
    const model = new ChainModel(4 * MiB, 1);
    model.write(0, 100 * KiB, first);
    model.write(0, 2 * MiB, second);
    model.write(0, 3 * MiB + 5, patternBytes(10, 3));
    model.write(0, 100 * KiB, patternBytes(10, 4));
    expect(firstDifference(await readWholeDisk(path), model.view(0))).toBe(-1);
  });
});

describe('writing a differencing child', { timeout: 30_000 }, () => {
  it('keeps the rest of a partially written sector from the parent, sets only that sector, never touches the parent', async () => {
    const dir = nextPath('child');
    const parent = `${dir}-parent.vhd`;
    const child = `${dir}-child.vhd`;
    await createDynamicDisk(parent, 3 * MiB, { blockSize: 512 * KiB });
    const parentBytes = patternBytes(3 * MiB, 2);
    await writeIntoDisk(parent, parentBytes, 0);
    await createDifferencingDisk(child, parent);
    const parentHash = await sha256File(parent);
    const parentTimes = await stat(parent);

    const data = patternBytes(10, 3);
    await writeIntoDisk(child, data, 2 * 512 * KiB + 1000);

    const layout = await rawLayout(child);
    const bitmap = await rawBitmap(child, layout, 2);
    expect([...Array(1024).keys()].filter((sector) => bitIsSet(bitmap, sector))).toEqual([1]);
    const dataOffset = layout.bat[2]! * SECTOR + layout.bitmapBytes;
    const file = await readFile(child);
    const expectedSector = parentBytes.slice(2 * 512 * KiB + 512, 2 * 512 * KiB + 1024);
    expectedSector.set(data, 1000 - 512);
    expect(Buffer.from(file.subarray(dataOffset + 512, dataOffset + 1024)).equals(Buffer.from(expectedSector))).toBe(true);
    // Sectors not written stay clear and on disk zero: the parent shows through.
    expect(file.subarray(dataOffset + 1024, dataOffset + 512 * KiB).every((byte) => byte === 0)).toBe(true);

    const expected = parentBytes.slice();
    expected.set(data, 2 * 512 * KiB + 1000);
    expect(firstDifference(await readWholeDisk(child), expected)).toBe(-1);
    expect(await sha256File(parent)).toBe(parentHash);
    expect((await stat(parent)).mtimeMs).toBe(parentTimes.mtimeMs);
  });

  it('never places blocks over parent locator data', async () => {
    const dir = nextPath('locators');
    const parent = `${dir}-parent.vhd`;
    const child = `${dir}-child.vhd`;
    await createDynamicDisk(parent, 8 * MiB, { blockSize: 512 * KiB });
    await createDifferencingDisk(child, parent);
    const disk = await openDisk(child, { writable: true });
    for (let block = 15; block >= 0; block -= 3) await disk.write(patternBytes(4096, block), block * 512 * KiB + 4096);
    await disk.close();
    const layout = await rawLayout(child);
    expect(layout.locators.length).toBeGreaterThanOrEqual(2);
    const regions = [
      ...layout.locators.map((locator) => [locator.offset, locator.offset + Math.max(locator.space, locator.length)] as const),
      [layout.tableOffset, layout.tableOffset + layout.maxTableEntries * 4] as const,
      [0, layout.headerOffset + 1024] as const,
    ];
    const blocks = layout.bat.filter((entry) => entry !== 0xffffffff).map((entry) => [entry * SECTOR, entry * SECTOR + layout.bitmapBytes + layout.blockSize] as const);
    expect(blocks).toHaveLength(6);
    for (const [start, end] of blocks) {
      for (const [regionStart, regionEnd] of regions) expect(start < regionEnd && regionStart < end).toBe(false);
      expect(end).toBeLessThanOrEqual(layout.fileSize - 512);
    }
  });
});

describe('writing a fixed disk', { timeout: 30_000 }, () => {
  it('writes in place and keeps the file size', async () => {
    const path = nextPath('fixed.vhd');
    await createFixedDisk(path, 2 * MiB);
    const size = (await stat(path)).size;
    const data = patternBytes(3000, 4);
    await writeIntoDisk(path, data, 777);
    const file = await readFile(path);
    expect(file.length).toBe(size);
    expect(Buffer.from(file.subarray(777, 3777)).equals(Buffer.from(data))).toBe(true);
    const expected = new Uint8Array(2 * MiB);
    expected.set(data, 777);
    expect(firstDifference(await readWholeDisk(path), expected)).toBe(-1);
  });
});

describe.skipIf(!qemu.available)('QEMU reads what we write', { timeout: 30_000 }, () => {
  it('qemu-img convert -O raw of a dynamic image we wrote equals the model', async () => {
    const path = nextPath('qemu.vhd');
    await createDynamicDisk(path, 5 * MiB, { blockSize: 2 * MiB });
    const model = new ChainModel(5 * MiB, 1);
    for (const [index, [offset, length]] of [[3, 5000], [2 * MiB - 1, 2], [4 * MiB + 511, 1 * MiB - 511], [1 * MiB, 1]].entries()) {
      const bytes = patternBytes(length, 40 + index);
      await writeIntoDisk(path, bytes, offset);
      model.write(0, offset, bytes);
    }
    const raw = `${path}.raw`;
    const result = run(qemu.command, ['convert', '-O', 'raw', '--image-opts', `driver=vpc,force_size_calc=current_size,file.driver=file,file.filename=${path}`, raw]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(firstDifference(await readFile(raw), model.view(0))).toBe(-1);
  });
});
