import type { Readable } from 'node:stream';
import { SECTOR_SIZE, SectorBitmap, heldRuns } from '@vhdkit/vhd-format';
import type { DiskTypeName, HeldRun } from '@vhdkit/vhd-format';
import type { ImageMetadata } from './creation-api.js';
import { chainError, withIo } from './errors.js';
import type { ImageFile } from './image-file.js';
import { BlockWriter } from './block-writer.js';
import type { WritePiece } from './block-writer.js';
import { nodeReadStream, webReadStream } from './streams.js';
import type { ByteRange, VhdDisk } from './types.js';

/**
 * One layer of an opened chain: an image file plus the disk below it. Reads resolve per sector
 * (bitmap bit set: this file; clear or block unallocated: the parent, or zeros for a dynamic disk).
 */
export class ChainDisk implements VhdDisk {
  readonly file: ImageFile;
  readonly parent: ChainDisk | undefined;
  readonly warnings: string[];
  private readonly writer: BlockWriter | undefined;
  /** Writes run one at a time: block allocation moves the end of the file. */
  private writeQueue: Promise<void> = Promise.resolve();

  /**
   * `syncSteps: false`: writes skip the fdatasyncs between steps (see BlockWriter); flush and close still sync.
   * `tableEntriesOnFlush`: new blocks' table entries wait for flush (OpenDiskOptions.tableEntriesOnFlush).
   */
  constructor(file: ImageFile, parent: ChainDisk | undefined, warnings: string[], writerOptions: { syncSteps?: boolean; tableEntriesOnFlush?: boolean } = {}) {
    this.file = file;
    this.parent = parent;
    this.warnings = warnings;
    this.writer = file.writable ? new BlockWriter(file, (target, offset) => this.fill(target, offset), writerOptions) : undefined;
  }

  get path(): string {
    return this.file.path;
  }
  get metadata(): ImageMetadata {
    return this.file.metadata;
  }
  get diskType(): DiskTypeName {
    return this.file.diskType;
  }
  get virtualSize(): number {
    return this.file.virtualSize;
  }
  get blockSize(): number | undefined {
    return this.file.geometry?.blockSize;
  }

  async read(buffer: Uint8Array, virtualOffset: number): Promise<number> {
    checkOffset(virtualOffset, this.path);
    const length = Math.max(0, Math.min(buffer.length, this.virtualSize - virtualOffset));
    if (length > 0) await this.fill(buffer.subarray(0, length), virtualOffset);
    return length;
  }

  createReadStream(options: { start?: number; end?: number } = {}): Readable {
    return nodeReadStream(this, options);
  }

  readableWebStream(options: { start?: number; end?: number } = {}): ReadableStream<Uint8Array> {
    return webReadStream(this, options);
  }

  allocatedRanges(): ByteRange[] {
    const ranges = this.ownRanges();
    for (let layer = this.parent; layer; layer = layer.parent) ranges.push(...layer.ownRanges());
    return mergeRanges(ranges);
  }

  allocatedBlockCount(): number {
    let count = 0;
    for (let index = 0; index < this.file.bat.length; index++) if (this.file.isAllocated(index)) count++;
    return count;
  }

