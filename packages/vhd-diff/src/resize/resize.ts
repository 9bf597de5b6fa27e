import { open, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  FOOTER_SIZE,
  SECTOR_SIZE,
  SectorBitmap,
  UNUSED_BAT_ENTRY,
  blockOffsetForNewBlock,
  decodeFooter,
  encodeDynamicHeader,
  encodeFooter,
  isUnusedLocator,
  isValidVirtualSize,
  locatorDataSpaceBytes,
  regionsInTheWay,
  resizedFooter,
  sectorBitmapByteSize,
  tableEntriesFor,
  tableRegionEnd,
  type DynamicHeader,
  type FileRegion,
  uniqueIdsEqual,
  type Footer,
} from '@vhdkit/vhd-format';
import { VhdIoError, throwIfAborted } from '../errors.js';
import { isAllZero, readFully, writeFully } from '../file-io.js';
import { readImageMetadata, type ImageMetadata } from '../metadata.js';
import { withIo } from '../chain/errors.js';
import { openDisk } from '../chain/open-disk.js';
import type { ProgressOptions } from '../chain/types.js';

/** What a resize did. */
export interface ResizeResult {
  path: string;
  diskType: 'fixed' | 'dynamic' | 'differencing';
  oldSize: number;
  newSize: number;
  /** Blocks moved to the end of the file to give the BAT room (dynamic and differencing grows only). */
  blocksMoved: number;
  /** Parent locator data areas moved for the same reason. */
  locatorsMoved: number;
}

/** Fixed shrinks scan the bytes past the new end this many at a time. */
const SCAN_BYTES = 4 * 1024 * 1024;

/**
 * Changes the virtual size of a fixed, dynamic or differencing image in place, crash-safely (the steps are in
 * the vhd-diff README, "Resize"). Growing is always possible; shrinking only when nothing past the new end holds
 * data (dynamic: no sector marked in a bitmap; fixed: only zero bytes), else VhdIoError 'OUT_OF_RANGE' with the
 * bytes in the way. A differencing disk must keep its parent's size: it can only be resized to the size its parent
 * has (after the parent was resized), else 'UNSUPPORTED'.
 */
