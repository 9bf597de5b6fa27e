import { SECTOR_SIZE, SectorBitmap, blockOffsetForNewBlock } from '@vhdkit/vhd-format';
import { withIo } from './errors.js';
import { writeFully, writeGathered } from '../file-io.js';
import type { ImageFile } from './image-file.js';

/** Reads virtual bytes of some layer into `target`. */
export type VirtualReader = (target: Uint8Array, virtualOffset: number) => Promise<void>;

interface NewBlock {
  blockIndex: number;
  bitmap: SectorBitmap;
  /** The written bytes (sector-aligned) and where they start in the block; the rest of the block is zeros. */
  data: Uint8Array;
  dataStartInBlock: number;
}

/** New blocks are gathered and appended together up to this many bytes (one fsync per batch). */
const MAX_BATCH_BYTES = 32 * 1024 * 1024;
/** Gaps before a new bitmap are shorter than the 4 KiB data alignment. */
const MAX_GAP_BYTES = 4096;

/**
 * Writes into one image file. Crash-safe order for new blocks (docs/format.md#writing-blocks, with the footer first):
 *   1. the footer at the new end of the file — the last 512 bytes are a valid footer at every moment;
 *   2. bitmap + data of each new block (over the old footer), zero-filled gaps;
 *   3. fdatasync;  4. the BAT entries.
 * A crash before 4 leaves unreferenced space that the next allocation reuses (new blocks go after
 * the last referenced structure, not after the footer), so re-running the same writes gives the same file.
 * In allocated blocks data goes first, then (after fdatasync) the bitmap bits, so a sector never
 * claims data that is not there yet. The footer copy at offset 0 never changes.
 * With `syncSteps: false` the order stays but the fdatasyncs go: for a file nobody can see yet (convert's
 * temporary image), which is synced once before it is published.
 */
export class BlockWriter {
  private readonly file: ImageFile;
  /** Current virtual bytes of this layer (own sectors, else the layer below): fills partial sectors. */
  private readonly readCurrent: VirtualReader;
  /** Zeros for gaps and the unwritten parts of new blocks (never written to). */
  private zeroBytes: Uint8Array | undefined;
  private readonly syncSteps: boolean;

  constructor(file: ImageFile, readCurrent: VirtualReader, options: { syncSteps?: boolean } = {}) {
    this.file = file;
    this.readCurrent = readCurrent;
    this.syncSteps = options.syncSteps ?? true;
  }

  async write(data: Uint8Array, virtualOffset: number): Promise<void> {
    const file = this.file;
    if (file.diskType === 'fixed') {
      await withIo(file.path, () => writeFully(file.handle, data, virtualOffset));
      return;
    }
    const { blockSize, sectorsPerBlock, bitmapByteSize } = file.geometry!;
    let batch: NewBlock[] = [];
    let batchBytes = 0;
    const changedBitmaps = new Map<number, SectorBitmap>();
    let done = 0;
    while (done < data.length) {
      const position = virtualOffset + done;
      const blockIndex = Math.floor(position / blockSize);
      const blockStart = blockIndex * blockSize;
      const length = Math.min(data.length - done, blockStart + blockSize - position);
      const span = await this.sectorAligned(data.subarray(done, done + length), position);
      const firstSector = (span.start - blockStart) / SECTOR_SIZE;
      const sectorCount = span.bytes.length / SECTOR_SIZE;
      const dataOffset = file.blockDataOffset(blockIndex);
      if (dataOffset === undefined) {
        const bitmap = new SectorBitmap(new Uint8Array(bitmapByteSize), sectorsPerBlock);
        bitmap.setRange(firstSector, sectorCount);
        // The caller's bytes are written as they are (no copy): the batch is flushed before write() returns.
        batch.push({ blockIndex, bitmap, data: span.bytes, dataStartInBlock: span.start - blockStart });
        batchBytes += bitmapByteSize + blockSize;
        if (batchBytes >= MAX_BATCH_BYTES) {
          await this.appendBlocks(batch);
          batch = [];
          batchBytes = 0;
        }
      } else {
        await withIo(file.path, () => writeFully(file.handle, span.bytes, dataOffset + span.start - blockStart));
        const { bitmap } = await file.blockState(blockIndex);
        if (!allSet(bitmap, firstSector, sectorCount)) {
          const updated = new SectorBitmap(bitmap.bytes.slice(), sectorsPerBlock);
          updated.setRange(firstSector, sectorCount);
          changedBitmaps.set(blockIndex, updated);
        }
      }
      done += length;
    }
    if (batch.length > 0) await this.appendBlocks(batch);
    if (changedBitmaps.size > 0) await this.writeBitmaps(changedBitmaps);
  }

