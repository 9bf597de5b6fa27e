import { chmod, open, rename, stat, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  FOOTER_SIZE,
  SECTOR_SIZE,
  SectorBitmap,
  UNUSED_BAT_ENTRY,
  WINDOWS_ALIGNMENT,
  batByteSize,
  blockOffsetForNewBlock,
  encodeDynamicHeader,
  isUnusedLocator,
  locatorDataSpaceBytes,
  sectorBitmapByteSize,
  type DynamicHeader,
} from '@vhdkit/vhd-format';
import { VhdIoError, throwIfAborted } from '../errors.js';
import { isAllZero, readFully, writeFully } from '../file-io.js';
import { readImageMetadata, type ImageMetadata } from '../metadata.js';
import { syncFolder, temporaryPathFor } from '../publish.js';
import { withIo } from '../chain/errors.js';
import { openDisk } from '../chain/open-disk.js';
import type { ProgressOptions, VhdDisk } from '../chain/types.js';

/** Options of `compact`: cancellation, progress, and what counts as unneeded in a differencing disk. */
export interface CompactOptions extends ProgressOptions {
  /**
   * Differencing disks only: also unmark sectors whose bytes equal the parent's (what the guest reads does not
   * change), so blocks that only repeat the parent are released too. Reads the parent chain (never writes it).
   */
  zeroMatchesParent?: boolean;
}

/** What a compaction did. */
export interface CompactResult {
  path: string;
  diskType: 'dynamic' | 'differencing';
  blocksBefore: number;
  blocksAfter: number;
  /** Sectors unmarked because they matched the parent (zeroMatchesParent). */
  sectorsUnmarked: number;
  fileSizeBefore: number;
  fileSizeAfter: number;
}

/**
 * Releases the blocks a dynamic or differencing image does not need, and shrinks the file (Hyper-V's
 * Optimize-VHD, VBoxManage --compact). Dynamic: blocks whose marked sectors are all zeros (they read as zeros
 * unallocated). Differencing: blocks with no sector marked (zeros in a child hide the parent's bytes, so they stay),
 * and with `zeroMatchesParent` sectors equal to the parent's first.
 *
 * Copy and publish: the compacted image is written to a temporary file beside the original, checked, made durable,
 * given the original's mode and modification time (children record their parent's), and renamed over the original
 * in one step. A crash or an abort leaves the original untouched (and at most the temporary file). Other hard links
 * to the original keep naming the old file.
 */
export async function compact(path: string, options: CompactOptions = {}): Promise<CompactResult> {
  const absolutePath = resolve(path);
  throwIfAborted(options.signal, absolutePath);
  const metadata = await readImageMetadata(absolutePath, { strict: true });
  if (!metadata.header) {
    throw new VhdIoError('UNSUPPORTED', `${absolutePath} is a fixed disk: only dynamic and differencing disks can be compacted`, {
      path: absolutePath,
      params: { reason: 'compact-fixed' },
    });
  }
  const diskType = metadata.footer.diskType === 4 ? 'differencing' : 'dynamic';
  const before = await withIo(absolutePath, () => stat(absolutePath));
  const chain = options.zeroMatchesParent && diskType === 'differencing' ? await openDisk(absolutePath) : undefined;
  const source = await withIo(absolutePath, () => open(absolutePath, 'r'));
  const temporaryPath = temporaryPathFor(absolutePath);
  let target: FileHandle | undefined;
  try {
    target = await withIo(temporaryPath, () => open(temporaryPath, 'wx', before.mode & 0o777));
    const written = await writeCompacted({ source, target, path: absolutePath, metadata, parent: chain?.parent, options });
    await withIo(temporaryPath, () => target!.sync());
    await target.close();
    target = undefined;
    await verifyCompacted(temporaryPath, written.blocksAfter);
    const now = await withIo(absolutePath, () => source.stat());
    if (now.size !== before.size || now.mtimeMs !== before.mtimeMs) {
      throw new VhdIoError('IO', `${absolutePath} changed while it was being compacted; nothing was replaced`, { path: absolutePath, params: { reason: 'changed-during' } });
    }
    throwIfAborted(options.signal, absolutePath);
    await withIo(temporaryPath, async () => {
      await chmod(temporaryPath, before.mode & 0o7777);
      await utimes(temporaryPath, before.atimeMs / 1000, before.mtimeMs / 1000);
      await rename(temporaryPath, absolutePath);
    });
    await syncFolder(dirname(absolutePath));
    return { path: absolutePath, diskType, ...written, fileSizeBefore: before.size };
  } catch (error) {
    await target?.close().catch(() => undefined);
    await unlink(temporaryPath).catch(() => undefined);
    throw error;
  } finally {
    await source.close().catch(() => undefined);
    await chain?.close().catch(() => undefined);
  }
}

