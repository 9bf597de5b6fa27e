import { copyFile, open, readFile, readdir, stat, utimes } from 'node:fs/promises';
import { describe, expect, it, vi } from 'vitest';
import { interop, run, sha256File, testFolder } from '@vhdkit/test-support';
import { locatorDataSpaceBytes } from '@vhdkit/vhd-format';
import {
  check,
  convert,
  createDifferencingDisk,
  createDynamicDisk,
  createFixedDisk,
  merge,
  openDisk,
  readImageMetadata,
  resolveParentPath,
  setParent,
} from '../src/index.js';
import type { WriteProgress } from '../src/index.js';
import { KiB, MiB, SECTOR, bitIsSet, footerUniqueId, patternBytes, rawBitmap, rawLayout, sorted } from './helpers/chain-images.js';
import { ChainModel, firstDifference } from './helpers/chain-model.js';
import { expectVhdIoError, readWholeDisk, writeIntoDisk } from './helpers/disk-io.js';

const qemu = interop('qemu-img');

const folder = testFolder('vhdkit-chain-merge-');
const nextPath = folder.nextPath;

/** A written parent (fixed, dynamic or differencing over a dynamic base) and an empty child of it. */
async function family(kind: 'fixed' | 'dynamic' | 'differencing', sizeBytes = 3 * MiB) {
  const base = nextPath(`${kind}-base.vhd`);
  const model = new ChainModel(sizeBytes, 1);
  if (kind === 'fixed') await createFixedDisk(base, sizeBytes);
  else await createDynamicDisk(base, sizeBytes, { blockSize: 512 * KiB });
  const baseBytes = patternBytes(sizeBytes, 1);
  await writeIntoDisk(base, baseBytes, 0);
  model.write(0, 0, baseBytes);
  let parent = base;
  if (kind === 'differencing') {
    parent = nextPath('middle.vhd');
    await createDifferencingDisk(parent, base);
    model.addLayer();
    const middleBytes = patternBytes(700 * KiB, 2);
    await writeIntoDisk(parent, middleBytes, 300 * KiB + 3);
    model.write(1, 300 * KiB + 3, middleBytes);
  }
  const child = nextPath('child.vhd');
  await createDifferencingDisk(child, parent);
  model.addLayer();
  return { base, parent, child, model, top: model.layers.length - 1 };
}

/** Small unaligned writes: partial blocks and partial sectors, so a whole-block merge would lose parent bytes. */
async function scribble(child: string, model: ChainModel, top: number): Promise<number> {
  const writes: [number, number][] = [[1000, 10], [512 * KiB + 4095, 2], [1 * MiB + 512, 3 * 512], [2 * MiB - 1, 600 * KiB]];
  const disk = await openDisk(child, { writable: true });
  for (const [index, [offset, length]] of writes.entries()) {
    const bytes = patternBytes(length, 100 + index);
    await disk.write(bytes, offset);
    model.write(top, offset, bytes);
  }
  await disk.close();
  return model.layers[top]!.owned.reduce((sum, owned) => sum + owned, 0);
}

