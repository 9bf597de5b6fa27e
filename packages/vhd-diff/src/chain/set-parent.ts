import { realpath } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import {
  MAX_PARENT_NAME_UNITS,
  PARENT_LOCATOR_COUNT,
  diskTypeName,
  emptyLocatorEntry,
  encodeDynamicHeader,
  encodeLocatorPath,
  heldRuns,
  isUnusedLocator,
  locatorDataSpace,
  locatorRegionOffset,
  uniqueIdToString,
  uniqueIdsEqual,
} from '@vhdkit/vhd-format';
import type { DynamicHeader, ParentLocatorEntry } from '@vhdkit/vhd-format';
import { readImageMetadata, windowsAbsolutePath, windowsRelativePath } from './creation-api.js';
import type { ImageMetadata } from './creation-api.js';
import { mergeRanges } from './disk.js';
import type { ChainDisk } from './disk.js';
import { chainError, withIo } from './errors.js';
import { writeFully } from '../file-io.js';
import { ImageFile } from './image-file.js';
import { requireUsableGeometry } from './geometry-guard.js';
import { requireRoomInChain } from './chain-depth.js';
import { openChain, vhdSecondsOfMtime } from './open-disk.js';
import type { ByteRange } from './types.js';

/** Bytes compared at a time by the forced content check. */
const COMPARE_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Points a differencing child at `newParentPath`: rewrites the header's parent unique id, parent
 * timestamp (the new parent's mtime), parent name and W2ku/W2ru locators. The new parent must carry
 * the unique id the child records; with `force`, a different id is accepted when every byte the child
 * does not hold itself reads the same from the new parent as from the current one (which must open).
 *
 * Write order: new locator data into fresh space (see placeLocators), fsync, then the header in one write: an
 * interrupted setParent leaves the child on its old parent or its new one, never between.
 */
export async function setParent(childPath: string, newParentPath: string, options: { force?: boolean } = {}): Promise<void> {
  const child = resolve(childPath);
  const parentPath = resolve(newParentPath);
  const childMeta = await readImageMetadata(child, { bat: false });
  const header = childMeta.header;
  if (childMeta.footer.diskType !== 4 || !header) {
    throw chainError('UNSUPPORTED', 'only a differencing image has a parent to set', child, undefined, {
      reason: 'not-differencing', operation: 'set-parent', path: child, diskType: diskTypeName(childMeta.footer.diskType) ?? String(childMeta.footer.diskType),
    });
  }
  const parentMeta = await readImageMetadata(parentPath, { bat: false });
  requireUsableGeometry(childMeta);
  requireUsableGeometry(parentMeta);
  await refuseLoop(child, parentPath);
  await requireRoomInChain(parentMeta);
  if (parentMeta.footer.currentSize !== childMeta.footer.currentSize) {
    throw chainError('PARENT_MISMATCH', `${parentPath} is ${parentMeta.footer.currentSize} bytes; the child is ${childMeta.footer.currentSize}`, child);
  }
  if (!uniqueIdsEqual(parentMeta.footer.uniqueId, header.parentUniqueId)) {
    if (!options.force) {
      throw chainError(
        'PARENT_MISMATCH',
        `${parentPath} has unique id ${uniqueIdToString(parentMeta.footer.uniqueId)} but the child expects ${uniqueIdToString(header.parentUniqueId)} (use force to compare contents instead)`,
        child,
        undefined,
        { reason: 'new-parent-id', parentPath, parentId: uniqueIdToString(parentMeta.footer.uniqueId), expectedId: uniqueIdToString(header.parentUniqueId) },
      );
    }
    await requireSameVisibleContent(child, parentPath);
  }
  await rewriteParentFields(child, parentMeta);
}

/** The new parent's chain must not contain the child. */
async function refuseLoop(child: string, parentPath: string): Promise<void> {
  const childIdentity = await withIo(child, () => realpath(child));
  let chain: ChainDisk;
  try {
    chain = await openChain(parentPath, { timestampMismatch: 'accept' });
  } catch (error) {
    if ((error as { code?: string }).code === 'CHAIN_LOOP') throw error;
    return; // an unopenable chain above the new parent cannot contain the child; the child's next open reports it
  }
  try {
    for (let layer: ChainDisk | undefined = chain; layer; layer = layer.parent) {
      if ((await withIo(layer.path, () => realpath(layer.path))) === childIdentity) {
        throw chainError('CHAIN_LOOP', `${parentPath} is ${child} or built on it`, child);
      }
    }
  } finally {
    await chain.close();
  }
}

/** Every sector the child does not hold must read the same through the old and the new parent. */
async function requireSameVisibleContent(child: string, newParentPath: string): Promise<void> {
  const current = await openChain(child, { timestampMismatch: 'accept' });
  try {
    const candidate = await openChain(newParentPath, { timestampMismatch: 'accept' });
    try {
      const oldParent = current.parent!;
      const oldBytes = new Uint8Array(COMPARE_CHUNK_BYTES);
      const newBytes = new Uint8Array(COMPARE_CHUNK_BYTES);
      // Where neither parent chain holds anything both read zeros: only the held ranges are compared.
      const held = mergeRanges([...oldParent.allocatedRanges(), ...candidate.allocatedRanges()]);
      for (const range of intersectRanges(await notOwnRanges(current), held)) {
        for (let offset = range.offset; offset < range.offset + range.length; offset += COMPARE_CHUNK_BYTES) {
          const length = Math.min(COMPARE_CHUNK_BYTES, range.offset + range.length - offset);
          await oldParent.fill(oldBytes.subarray(0, length), offset);
          await candidate.fill(newBytes.subarray(0, length), offset);
          const at = firstDifference(oldBytes.subarray(0, length), newBytes.subarray(0, length));
          if (at >= 0) {
            throw chainError('PARENT_MISMATCH', `${newParentPath} differs from the current parent at virtual offset ${offset + at}, where the child reads the parent`, child);
          }
        }
      }
    } finally {
      await candidate.close();
    }
  } finally {
    await current.close();
  }
}

/** Virtual ranges where the child reads its parent (unallocated blocks and clear bitmap bits). */
async function notOwnRanges(disk: ChainDisk): Promise<ByteRange[]> {
  const file = disk.file;
  const { blockSize } = file.geometry!;
  const ranges: ByteRange[] = [];
  const push = (offset: number, length: number): void => {
    const last = ranges.at(-1);
    if (last && last.offset + last.length === offset) last.length += length;
    else ranges.push({ offset, length });
  };
  for (let blockIndex = 0; blockIndex * blockSize < disk.virtualSize; blockIndex++) {
    const blockStart = blockIndex * blockSize;
    const blockEnd = Math.min(blockStart + blockSize, disk.virtualSize);
    // The per-sector decision every chain read makes (vhd-format's heldRuns): runs not held come from the parent.
    const state = file.isAllocated(blockIndex) ? await file.blockState(blockIndex) : undefined;
    for (const run of heldRuns(state, 0, blockEnd - blockStart)) if (!run.held) push(blockStart + run.from, run.to - run.from);
  }
  return ranges;
}

/** Intersection of two sorted lists of disjoint ranges. */
function intersectRanges(a: readonly ByteRange[], b: readonly ByteRange[]): ByteRange[] {
  const result: ByteRange[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const start = Math.max(a[i]!.offset, b[j]!.offset);
    const aEnd = a[i]!.offset + a[i]!.length;
    const bEnd = b[j]!.offset + b[j]!.length;
    const end = Math.min(aEnd, bEnd);
    if (end > start) result.push({ offset: start, length: end - start });
    if (aEnd <= bEnd) i++;
    else j++;
  }
  return result;
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length))) return -1;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return index;
  return -1;
}