  /** The piece widened to whole sectors; partial edge sectors keep their current bytes. */
  private async sectorAligned(piece: Uint8Array, position: number): Promise<{ bytes: Uint8Array; start: number }> {
    const start = Math.floor(position / SECTOR_SIZE) * SECTOR_SIZE;
    const end = Math.ceil((position + piece.length) / SECTOR_SIZE) * SECTOR_SIZE;
    if (start === position && end === position + piece.length) return { bytes: piece, start };
    const bytes = new Uint8Array(end - start);
    const headPartial = position > start;
    if (headPartial) await this.readCurrent(bytes.subarray(0, SECTOR_SIZE), start);
    const tailStart = end - SECTOR_SIZE;
    const tailPartial = position + piece.length < end;
    if (tailPartial && !(headPartial && tailStart === start)) await this.readCurrent(bytes.subarray(tailStart - start), tailStart);
    bytes.set(piece, position - start);
    return { bytes, start };
  }

  private zeros(length: number): Uint8Array {
    this.zeroBytes ??= new Uint8Array(Math.max(this.file.geometry!.blockSize, MAX_GAP_BYTES));
    return this.zeroBytes.subarray(0, length);
  }

  private async appendBlocks(blocks: NewBlock[]): Promise<void> {
    const file = this.file;
    const { bitmapByteSize, blockSize } = file.geometry!;
    const header = file.header!;
    let cursor = file.dataEnd;
    const placed = blocks.map((block) => {
      const gapStart = cursor;
      const bitmapOffset = blockOffsetForNewBlock(cursor, bitmapByteSize);
      cursor = bitmapOffset + bitmapByteSize + blockSize;
      return { ...block, gapStart, bitmapOffset };
    });
    const footerOffset = cursor;
    await withIo(file.path, async () => {
      await writeFully(file.handle, file.footerBytes(), footerOffset);
      for (const block of placed) {
        // Gap (it may hold the previous footer), bitmap, zeros, data, zeros: one gathered write.
        const tail = blockSize - block.dataStartInBlock - block.data.length;
        await writeGathered(
          file.handle,
          [this.zeros(block.bitmapOffset - block.gapStart), block.bitmap.bytes, this.zeros(block.dataStartInBlock), block.data, this.zeros(tail)],
          block.gapStart,
        );
      }
      if (this.syncSteps) await file.handle.datasync();
      for (const block of placed) file.bat[block.blockIndex] = block.bitmapOffset / SECTOR_SIZE;
      const first = Math.min(...placed.map((block) => block.blockIndex));
      const last = Math.max(...placed.map((block) => block.blockIndex));
      await writeFully(file.handle, batSlice(file.bat, first, last), header.tableOffset + first * 4);
      const oldFileSize = file.metadata.fileSize;
      const newFileSize = footerOffset + file.footerBytes().length;
      // Unreferenced space past the new footer (left by an interrupted allocation) is dropped.
      if (oldFileSize > newFileSize) await file.handle.truncate(newFileSize);
      file.metadata.fileSize = newFileSize;
    });
    for (const block of placed) file.rememberBitmap(block.blockIndex, block.bitmap);
    file.dataEnd = footerOffset;
  }

  private async writeBitmaps(bitmaps: Map<number, SectorBitmap>): Promise<void> {
    const file = this.file;
    await withIo(file.path, async () => {
      if (this.syncSteps) await file.handle.datasync();
      for (const [blockIndex, bitmap] of bitmaps) {
        await writeFully(file.handle, bitmap.bytes, file.bat[blockIndex]! * SECTOR_SIZE);
        file.rememberBitmap(blockIndex, bitmap);
      }
    });
  }
}

function allSet(bitmap: SectorBitmap, firstSector: number, sectorCount: number): boolean {
  for (const run of bitmap.runs(firstSector, firstSector + sectorCount)) if (!run.set) return false;
  return true;
}

/** BAT entries first..last (inclusive) as big-endian bytes. */
function batSlice(bat: Uint32Array, first: number, last: number): Uint8Array {
  const bytes = new Uint8Array((last - first + 1) * 4);
  const view = new DataView(bytes.buffer);
  for (let index = first; index <= last; index++) view.setUint32((index - first) * 4, bat[index]!);
  return bytes;
}