describe('merge', { timeout: 30_000 }, () => {
  for (const kind of ['fixed', 'dynamic', 'differencing'] as const) {
    it(`copies exactly the child's marked sectors into a ${kind} parent, then deletes the child`, async () => {
      const { base, parent, child, model, top } = await family(kind);
      const markedSectors = await scribble(child, model, top);
      const baseHash = await sha256File(base);
      const progress: WriteProgress[] = [];
      const result = await merge(child, { onProgress: (update) => progress.push(update) });
      model.mergeDown(top);
      expect(result).toEqual({ childPath: child, parentPath: parent, sectorsCopied: markedSectors, bytesCopied: markedSectors * SECTOR });
      expect(firstDifference(await readWholeDisk(parent), model.view(top - 1))).toBe(-1);
      await expect(stat(child)).rejects.toThrow();
      expect((await readdir(folder.path())).filter((name) => name.includes('journal'))).toEqual([]);
      expect(progress.at(-1)).toEqual({ bytesWritten: result.bytesCopied, totalBytes: result.bytesCopied });
      expect(progress.every((update, index) => index === 0 || update.bytesWritten >= progress[index - 1]!.bytesWritten)).toBe(true);
      if (kind === 'differencing') {
        expect(await sha256File(base)).toBe(baseHash);
        // The middle layer now owns its old sectors plus exactly the child's.
        const layout = await rawLayout(parent);
        for (let block = 0; block < layout.maxTableEntries; block++) {
          const owned = model.layers[1]!.owned.subarray((block * 512 * KiB) / SECTOR, ((block + 1) * 512 * KiB) / SECTOR);
          if (layout.bat[block] === 0xffffffff) {
            expect(owned.every((flag) => flag === 0)).toBe(true);
            continue;
          }
          const bitmap = await rawBitmap(parent, layout, block);
          for (let sector = 0; sector < owned.length; sector++) expect(bitIsSet(bitmap, sector)).toBe(owned[sector] === 1);
        }
      }
    });
  }

  it('stops on abort leaving a resumable merge; running it again finishes it', async () => {
    const first = await family('dynamic', 6 * MiB);
    const disk = await openDisk(first.child, { writable: true });
    for (let block = 0; block < 12; block += 2) {
      const bytes = patternBytes(512 * KiB - 1024, block);
      await disk.write(bytes, block * 512 * KiB + 512);
      first.model.write(first.top, block * 512 * KiB + 512, bytes);
    }
    await disk.close();
    const controller = new AbortController();
    let calls = 0;
    const error = await expectVhdIoError(
      merge(first.child, {
        signal: controller.signal,
        onProgress: () => {
          if (++calls === 2) controller.abort(); // after the first group reached the parent
        },
      }),
    );
    expect(error.code).toBe('ABORTED');
    expect((await stat(first.child)).isFile()).toBe(true);
    expect((await stat(`${first.child}.merge-journal`)).isFile()).toBe(true);
    // The journal lets the resumed merge accept the parent's new modification time.
    const resumed = await merge(first.child);
    expect(resumed.parentPath).toBe(first.parent);
    first.model.mergeDown(first.top);
    expect(firstDifference(await readWholeDisk(first.parent), first.model.view(0))).toBe(-1);
    await expect(stat(`${first.child}.merge-journal`)).rejects.toThrow();
  });

  it('refuses a dynamic image and a child whose parent changed since', async () => {
    const { parent, child } = await family('dynamic');
    expect((await expectVhdIoError(merge(parent))).code).toBe('UNSUPPORTED');
    const { mtime } = await stat(parent);
    await utimes(parent, mtime, new Date(mtime.getTime() + 5000));
    expect((await expectVhdIoError(merge(child))).code).toBe('PARENT_TIMESTAMP_MISMATCH');
    expect((await stat(child)).isFile()).toBe(true);
  });
});

describe('setParent', { timeout: 30_000 }, () => {
  it('re-points a child at a moved copy of its parent: id, timestamp, name and locators', async () => {
    const { parent, child, model, top } = await family('dynamic');
    await scribble(child, model, top);
    const copy = nextPath('moved-parent.vhd');
    await copyFile(parent, copy);
    const before = await readFile(child);
    const oldLocators = (await readImageMetadata(child)).header!.parentLocators.filter((entry) => entry.platformDataLength > 0);
    await setParent(child, copy);
    // The new locator data went to fresh space: the regions the old header referenced are untouched.
    const after = await readFile(child);
    for (const entry of oldLocators) {
      const region = (bytes: Buffer) => bytes.subarray(entry.platformDataOffset, entry.platformDataOffset + locatorDataSpaceBytes(entry));
      expect(region(after).equals(region(before))).toBe(true);
    }
    expect(after.length).toBeGreaterThan(before.length);
    // Pointing at the same parent again finds the same locator bytes in place and appends nothing.
    await setParent(child, copy);
    expect((await stat(child)).size).toBe(after.length);
    const metadata = await readImageMetadata(child);
    expect((await resolveParentPath(metadata)).path).toBe(copy);
    expect(metadata.header?.parentUnicodeName).toBe(copy.split('/').at(-1));
    expect(sorted(metadata.parentLocatorPaths.map((locator) => locator.platformCode))).toEqual(['W2ku', 'W2ru']);
    expect(metadata.header?.parentTimestamp).toBe(Math.floor((await stat(copy)).mtimeMs / 1000) - 946_684_800);
    expect((await readImageMetadata(child)).problems).toEqual([]);
    const disk = await openDisk(child);
    expect(disk.parent?.path).toBe(copy);
    await disk.close();
    expect(firstDifference(await readWholeDisk(child), model.view(top))).toBe(-1);
  });

  it('refuses another disk unless forced, and forced only when the bytes the child shows from it are equal', async () => {
    const { parent, child, model, top } = await family('dynamic');
    await scribble(child, model, top);
    const sameContent = nextPath('same-content.vhd');
    await convert(parent, sameContent, { type: 'dynamic' });
    expect((await expectVhdIoError(setParent(child, sameContent))).code).toBe('PARENT_MISMATCH');

    const differsUnderChild = nextPath('differs-under-child.vhd');
    await convert(parent, differsUnderChild, { type: 'dynamic' });
    await writeIntoDisk(differsUnderChild, patternBytes(10, 9), 1000); // only where the child holds its own sectors
    const differsVisibly = nextPath('differs-visibly.vhd');
    await convert(parent, differsVisibly, { type: 'dynamic' });
    await writeIntoDisk(differsVisibly, patternBytes(10, 9), 2 * 512 * KiB + 7);

    const forced = await expectVhdIoError(setParent(child, differsVisibly, { force: true }));
    expect(forced.code).toBe('PARENT_MISMATCH');
    expect(forced.message).toContain(String(2 * 512 * KiB + 7));
    await setParent(child, differsUnderChild, { force: true });
    const header = (await readImageMetadata(child)).header!;
    expect(Buffer.from(header.parentUniqueId).equals(Buffer.from(await footerUniqueId(differsUnderChild)))).toBe(true);
    expect(firstDifference(await readWholeDisk(child), model.view(top))).toBe(-1);
  });

  it('refuses to make a loop', async () => {
    const { child } = await family('dynamic');
    const grandchild = nextPath('grandchild.vhd');
    await createDifferencingDisk(grandchild, child);
    expect((await expectVhdIoError(setParent(child, grandchild, { force: true }))).code).toBe('CHAIN_LOOP');
    expect((await expectVhdIoError(setParent(child, child, { force: true }))).code).toBe('CHAIN_LOOP');
  });
});