interface PlannedLocator {
  platformCode: 'W2ku' | 'W2ru';
  data: Uint8Array;
}

async function rewriteParentFields(child: string, parent: ImageMetadata): Promise<void> {
  const file = await ImageFile.open(child, true);
  try {
    const header = file.header!;
    const planned: PlannedLocator[] = [{ platformCode: 'W2ku', data: encodeLocatorPath('W2ku', windowsAbsolutePath(parent.path)) }];
    const relative = windowsRelativePath(dirname(child), parent.path);
    if (relative !== undefined) planned.push({ platformCode: 'W2ru', data: encodeLocatorPath('W2ru', relative) });
    const locators = await placeLocators(file, planned);
    const updated: DynamicHeader = {
      ...header,
      parentUniqueId: parent.footer.uniqueId.slice(),
      parentTimestamp: vhdSecondsOfMtime(parent.mtime),
      // The specification's choice, as createDifferencingDisk writes it: the parent's file name.
      parentUnicodeName: basename(parent.path).slice(0, MAX_PARENT_NAME_UNITS),
      parentLocators: locators,
    };
    await withIo(child, async () => {
      await file.handle.datasync();
      await writeFully(file.handle, encodeDynamicHeader(updated), Number(file.metadata.footer.dataOffset));
      await file.handle.sync();
    });
  } finally {
    await file.close();
  }
}

