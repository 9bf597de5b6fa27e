import { SECTOR_SIZE, SectorBitmap, blockOffsetForNewBlock } from '@vhdkit/vhd-format';
import { withIo } from './errors.js';
import { writeFully, writeGathered } from '../file-io.js';
import { FlushBehind } from '../flush-behind.js';
import type { ImageFile } from './image-file.js';

/** Reads virtual bytes of some layer into `target`. */
export type VirtualReader = (target: Uint8Array, virtualOffset: number) => Promise<void>;

/** Bytes to write at a virtual offset. */
export interface WritePiece {
  data: Uint8Array;
  virtualOffset: number;
}

interface NewBlock {
  blockIndex: number;
  bitmap: SectorBitmap;
  /** The written bytes (sector-aligned) and where they start in the block; the rest of the block is zeros. */
  data: Uint8Array;
  dataStartInBlock: number;
  /** Whether `data` is this writer's own whole-block buffer (else it is the caller's bytes, never changed). */
  ownsData?: boolean;
}

/** New blocks are gathered and appended together up to this many bytes (one fsync per batch). */
const MAX_BATCH_BYTES = 32 * 1024 * 1024;
/** Data writes into allocated blocks kept in flight at once by writePieces. */
const DATA_WRITES_IN_FLIGHT = 4;
/**
 * With tableEntriesOnFlush, a background fdatasync starts every this many bytes appended: the commit's own sync then
 * has at most about this much left (256 MiB `vpc write`: 16 MiB measured faster than 64 MiB, 0.40–0.43 s vs 0.43–0.47 s).
 */