describe('convert', { timeout: 30_000 }, () => {
  it('flattens a chain to dynamic (zero blocks skipped) and fixed images that read like the chain', async () => {
    const { child, model, top } = await family('differencing', 4 * MiB);
    await scribble(child, model, top);
    const zeros = new Uint8Array(512 * KiB);
    await writeIntoDisk(child, zeros, 3 * 512 * KiB); // a whole block of zeros: skipped in the dynamic copy
    model.write(top, 3 * 512 * KiB, zeros);
    const expected = model.view(top);
    const dynamic = nextPath('flat-dynamic.vhd');
    const fixed = nextPath('flat-fixed.vhd');
    const madeDynamic = await convert(child, dynamic, { type: 'dynamic' });
    const madeFixed = await convert(child, fixed, { type: 'fixed' });
    expect(madeDynamic).toMatchObject({ path: dynamic, diskType: 'dynamic', virtualSize: 4 * MiB, blockSize: 512 * KiB, fileSize: (await stat(dynamic)).size });
    expect(madeFixed).toMatchObject({ path: fixed, diskType: 'fixed', virtualSize: 4 * MiB, fileSize: 4 * MiB + 512 });
    expect(firstDifference(await readWholeDisk(dynamic), expected)).toBe(-1);
    expect(firstDifference(await readWholeDisk(fixed), expected)).toBe(-1);
    expect(firstDifference((await readFile(fixed)).subarray(0, 4 * MiB), expected)).toBe(-1);
    const nonZeroBlocks = [...Array(8).keys()].filter((block) => expected.subarray(block * 512 * KiB, (block + 1) * 512 * KiB).some((byte) => byte !== 0));
    const disk = await openDisk(dynamic);
    expect(disk.allocatedBlockCount()).toBe(nonZeroBlocks.length);
    await disk.close();
    expect(nonZeroBlocks).not.toContain(3);
    expect((await readdir(folder.path())).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    if (qemu.available) {
      const raw = `${dynamic}.raw`;
      const result = run(qemu.command, ['convert', '-O', 'raw', '--image-opts', `driver=vpc,force_size_calc=current_size,file.driver=file,file.filename=${dynamic}`, raw]);
      expect(result.status, result.stderr).toBe(0);
      expect(firstDifference(await readFile(raw), expected)).toBe(-1);
    }
  });

  it('syncs the temporary image once, at the end, not between the steps of every write (blockingReads too)', async () => {
    const { child, model, top } = await family('differencing', 4 * MiB);
    await writeIntoDisk(child, patternBytes(4 * MiB, 21), 0); // every block of the copy allocates a new block
    model.write(top, 0, patternBytes(4 * MiB, 21));
    const probe = await open(child, 'r');
    const prototype = Object.getPrototypeOf(probe) as { sync: () => Promise<void>; datasync: () => Promise<void> };
    await probe.close();
    const syncs = vi.spyOn(prototype, 'sync');
    const datasyncs = vi.spyOn(prototype, 'datasync');
    try {
      const destination = nextPath('synced-once.vhd');
      await convert(child, destination, { type: 'dynamic', blockingReads: true });
      // 8 new blocks written one by one take 8 fdatasyncs on a visible image; here: none. The syncs: the
      // empty image and its folder when it is made, the full image before it is published, the folder after.
      expect(datasyncs).not.toHaveBeenCalled();
      expect(syncs).toHaveBeenCalledTimes(4);
      expect(firstDifference(await readWholeDisk(destination), model.view(top))).toBe(-1);
      expect((await check(destination)).ok).toBe(true);
    } finally {
      syncs.mockRestore();
      datasyncs.mockRestore();
    }
  });

  it('never replaces an existing destination', async () => {
    const { child } = await family('dynamic');
    const existing = nextPath('existing.vhd');
    await createFixedDisk(existing, 1 * MiB);
    const hash = await sha256File(existing);
    expect((await expectVhdIoError(convert(child, existing, { type: 'dynamic' }))).code).toBe('ALREADY_EXISTS');
    expect(await sha256File(existing)).toBe(hash);
    expect((await readdir(folder.path())).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