/**
 * Places each planned locator's data and returns the 8 header entries. Data the current header references is
 * never overwritten: a locator whose region already holds exactly the planned bytes keeps it; any other goes to
 * a new 4 KiB-aligned region at the end of the data (the footer is written past it first, so the file ends in a
 * footer at every moment). The header write that follows is then the single step that switches parent id,
 * timestamp, name and locators together: killed before it, the child still names its old parent; after it, the
 * new one. The price is that replaced regions (4 KiB each) stay in the file, unreferenced.
 */
async function placeLocators(file: ImageFile, planned: PlannedLocator[]): Promise<ParentLocatorEntry[]> {
  // Entries the reader refused (outside the data area, too long) are never read, nor kept.
  const rejected = file.metadata.image.rejectedLocators;
  const existing = file.header!.parentLocators.filter((entry, index) => !isUnusedLocator(entry) && !rejected.has(index));
  const entries: ParentLocatorEntry[] = [];
  const writes: { offset: number; bytes: Uint8Array }[] = [];
  let appendAt = locatorRegionOffset(file.dataEnd);
  for (const locator of planned) {
    const unchanged = await regionHolding(file, existing, locator);
    if (unchanged) {
      entries.push(unchanged);
      continue;
    }
    // The space Windows reserves (layout.ts): 4 KiB multiples, 64 KiB at least for W2ru.
    const spaceBytes = locatorDataSpace(locator.platformCode, locator.data.length);
    const region = new Uint8Array(spaceBytes);
    region.set(locator.data);
    writes.push({ offset: appendAt, bytes: region });
    entries.push({ platformCode: locator.platformCode, platformDataSpace: spaceBytes, platformDataLength: locator.data.length, reserved: 0, platformDataOffset: appendAt });
    appendAt += spaceBytes;
  }
  await withIo(file.path, async () => {
    if (writes.length > 0) await writeFully(file.handle, file.footerBytes(), appendAt);
    for (const write of writes) await writeFully(file.handle, write.bytes, write.offset);
  });
  while (entries.length < PARENT_LOCATOR_COUNT) entries.push(emptyLocatorEntry());
  return entries;
}

/** The current entry of the same code whose region already holds exactly `locator.data`, if any. */
async function regionHolding(file: ImageFile, existing: readonly ParentLocatorEntry[], locator: PlannedLocator): Promise<ParentLocatorEntry | undefined> {
  for (const entry of existing) {
    if (entry.platformCode !== locator.platformCode || entry.platformDataLength !== locator.data.length) continue;
    const stored = new Uint8Array(locator.data.length);
    await file.readAt(stored, entry.platformDataOffset);
    if (firstDifference(stored, locator.data) === -1) return entry;
  }
  return undefined;
}