interface CompactJob {
  source: FileHandle;
  target: FileHandle;
  path: string;
  metadata: ImageMetadata;
  parent: VhdDisk | undefined;
  options: CompactOptions;
}

/**
 * The new file: everything before the first block as it was (footer copy, header, locators, BAT region), then
 * locator data that lay among the blocks, then the kept blocks in their old order (data 4 KiB aligned, as
 * Windows places it), then the footer.
 */
async function writeCompacted(job: CompactJob): Promise<{ blocksBefore: number; blocksAfter: number; sectorsUnmarked: number; fileSizeAfter: number }> {
  const { source, target, path, metadata, options } = job;
  const header: DynamicHeader = { ...metadata.header!, parentLocators: metadata.header!.parentLocators.map((entry) => ({ ...entry })) };
  const bat = metadata.bat!;
  const bitmapBytes = sectorBitmapByteSize(header.blockSize);
  const blocks = allocatedBlocks(bat);
  const firstBlockStart = blocks.length > 0 ? blocks[0]!.offset : Infinity;
  const headerOffset = Number(metadata.footer.dataOffset);
  const locators = header.parentLocators.map((entry, index) => ({ entry, index })).filter(({ entry }) => !isUnusedLocator(entry));
  const early = locators.filter(({ entry }) => entry.platformDataOffset < firstBlockStart);
  const late = locators.filter(({ entry }) => entry.platformDataOffset >= firstBlockStart);
  let cursor = Math.max(FOOTER_SIZE, headerOffset + 1024, header.tableOffset + batByteSize(header.maxTableEntries), ...early.map(({ entry }) => locatorEnd(entry)));

  await copyRange(source, target, path, 0, cursor);
  for (const { entry } of late) {
    const length = locatorEnd(entry) - entry.platformDataOffset;
    const offset = Math.ceil(cursor / WINDOWS_ALIGNMENT) * WINDOWS_ALIGNMENT;
    await copyRange(source, target, path, entry.platformDataOffset, length, offset);
    entry.platformDataOffset = offset;
    cursor = offset + length;
  }

  const newBat = new Uint32Array(bat.length).fill(UNUSED_BAT_ENTRY);
  const block = new Uint8Array(bitmapBytes + header.blockSize);
  const parentBytes = job.parent ? new Uint8Array(header.blockSize) : undefined;
  const sectorsPerBlock = header.blockSize / SECTOR_SIZE;
  let blocksAfter = 0;
  let sectorsUnmarked = 0;
  for (const [done, { blockIndex, offset }] of blocks.entries()) {
    throwIfAborted(options.signal, path);
    await withIo(path, () => readFully(source, block, offset));
    const bitmap = new SectorBitmap(block.subarray(0, bitmapBytes), sectorsPerBlock);
    const data = block.subarray(bitmapBytes);
    if (job.parent && parentBytes) sectorsUnmarked += await unmarkParentMatches(job.parent, bitmap, data, parentBytes, blockIndex * header.blockSize);
    options.onProgress?.({ bytesWritten: done * header.blockSize, totalBytes: blocks.length * header.blockSize });
    if (!holdsSomething(bitmap, data, metadata.footer.diskType === 4)) continue;
    const bitmapOffset = blockOffsetForNewBlock(cursor, bitmapBytes);
    await withIo(path, () => writeFully(target, block, bitmapOffset));
    newBat[blockIndex] = bitmapOffset / SECTOR_SIZE;
    cursor = bitmapOffset + block.length;
    blocksAfter++;
  }

  const table = new Uint8Array(bat.length * 4);
  const view = new DataView(table.buffer);
  newBat.forEach((entry, index) => view.setUint32(index * 4, entry));
  const footer = new Uint8Array(FOOTER_SIZE);
  await withIo(path, async () => {
    await writeFully(target, table, header.tableOffset);
    if (late.length > 0) await writeFully(target, encodeDynamicHeader(header), headerOffset);
    await readFully(source, footer, metadata.fileSize - FOOTER_SIZE);
    await writeFully(target, footer, cursor);
  });
  options.onProgress?.({ bytesWritten: blocks.length * header.blockSize, totalBytes: blocks.length * header.blockSize });
  return { blocksBefore: blocks.length, blocksAfter, sectorsUnmarked, fileSizeAfter: cursor + FOOTER_SIZE };
}