const FLUSH_BEHIND_BYTES = 16 * 1024 * 1024;
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
 * With `tableEntriesOnFlush`, step 3 and 4 wait for `commitTableEntries` (the disk's flush): the blocks of many
 * writes are appended (their entries only in memory, so this process reads them), then ONE fdatasync, then all
 * their entries. A write into a block allocated before them commits them first, so a crash still leaves the
 * disk as it was after some write: the last commit's, never a mix. Meanwhile flush-behind syncs start in the
 * background, so the commit's fdatasync finds little left to write.
 */
export class BlockWriter {
  private readonly file: ImageFile;
  /** Current virtual bytes of this layer (own sectors, else the layer below): fills partial sectors. */
  private readonly readCurrent: VirtualReader;
  /** Zeros for gaps and the unwritten parts of new blocks (never written to). */
  private zeroBytes: Uint8Array | undefined;
  private readonly syncSteps: boolean;
  /** Set with `tableEntriesOnFlush`: starts the background syncs while the entries wait. */
  private readonly flushBehind: FlushBehind | undefined;
  /** Blocks appended whose entries are not in the file's table yet (their range, and the blocks themselves). */
  private pending: { first: number; last: number; blocks: Set<number> } | undefined;

  constructor(file: ImageFile, readCurrent: VirtualReader, options: { syncSteps?: boolean; tableEntriesOnFlush?: boolean } = {}) {
    this.file = file;
    this.readCurrent = readCurrent;
    this.syncSteps = options.syncSteps ?? true;
    this.flushBehind = options.tableEntriesOnFlush === true ? new FlushBehind(file.handle, FLUSH_BEHIND_BYTES) : undefined;
  }

  /**
   * Writes the table entries of the blocks appended since the last commit, after one fdatasync of their data
   * (only with `tableEntriesOnFlush`; otherwise there are none). Call before the final sync.
   */
  async commitTableEntries(): Promise<void> {
    const pending = this.pending;
    if (pending === undefined) return;
    const file = this.file;
    await withIo(file.path, async () => {
      await this.flushBehind!.settle();
      if (this.syncSteps) await file.handle.datasync();
      await writeFully(file.handle, batSlice(file.bat, pending.first, pending.last), file.header!.tableOffset + pending.first * 4);
    });
    this.pending = undefined;
  }

  async write(data: Uint8Array, virtualOffset: number): Promise<void> {
    await this.writePieces([{ data, virtualOffset }]);
  }

  /**
   * Writes several pieces as one batch: data into allocated blocks goes out a few writes at a time, the bitmap
   * bits they add follow one fdatasync for the whole batch, and new blocks are appended together. Pieces must
   * not overlap and, when there is more than one, must be whole sectors (two pieces never share a sector).
   */
  async writePieces(pieces: readonly WritePiece[]): Promise<void> {
    const file = this.file;
    const writes = new WritesInFlight(DATA_WRITES_IN_FLIGHT);
    try {
      if (file.diskType === 'fixed') {
        for (const { data, virtualOffset } of pieces) await writes.add(withIo(file.path, () => writeFully(file.handle, data, virtualOffset)));
        await writes.drain();
        return;
      }
      const { blockSize, sectorsPerBlock, bitmapByteSize } = file.geometry!;
      let batch = new Map<number, NewBlock>();
      let batchBytes = 0;
      const changedBitmaps = new Map<number, SectorBitmap>();
      for (const { data, virtualOffset } of pieces) {
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
            const pending = batch.get(blockIndex);
            if (pending) {
              addToNewBlock(pending, span.bytes, span.start - blockStart, blockSize);
              pending.bitmap.setRange(firstSector, sectorCount);
            } else {
              const bitmap = new SectorBitmap(new Uint8Array(bitmapByteSize), sectorsPerBlock);
              bitmap.setRange(firstSector, sectorCount);
              // The caller's bytes are written as they are (no copy): the batch is flushed before this returns.
              batch.set(blockIndex, { blockIndex, bitmap, data: span.bytes, dataStartInBlock: span.start - blockStart });
              batchBytes += bitmapByteSize + blockSize;
              if (batchBytes >= MAX_BATCH_BYTES) {
                await this.appendBlocks([...batch.values()]);
                batch = new Map();
                batchBytes = 0;
              }
            }
          } else {
            // A block whose entry is on disk already: the writes before this one become visible first (see above).
            if (this.pending !== undefined && !this.pending.blocks.has(blockIndex)) {
              await writes.drain();
              await this.commitTableEntries();
            }
            await writes.add(withIo(file.path, () => writeFully(file.handle, span.bytes, dataOffset + span.start - blockStart)));
            const bitmap = changedBitmaps.get(blockIndex) ?? (await file.blockState(blockIndex)).bitmap;
            if (!allSet(bitmap, firstSector, sectorCount)) {
              const updated = changedBitmaps.has(blockIndex) ? bitmap : new SectorBitmap(bitmap.bytes.slice(), sectorsPerBlock);
              updated.setRange(firstSector, sectorCount);
              changedBitmaps.set(blockIndex, updated);
            }
          }
          done += length;
        }
      }
      if (batch.size > 0) await this.appendBlocks([...batch.values()]);
      // Every data write has landed before the bitmaps claim it (writeBitmaps syncs first).
      await writes.drain();
      if (changedBitmaps.size > 0) await this.writeBitmaps(changedBitmaps);
    } finally {
      // Never return (even failing) with a write still using the caller's bytes or the handle.
      await writes.settle();
    }
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
      for (const block of placed) file.bat[block.blockIndex] = block.bitmapOffset / SECTOR_SIZE;
      const first = Math.min(...placed.map((block) => block.blockIndex));
      const last = Math.max(...placed.map((block) => block.blockIndex));
      if (this.flushBehind === undefined) {
        if (this.syncSteps) await file.handle.datasync();
        await writeFully(file.handle, batSlice(file.bat, first, last), header.tableOffset + first * 4);
      } else {
        const pending = (this.pending ??= { first, last, blocks: new Set() });
        pending.first = Math.min(pending.first, first);
        pending.last = Math.max(pending.last, last);
        for (const block of placed) pending.blocks.add(block.blockIndex);
        this.flushBehind.wrote(cursor - placed[0]!.gapStart);
      }
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

/** A second piece for a block not yet appended: the block's data becomes one whole-block buffer holding both. */
function addToNewBlock(block: NewBlock, bytes: Uint8Array, startInBlock: number, blockSize: number): void {
  if (!block.ownsData) {
    const whole = new Uint8Array(blockSize);
    whole.set(block.data, block.dataStartInBlock);
    block.data = whole;
    block.dataStartInBlock = 0;
    block.ownsData = true;
  }
  block.data.set(bytes, startInBlock);
}

/** A bounded set of writes under way: add() waits for room; drain() rejects with the first failure. */
class WritesInFlight {
  private readonly limit: number;
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(limit: number) {
    this.limit = limit;
  }

  async add(write: Promise<void>): Promise<void> {
    const tracked = write.then(
      () => {
        this.running.delete(tracked);
      },
      (error: unknown) => {
        this.running.delete(tracked);
        this.failure ??= { error };
      },
    );
    this.running.add(tracked);
    if (this.running.size >= this.limit) await Promise.race(this.running);
    if (this.failure) throw this.failure.error;
  }

  async drain(): Promise<void> {
    await this.settle();
    if (this.failure) throw this.failure.error;
  }

  async settle(): Promise<void> {
    await Promise.all(this.running);
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
