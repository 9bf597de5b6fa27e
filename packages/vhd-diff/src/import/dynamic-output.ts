import type { FileHandle } from 'node:fs/promises';
import {
  DiskType,
  MAX_TABLE_ENTRIES,
  SECTOR_SIZE,
  UNUSED_BAT_ENTRY,
  VhdFormatError,
  createDynamicHeader,
  encodeBat,
  encodeDynamicHeader,
  encodeFooter,
  fullBlockBitmap,
  planPackedDynamicLayout,
  type Footer,
  type TablePlacement,
} from '@vhdkit/vhd-format';
import { VhdIoError, toVhdIoError } from '../errors.js';
import { isAllZero, writeFully, writeGathered } from '../file-io.js';
import { WriteBehind, ringBuffersFor } from '../write-behind.js';
import type { ChunkRing, SourceChunk } from './source-chunks.js';

/** The BAT of a stream of unknown length starts with this many entries and doubles as blocks arrive. */
const INITIAL_TABLE_ENTRIES = 1024;

/**
 * A dynamic image written in one pass (vhd-format's packed layout): each block with a non-zero byte goes right
 * after the previous one, its bitmap marking every sector inside the disk. When the virtual size is known up front
 * the BAT sits before the blocks; for a stream of unknown length it is written after them, once the size is known.
 * The BAT stays in memory (4 bytes a block: 4 MiB for 2040 GiB in 2 MiB blocks). Blocks are read into the ring
 * of a WriteBehind and written in the thread pool, several per writev, while the next ones are read.
 */
export class DynamicOutput implements ChunkRing {
  readonly #handle: FileHandle;
  readonly #path: string;
  readonly #blockSize: number;
  /** The virtual size when known up front; else undefined until finish(). */
  readonly #virtualSize: number | undefined;
  readonly #table: TablePlacement;
  readonly #firstBlockOffset: number;
  readonly #blockSpanBytes: number;
  readonly #fullBitmap: Uint8Array;
  readonly #writer: WriteBehind;
  #bat: Uint32Array;
  #storedBlocks = 0;

  constructor(handle: FileHandle, path: string, blockSize: number, virtualSize: number | undefined) {
    this.#handle = handle;
    this.#path = path;
    this.#blockSize = blockSize;
    this.#virtualSize = virtualSize;
    this.#table = virtualSize === undefined ? 'after-blocks' : 'before-blocks';
    const layout = layoutOf({ virtualSize: virtualSize ?? 0, blockSize, blockCount: 0, table: this.#table }, path);
    this.#firstBlockOffset = layout.firstBlockOffset;
    this.#blockSpanBytes = layout.blockSpanBytes;
    this.#fullBitmap = fullBlockBitmap(0, blockSize, blockSize);
    this.#writer = new WriteBehind(handle, path, { buffers: ringBuffersFor(blockSize), bufferBytes: blockSize });
    this.#bat = new Uint32Array(virtualSize === undefined ? INITIAL_TABLE_ENTRIES : layout.maxTableEntries).fill(UNUSED_BAT_ENTRY);
  }

  /** A ring buffer to read the next block into (see sourceChunks). */
  buffer(): Promise<Uint8Array> {
    return this.#writer.buffer();
  }

  release(buffer: Uint8Array): void {
    this.#writer.release(buffer);
  }

  /** Queues the chunk (exactly one block of the source, in a ring buffer) unless it is all zeros. */
  accept(chunk: SourceChunk): void {
    const blockIndex = chunk.position / this.#blockSize;
    if (isAllZero(chunk.bytes)) {
      this.#writer.release(chunk.bytes);
      return;
    }
    this.#ensureEntry(blockIndex);
    // Every sector inside the disk is present; the disk ends in this block only if the source does too.
    const diskBytes = this.#virtualSize ?? Math.ceil((chunk.position + chunk.validBytes) / SECTOR_SIZE) * SECTOR_SIZE;
    const bitmap = diskBytes >= chunk.position + this.#blockSize ? this.#fullBitmap : fullBlockBitmap(blockIndex, this.#blockSize, diskBytes);
    const offset = this.#firstBlockOffset + this.#storedBlocks * this.#blockSpanBytes;
    this.#writer.write([bitmap, chunk.bytes], offset);
    this.#bat[blockIndex] = offset / SECTOR_SIZE;
    this.#storedBlocks++;
  }

  /** Writes footer copy, header, BAT and footer for the final virtual size; returns the file size and blocks stored. */
  async finish(virtualSize: number, footerFor: (diskType: typeof DiskType.Dynamic, virtualSize: number) => Footer): Promise<{ fileSize: number; storedBlocks: number }> {
    const layout = layoutOf({ virtualSize, blockSize: this.#blockSize, blockCount: this.#storedBlocks, table: this.#table }, this.#path);
    if (layout.firstBlockOffset !== this.#firstBlockOffset) {
      throw new VhdIoError('UNSUPPORTED', `internal layout error for ${this.#path}: blocks were placed at ${this.#firstBlockOffset}, the layout says ${layout.firstBlockOffset}`, { path: this.#path });
    }
    const table = new Uint32Array(layout.maxTableEntries).fill(UNUSED_BAT_ENTRY);
    table.set(this.#bat.subarray(0, Math.min(this.#bat.length, table.length)));
    const footer = encodeFooter(footerFor(DiskType.Dynamic, virtualSize));
    const header = encodeDynamicHeader(createDynamicHeader({ tableOffset: layout.tableOffset, maxTableEntries: layout.maxTableEntries, blockSize: this.#blockSize }));
    await this.#writer.drain();
    await this.#io(async () => {
      await writeGathered(this.#handle, [footer, header], 0);
      await writeFully(this.#handle, encodeBat(table, layout.tableByteSize), layout.tableOffset);
      await writeFully(this.#handle, footer, layout.footerOffset);
    });
    return { fileSize: layout.fileSize, storedBlocks: this.#storedBlocks };
  }

  /** Waits for the block writes in flight (after a failure or abort, before the file is closed and removed). */
  settle(): Promise<void> {
    return this.#writer.settle();
  }

  /** Grows the in-memory BAT of a stream of unknown length to hold `blockIndex`. */
  #ensureEntry(blockIndex: number): void {
    if (blockIndex < this.#bat.length) return;
    if (blockIndex >= MAX_TABLE_ENTRIES) {
      throw new VhdIoError('UNSUPPORTED', `block size ${this.#blockSize} is too small for ${this.#path}: the source needs more than ${MAX_TABLE_ENTRIES} BAT entries`, { path: this.#path });
    }
    let length = this.#bat.length;
    while (length <= blockIndex) length *= 2;
    const grown = new Uint32Array(Math.min(length, MAX_TABLE_ENTRIES)).fill(UNUSED_BAT_ENTRY);
    grown.set(this.#bat);
    this.#bat = grown;
  }

  async #io(operation: () => Promise<void>): Promise<void> {
    try {
      await operation();
    } catch (error) {
      throw toVhdIoError(error, 'writing', this.#path);
    }
  }
}

function layoutOf(init: Parameters<typeof planPackedDynamicLayout>[0], path: string): ReturnType<typeof planPackedDynamicLayout> {
  try {
    return planPackedDynamicLayout(init);
  } catch (error) {
    if (error instanceof VhdFormatError) throw new VhdIoError('UNSUPPORTED', `cannot lay out ${path}: ${error.message}`, { path, cause: error });
    throw error;
  }
}