/** Where a locator's data area ends: its declared space, or its data if that is longer. */
function locatorEnd(entry: DynamicHeader['parentLocators'][number]): number {
  return entry.platformDataOffset + Math.max(locatorDataSpaceBytes(entry), entry.platformDataLength);
}

/** Allocated blocks in file order. */
function allocatedBlocks(bat: Uint32Array): { blockIndex: number; offset: number }[] {
  const blocks: { blockIndex: number; offset: number }[] = [];
  bat.forEach((entry, blockIndex) => {
    if (entry !== UNUSED_BAT_ENTRY) blocks.push({ blockIndex, offset: entry * SECTOR_SIZE });
  });
  blocks.sort((a, b) => a.offset - b.offset);
  return blocks;
}

/** Whether a block must stay: a child's marked sector always matters; a dynamic disk's only if it is not zero. */
function holdsSomething(bitmap: SectorBitmap, data: Uint8Array, differencing: boolean): boolean {
  for (const run of bitmap.runs(0, bitmap.sectorCount)) {
    if (!run.set) continue;
    if (differencing) return true;
    if (!isAllZero(data.subarray(run.start * SECTOR_SIZE, (run.start + run.count) * SECTOR_SIZE))) return true;
  }
  return false;
}

/** Unmarks the sectors whose bytes equal what the parent chain holds there; returns how many. */
async function unmarkParentMatches(parent: VhdDisk, bitmap: SectorBitmap, data: Uint8Array, parentBytes: Uint8Array, blockStart: number): Promise<number> {
  const length = await parent.read(parentBytes, blockStart);
  let unmarked = 0;
  // Clearing bits inside the run just yielded is safe: the next run starts where this one ends.
  for (const run of bitmap.runs(0, bitmap.sectorCount)) {
    if (!run.set) continue;
    for (let sector = run.start; sector < run.start + run.count; sector++) {
      const start = sector * SECTOR_SIZE;
      if (start + SECTOR_SIZE > length) break;
      if (sameBytes(data, parentBytes, start, SECTOR_SIZE)) {
        bitmap.clearRange(sector, 1);
        unmarked++;
      }
    }
  }
  return unmarked;
}

function sameBytes(a: Uint8Array, b: Uint8Array, start: number, length: number): boolean {
  for (let index = start; index < start + length; index++) if (a[index] !== b[index]) return false;
  return true;
}

const COPY_CHUNK_BYTES = 1024 * 1024;

async function copyRange(source: FileHandle, target: FileHandle, path: string, from: number, length: number, to = from): Promise<void> {
  const buffer = new Uint8Array(Math.min(COPY_CHUNK_BYTES, length));
  for (let done = 0; done < length; done += buffer.length) {
    const piece = buffer.subarray(0, Math.min(buffer.length, length - done));
    await withIo(path, async () => {
      await readFully(source, piece, from + done);
      await writeFully(target, piece, to + done);
    });
  }
}

/** The compacted file must open strictly and hold exactly the blocks written, before it replaces anything. */
async function verifyCompacted(temporaryPath: string, blocksAfter: number): Promise<void> {
  const written = await readImageMetadata(temporaryPath, { strict: true });
  const allocated = written.bat!.reduce((count, entry) => count + (entry === UNUSED_BAT_ENTRY ? 0 : 1), 0);
  if (allocated !== blocksAfter) {
    throw new VhdIoError('CORRUPT', `the compacted image ${temporaryPath} holds ${allocated} blocks, not ${blocksAfter}`, { path: temporaryPath, params: { reason: 'compact-verify' } });
  }
}