export async function resize(path: string, newSize: number, options: ProgressOptions = {}): Promise<ResizeResult> {
  const absolutePath = resolve(path);
  if (!isValidVirtualSize(newSize)) {
    throw new VhdIoError('OUT_OF_RANGE', `the new size ${newSize} is not a positive multiple of 512 bytes up to 2040 GiB`, {
      path: absolutePath,
      params: { reason: 'resize-size', size: String(newSize) },
    });
  }
  throwIfAborted(options.signal, absolutePath);
  const metadata = await readImageMetadata(absolutePath, { strict: true });
  const diskType = metadata.footer.diskType === 2 ? 'fixed' : metadata.footer.diskType === 3 ? 'dynamic' : 'differencing';
  if (diskType === 'differencing') await requireParentSize(absolutePath, newSize);
  const result: ResizeResult = { path: absolutePath, diskType, oldSize: metadata.footer.currentSize, newSize, blocksMoved: 0, locatorsMoved: 0 };
  const handle = await withIo(absolutePath, () => open(absolutePath, 'r+'));
  try {
    const file = { handle, path: absolutePath, metadata, signal: options.signal };
    if (newSize === result.oldSize) {
      if (diskType !== 'fixed') await finishFooterCopy(file);
    } else if (diskType === 'fixed') {
      await resizeFixed(file, newSize);
    } else {
      Object.assign(result, await resizeDynamic(file, newSize));
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
  options.onProgress?.({ bytesWritten: 1, totalBytes: 1 });
  return result;
}

interface OpenImage {
  handle: FileHandle;
  path: string;
  metadata: ImageMetadata;
  signal: AbortSignal | undefined;
}

/**
 * Windows' ExpandVirtualDisk works on fixed and dynamic disks only and leaves any child of the expanded disk
 * invalid: a chain has one size. So a child may only follow its parent's new size.
 */
async function requireParentSize(childPath: string, newSize: number): Promise<void> {
  const disk = await openDisk(childPath, { timestampMismatch: 'accept' });
  const parentSize = disk.parent!.virtualSize;
  await disk.close();
  if (parentSize !== newSize) {
    throw new VhdIoError('UNSUPPORTED', `${childPath} is a differencing disk: its size follows its parent's (${parentSize} bytes), not ${newSize}`, {
      path: childPath,
      params: { reason: 'resize-differencing', parentSize: String(parentSize), size: String(newSize) },
    });
  }
}

/**
 * Fixed: the data area ends where the footer starts, so the footer moves. Growing writes the new footer at the new
 * end first (the file is then the new disk), then zeroes the old footer's sector, which now lies in the new part
 * of the disk. Shrinking writes the new footer at the new end, then truncates. Between the two steps of either, a
 * crash leaves a footer's 512 bytes in a part of the disk no guest has used yet (grow: the first sector past the
 * old end; shrink: the first sector past the new end, which lies outside the disk once the shrink completes).
 */
async function resizeFixed(file: OpenImage, newSize: number): Promise<void> {
  const { handle, path, metadata } = file;
  const oldSize = metadata.footer.currentSize;
  if (metadata.fileSize < oldSize + FOOTER_SIZE - 1) {
    throw new VhdIoError('CORRUPT', `${path} is shorter than its ${oldSize}-byte data area`, { path, params: { reason: 'fixed-short', path, size: String(oldSize) } });
  }
  if (newSize < oldSize) await refuseNonZeroTail(file, newSize, oldSize);
  throwIfAborted(file.signal, path);
  const footer = encodeFooter(resizedFooter(metadata.footer, newSize));
  await withIo(path, async () => {
    await writeFully(handle, footer, newSize);
    await handle.datasync();
    if (newSize > oldSize) await writeFully(handle, new Uint8Array(SECTOR_SIZE), oldSize);
    else await handle.truncate(newSize + FOOTER_SIZE);
    await handle.datasync();
  });
}

async function refuseNonZeroTail(file: OpenImage, newSize: number, oldSize: number): Promise<void> {
  const buffer = new Uint8Array(SCAN_BYTES);
  let nonZeroSectors = 0;
  for (let offset = newSize; offset < oldSize; offset += SCAN_BYTES) {
    throwIfAborted(file.signal, file.path);
    const piece = buffer.subarray(0, Math.min(SCAN_BYTES, oldSize - offset));
    await withIo(file.path, () => readFully(file.handle, piece, offset));
    for (let sector = 0; sector < piece.length; sector += SECTOR_SIZE) {
      if (!isAllZero(piece.subarray(sector, sector + SECTOR_SIZE))) nonZeroSectors++;
    }
  }
  if (nonZeroSectors > 0) throw inTheWay(file.path, newSize, nonZeroSectors * SECTOR_SIZE, 'bytes');
}

/** `holder`: 'bytes' (a fixed disk's non-zero sectors) or 'bitmaps' (sectors marked in a dynamic disk's bitmaps). */
function inTheWay(path: string, newSize: number, bytes: number, holder: 'bytes' | 'bitmaps'): VhdIoError {
  const what = holder === 'bytes' ? 'non-zero sectors' : 'sectors marked in block bitmaps';
  return new VhdIoError('OUT_OF_RANGE', `cannot shrink ${path} to ${newSize} bytes: ${bytes} bytes past the new end hold data (${what})`, {
    path,
    params: { reason: 'resize-in-the-way', size: String(newSize), bytes: String(bytes), holder },
  });
}

/** A block (bitmap + data) or a locator's data area, and what to do to move it. */
type Movable = FileRegion & ({ kind: 'block'; blockIndex: number } | { kind: 'locator'; locatorIndex: number });

/**
 * Dynamic and differencing. When the BAT must grow past the room it has, whatever lies after it (blocks, the
 * relative locator Windows puts there) moves to the end of the file first, one at a time, as Hyper-V does:
 *   new footer position first (the file always ends in a valid footer), copy, fdatasync, switch the reference
 *   (BAT entry or header), fdatasync.
 * A crash leaves either reference valid, both pointing at the same bytes. Then the new BAT entries are written
 * (unused), the header gets the new entry count, and last the footers get the new size: until that trailing
 * footer write the image is the old disk, after it the new one.
 */
async function resizeDynamic(file: OpenImage, newSize: number): Promise<Pick<ResizeResult, 'blocksMoved' | 'locatorsMoved'>> {
  const { path, metadata } = file;
  const header = { ...metadata.header! };
  const bat = metadata.bat!;
  const { blockSize } = header;
  const bitmapBytes = sectorBitmapByteSize(blockSize);
  const moved = { blocksMoved: 0, locatorsMoved: 0 };
  const newEntries = tableEntriesFor(newSize, blockSize);
  let footerOffset = metadata.fileSize - FOOTER_SIZE;
  if (metadata.fileSize % SECTOR_SIZE !== 0) {
    throw new VhdIoError('CORRUPT', `${path} ends in a 511-byte footer; repair it first (vpc check --repair)`, { path, params: { reason: 'short-footer', path } });
  }
  if (newSize < metadata.footer.currentSize) {
    await refuseMarkedTail(file, header, bat, newSize);
  } else if (newEntries > header.maxTableEntries) {
    const newTableEnd = tableRegionEnd(header.tableOffset, newEntries);
    const headerOffset = Number(metadata.footer.dataOffset);
    if (headerOffset >= header.tableOffset && headerOffset < newTableEnd) {
      throw new VhdIoError('UNSUPPORTED', `${path} has its dynamic header after the BAT; growing would overwrite it`, { path, params: { reason: 'resize-layout', path } });
    }
    const obstacles = regionsInTheWay(movableRegions(header, bat, bitmapBytes), header.tableOffset, newTableEnd);
    obstacles.sort((a, b) => a.start - b.start);
    // Everything moved (and the grown table itself) must end up past the new table's end.
    let cursor = Math.max(footerOffset, newTableEnd);
    for (const region of obstacles) {
      throwIfAborted(file.signal, path);
      if (region.kind === 'block') {
        const bitmapOffset = blockOffsetForNewBlock(cursor, bitmapBytes);
        cursor = bitmapOffset + bitmapBytes + blockSize;
        footerOffset = await moveBytes(file, region, bitmapOffset, cursor);
        await writeBatEntry(file, header, region.blockIndex, bitmapOffset / SECTOR_SIZE);
        bat[region.blockIndex] = bitmapOffset / SECTOR_SIZE;
        moved.blocksMoved++;
      } else {
        const target = cursor;
        cursor = target + (region.end - region.start);
        footerOffset = await moveBytes(file, region, target, cursor);
        const locators = header.parentLocators.map((entry) => ({ ...entry }));
        locators[region.locatorIndex]!.platformDataOffset = target;
        header.parentLocators = locators;
        await writeHeader(file, header);
        moved.locatorsMoved++;
      }
    }
    if (cursor > footerOffset) footerOffset = await writeFooterAt(file, metadata.footer, cursor);
    await withIo(path, async () => {
      const oldEntriesEnd = header.tableOffset + header.maxTableEntries * 4;
      await writeFully(file.handle, new Uint8Array(newTableEnd - oldEntriesEnd).fill(0xff), oldEntriesEnd);
      await file.handle.datasync();
    });
    header.maxTableEntries = newEntries;
    await writeHeader(file, header);
  }
  throwIfAborted(file.signal, path);
  await writeFooters(file, resizedFooter(metadata.footer, newSize), footerOffset);
  return moved;
}

/** Blocks and locator data areas, where they are in the file. */
function movableRegions(header: DynamicHeader, bat: Uint32Array, bitmapBytes: number): Movable[] {
  const regions: Movable[] = [];
  bat.forEach((entry, blockIndex) => {
    if (entry === UNUSED_BAT_ENTRY) return;
    const start = entry * SECTOR_SIZE;
    regions.push({ kind: 'block', blockIndex, start, end: start + bitmapBytes + header.blockSize });
  });
  header.parentLocators.forEach((entry, locatorIndex) => {
    if (isUnusedLocator(entry)) return;
    const start = entry.platformDataOffset;
    regions.push({ kind: 'locator', locatorIndex, start, end: start + Math.max(locatorDataSpaceBytes(entry), entry.platformDataLength) });
  });
  return regions;
}

/** Dynamic shrink: sectors marked in bitmaps past the new end are in the way; blocks wholly past it must be empty. */
async function refuseMarkedTail(file: OpenImage, header: DynamicHeader, bat: Uint32Array, newSize: number): Promise<void> {
  const { blockSize } = header;
  const sectorsPerBlock = blockSize / SECTOR_SIZE;
  const bitmapBytes = sectorBitmapByteSize(blockSize);
  let markedSectors = 0;
  for (let blockIndex = Math.floor(newSize / blockSize); blockIndex < bat.length; blockIndex++) {
    const entry = bat[blockIndex]!;
    if (entry === UNUSED_BAT_ENTRY) continue;
    const bytes = new Uint8Array(bitmapBytes);
    await withIo(file.path, () => readFully(file.handle, bytes, entry * SECTOR_SIZE));
    const bitmap = new SectorBitmap(bytes, sectorsPerBlock);
    const firstPastEnd = Math.max(0, (newSize - blockIndex * blockSize) / SECTOR_SIZE);
    for (const run of bitmap.runs(firstPastEnd, sectorsPerBlock)) if (run.set) markedSectors += run.count;
  }
  if (markedSectors > 0) throw inTheWay(file.path, newSize, markedSectors * SECTOR_SIZE, 'bitmaps');
  // Blocks wholly past the new end hold nothing: release them so the table describes the new disk only.
  const newEntries = tableEntriesFor(newSize, blockSize);
  for (let blockIndex = newEntries; blockIndex < bat.length; blockIndex++) {
    if (bat[blockIndex] === UNUSED_BAT_ENTRY) continue;
    await writeBatEntry(file, header, blockIndex, UNUSED_BAT_ENTRY);
    bat[blockIndex] = UNUSED_BAT_ENTRY;
  }
}

/**
 * Copies `region` to `target` (the new footer at `newEnd` first, so the file never ends without one), then syncs.
 * Returns the new footer offset.
 */
async function moveBytes(file: OpenImage, region: FileRegion, target: number, newEnd: number): Promise<number> {
  const bytes = new Uint8Array(region.end - region.start);
  await withIo(file.path, async () => {
    await writeFully(file.handle, encodeFooter(file.metadata.footer, { checksum: 'keep' }), newEnd);
    await readFully(file.handle, bytes, region.start);
    await writeFully(file.handle, bytes, target);
    await file.handle.datasync();
  });
  return newEnd;
}

async function writeFooterAt(file: OpenImage, footer: Footer, offset: number): Promise<number> {
  await withIo(file.path, async () => {
    await writeFully(file.handle, encodeFooter(footer, { checksum: 'keep' }), offset);
    await file.handle.datasync();
  });
  return offset;
}

async function writeBatEntry(file: OpenImage, header: DynamicHeader, blockIndex: number, entry: number): Promise<void> {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, entry);
  await withIo(file.path, async () => {
    await writeFully(file.handle, bytes, header.tableOffset + blockIndex * 4);
    await file.handle.datasync();
  });
}

async function writeHeader(file: OpenImage, header: DynamicHeader): Promise<void> {
  const offset = Number(file.metadata.footer.dataOffset);
  const bytes = encodeDynamicHeader(header);
  await withIo(file.path, async () => {
    await writeFully(file.handle, bytes, offset);
    await file.handle.datasync();
  });
}

/**
 * A resize interrupted between its two footer writes left the copy at offset 0 with the old size: the same disk
 * (same unique id) one step behind. Resizing to the size it already has completes that step.
 */
async function finishFooterCopy(file: OpenImage): Promise<void> {
  const trailing = encodeFooter(file.metadata.footer, { checksum: 'keep' });
  const copy = new Uint8Array(FOOTER_SIZE);
  await withIo(file.path, () => readFully(file.handle, copy, 0));
  if (Buffer.from(copy).equals(Buffer.from(trailing))) return;
  let copied: Footer;
  try {
    copied = decodeFooter(copy);
  } catch {
    return; // Not a footer left behind by a resize: check and repair deal with that.
  }
  if (!uniqueIdsEqual(copied.uniqueId, file.metadata.footer.uniqueId) || copied.currentSize === file.metadata.footer.currentSize) return;
  await withIo(file.path, async () => {
    await writeFully(file.handle, trailing, 0);
    await file.handle.datasync();
  });
}

/** The trailing footer decides the size readers see, so it goes first; the copy at offset 0 follows. */
async function writeFooters(file: OpenImage, footer: Footer, footerOffset: number): Promise<void> {
  const bytes = encodeFooter(footer);
  await withIo(file.path, async () => {
    await writeFully(file.handle, bytes, footerOffset);
    await file.handle.datasync();
    await writeFully(file.handle, bytes, 0);
    await file.handle.datasync();
  });
}