  async write(buffer: Uint8Array, virtualOffset: number): Promise<void> {
    const writer = this.writer;
    if (!writer) throw chainError('READ_ONLY', 'the disk was opened read-only', this.path);
    checkOffset(virtualOffset, this.path);
    if (virtualOffset + buffer.length > this.virtualSize) {
      throw chainError('OUT_OF_RANGE', `write of ${buffer.length} bytes at ${virtualOffset} passes the end of the ${this.virtualSize}-byte disk`, this.path);
    }
    const run = this.writeQueue.then(() => writer.write(buffer, virtualOffset));
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  /**
   * Writes many pieces as one batch (see BlockWriter.writePieces): how merge writes a group of a child's runs.
   * More than one piece must be whole sectors, sorted and non-overlapping.
   */
  async writePieces(pieces: readonly WritePiece[]): Promise<void> {
    const writer = this.writer;
    if (!writer) throw chainError('READ_ONLY', 'the disk was opened read-only', this.path);
    let previousEnd = 0;
    for (const { data, virtualOffset } of pieces) {
      checkOffset(virtualOffset, this.path);
      if (virtualOffset + data.length > this.virtualSize) {
        throw chainError('OUT_OF_RANGE', `write of ${data.length} bytes at ${virtualOffset} passes the end of the ${this.virtualSize}-byte disk`, this.path);
      }
      if (pieces.length > 1 && (virtualOffset < previousEnd || virtualOffset % SECTOR_SIZE !== 0 || data.length % SECTOR_SIZE !== 0)) {
        throw chainError('OUT_OF_RANGE', `pieces written together must be whole sectors in order without overlap (${data.length} bytes at ${virtualOffset})`, this.path);
      }
      previousEnd = virtualOffset + data.length;
    }
    const run = this.writeQueue.then(() => writer.writePieces(pieces));
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  async flush(): Promise<void> {
    const writer = this.writer;
    if (writer) {
      const commit = this.writeQueue.then(() => writer.commitTableEntries());
      this.writeQueue = commit.catch(() => undefined);
      await commit;
    } else {
      await this.writeQueue;
    }
    if (this.file.writable) await withIo(this.path, () => this.file.handle.sync());
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.file.close();
      if (this.parent) await this.parent.close();
    }
  }

  /** Fills `target` with the virtual bytes at `virtualOffset`; zeros past the end of this disk. */
  async fill(target: Uint8Array, virtualOffset: number): Promise<void> {
    const inside = Math.max(0, Math.min(target.length, this.virtualSize - virtualOffset));
    if (inside < target.length) target.fill(0, inside);
    if (inside === 0) return;
    const part = target.subarray(0, inside);
    if (this.file.diskType === 'fixed') {
      await this.file.readAt(part, virtualOffset);
      return;
    }
    await this.fillFromBlocks(part, virtualOffset);
  }

  /** What lies under this file: the parent's bytes for a child, zeros for a dynamic disk. */
  async readBelow(target: Uint8Array, virtualOffset: number): Promise<void> {
    if (this.parent && this.file.diskType === 'differencing') await this.parent.fill(target, virtualOffset);
    else target.fill(0);
  }

  private async fillFromBlocks(target: Uint8Array, virtualOffset: number): Promise<void> {
    const file = this.file;
    const { blockSize } = file.geometry!;
    const firstBlock = Math.floor(virtualOffset / blockSize);
    const lastBlock = Math.floor((virtualOffset + target.length - 1) / blockSize);
    // Read-only files load each bitmap together with its block's data instead (readBlockWithBitmap).
    if (lastBlock > firstBlock && file.writable) await file.prefetchBlockStates(firstBlock, lastBlock);
    let done = 0;
    while (done < target.length) {
      const position = virtualOffset + done;
      const blockIndex = Math.floor(position / blockSize);
      const inBlock = position - blockIndex * blockSize;
      let length = Math.min(target.length - done, blockSize - inBlock);
      const dataOffset = file.blockDataOffset(blockIndex);
      if (dataOffset === undefined) {
        // A run of unallocated blocks (heldRuns: nothing held) goes to the layer below in one call.
        for (let next = blockIndex + 1; done + length < target.length && !file.isAllocated(next); next++) {
          length = Math.min(target.length - done, length + blockSize);
        }
        await this.readRuns(heldRuns(undefined, inBlock, inBlock + length), target.subarray(done, done + length), inBlock, blockIndex, 0);
      } else if (!file.writable && inBlock === 0 && !file.hasBlockState(blockIndex)) {
        await this.readBlockWithBitmap(target.subarray(done, done + length), blockIndex, dataOffset);
      } else {
        const state = await file.blockState(blockIndex);
        await this.readRuns(heldRuns(state, inBlock, inBlock + length), target.subarray(done, done + length), inBlock, blockIndex, dataOffset);
      }
      done += length;
    }
  }

  /**
   * Fills `target` (the block's bytes from `inBlock`) run by run as vhd-format's heldRuns decides: held runs from this
   * file's block data at `dataOffset`, the others from the layer below.
   */
  private async readRuns(runs: Iterable<HeldRun>, target: Uint8Array, inBlock: number, blockIndex: number, dataOffset: number): Promise<void> {
    const blockStart = blockIndex * this.file.geometry!.blockSize;
    for (const run of runs) {
      const part = target.subarray(run.from - inBlock, run.to - inBlock);
      if (run.held) await this.file.readAt(part, dataOffset + run.from);
      else await this.readBelow(part, blockStart + run.from);
    }
  }

  /**
   * First read of a block (from its start) in a read-only file: the bitmap sits just before the data, so one
   * preadv brings both, then the runs heldRuns leaves to the layer below are replaced from there. Saves a serial
   * bitmap read per block on a sequential pass. (Writable files keep the cache path: the writer owns their bitmaps.)
   */
  private async readBlockWithBitmap(target: Uint8Array, blockIndex: number, dataOffset: number): Promise<void> {
    const file = this.file;
    const { bitmapByteSize, sectorsPerBlock, blockSize } = file.geometry!;
    const bitmapBytes = new Uint8Array(bitmapByteSize);
    await file.readGatheredAt([bitmapBytes, target], dataOffset - bitmapByteSize);
    const state = file.rememberBitmap(blockIndex, new SectorBitmap(bitmapBytes, sectorsPerBlock));
    const blockStart = blockIndex * blockSize;
    for (const run of heldRuns(state, 0, target.length)) {
      if (!run.held) await this.readBelow(target.subarray(run.from, run.to), blockStart + run.from);
    }
  }

  /**
   * End of the stretch from `virtualOffset` (at most to `limit`) that no layer holds, so it reads as zeros;
   * `virtualOffset` itself when some layer holds it. Block-granular and conservative: an allocated block
   * counts as held whatever its bitmap says.
   */
  unheldEnd(virtualOffset: number, limit: number): number {
    return unheldEndFrom(this, virtualOffset, limit);
  }

  /** Virtual ranges this file holds: the whole disk for fixed, allocated blocks otherwise. */
  private ownRanges(): ByteRange[] {
    if (this.file.diskType === 'fixed') return this.virtualSize > 0 ? [{ offset: 0, length: this.virtualSize }] : [];
    const { blockSize } = this.file.geometry!;
    const ranges: ByteRange[] = [];
    for (let index = 0; index < this.file.bat.length; index++) {
      if (!this.file.isAllocated(index)) continue;
      const offset = index * blockSize;
      const length = Math.min(blockSize, this.virtualSize - offset);
      if (length > 0) ranges.push({ offset, length });
    }
    return ranges;
  }
}

/** ChainDisk.unheldEnd, walking down from `top`. */
function unheldEndFrom(top: ChainDisk, virtualOffset: number, limit: number): number {
  let end = limit;
  for (let layer: ChainDisk | undefined = top; layer; layer = layer.parent) {
    if (virtualOffset >= layer.virtualSize) return end; // zeros past a layer's end; nothing below is read
    end = Math.min(end, layer.virtualSize);
    const { file } = layer;
    if (file.diskType === 'fixed') return virtualOffset;
    const { blockSize } = file.geometry!;
    let blockIndex = Math.floor(virtualOffset / blockSize);
    if (file.isAllocated(blockIndex)) return virtualOffset;
    while ((blockIndex + 1) * blockSize < end && !file.isAllocated(blockIndex + 1)) blockIndex++;
    end = Math.min(end, (blockIndex + 1) * blockSize);
    if (file.diskType !== 'differencing') return end; // a dynamic disk's unallocated blocks are zeros
  }
  return end; // a differencing disk without a parent reads zeros below (readBelow)
}

function checkOffset(virtualOffset: number, path: string): void {
  if (!Number.isSafeInteger(virtualOffset) || virtualOffset < 0) {
    throw chainError('OUT_OF_RANGE', `virtual offset ${virtualOffset} is not a non-negative integer`, path);
  }
}

/** Sorts ranges (in place) and joins overlapping or touching ones. */
export function mergeRanges(ranges: ByteRange[]): ByteRange[] {
  ranges.sort((a, b) => a.offset - b.offset);
  const merged: ByteRange[] = [];
  for (const range of ranges) {
    const last = merged.at(-1);
    if (last && range.offset <= last.offset + last.length) {
      last.length = Math.max(last.length, range.offset + range.length - last.offset);
    } else {
      merged.push({ ...range });
    }
  }
  return merged;
}
