import type { FileHandle } from 'node:fs/promises';
import {
  BlockPlacement,
  UNUSED_BAT_ENTRY,
  SECTOR_SIZE,
  SectorBitmap,
  diskTypeName,
  encodeFooter,
  referencedEnd,
} from '@vhdkit/vhd-format';
import type { BlockGeometry, DiskTypeName, DynamicHeader, RandomAccessSource } from '@vhdkit/vhd-format';
import type { ImageMetadata } from './creation-api.js';
import { readSourceMetadata } from '../metadata.js';
import { FileSource } from '../file-source.js';
import { BlockStateCache, READ_ONLY_PARTIAL_BITMAPS } from './block-states.js';
import type { BlockState } from './block-states.js';
import { chainError } from './errors.js';

export type { BlockGeometry } from '@vhdkit/vhd-format';

/** How an ImageFile reads its bytes: a FileSource natively, any other source through SourceReads. */
export interface ImageReads {
  /** Fills `target` from `position`. */
  readAt(target: Uint8Array, position: number): Promise<void>;
  /** Fills `parts` in order from consecutive bytes at `position`. */
  readGatheredAt(parts: readonly Uint8Array[], position: number): Promise<void>;
}

/** Chain reads over any RandomAccessSource (bytes, Blob, URL): one source read per call. */
class SourceReads implements ImageReads {
  constructor(private readonly source: RandomAccessSource) {}

  async readAt(target: Uint8Array, position: number): Promise<void> {
    if (this.source.readInto) await this.source.readInto(target, position);
    else target.set(await this.source.read(position, target.length));
  }

  async readGatheredAt(parts: readonly Uint8Array[], position: number): Promise<void> {
    if (this.source.readGatheredInto) {
      await this.source.readGatheredInto(parts, position);
      return;
    }
    const total = parts.reduce((sum, part) => sum + part.length, 0);
    const bytes = await this.source.read(position, total);
    let at = 0;
    for (const part of parts) {
      part.set(bytes.subarray(at, at + part.length));
      at += part.length;
    }
  }
}

/**
 * One VHD image opened for I/O: its metadata, BAT and cached bitmaps. Knows nothing about parents;
 * the chain (disk.ts) decides what clear bits and unallocated blocks mean.
 */
export class ImageFile {
  readonly path: string;
  readonly metadata: ImageMetadata;
  readonly source: RandomAccessSource;
  readonly writable: boolean;
  /** Reads run on the calling thread (OpenDiskOptions.blockingReads; files only). */
  readonly blockingReads: boolean;
  readonly diskType: DiskTypeName;
  readonly virtualSize: number;
  readonly header: DynamicHeader | undefined;
  readonly geometry: BlockGeometry | undefined;
  /** Live BAT (updated by writes); the same array as `metadata.bat`. */
  readonly bat: Uint32Array;
  /** First byte after every structure the image references: new blocks are placed from here. */
  dataEnd: number;
  /** Blocks whose BAT entry points outside the data area or into the header, BAT or locator data: never used. */
  private readonly corruptBlocks: ReadonlySet<number>;
  /** Undefined for fixed disks. */
  private readonly blockStates: BlockStateCache | undefined;
  private readonly reads: ImageReads;

  private constructor(metadata: ImageMetadata, source: RandomAccessSource, writable: boolean, diskType: DiskTypeName) {
    this.path = metadata.path;
    this.metadata = metadata;
    this.source = source;
    this.reads = source instanceof FileSource ? source : new SourceReads(source);
    this.writable = writable;
    this.blockingReads = source instanceof FileSource && source.blockingReads;
    this.diskType = diskType;
    this.virtualSize = metadata.footer.currentSize;
    this.header = metadata.header;
    const { image } = metadata;
    if (diskType === 'fixed' || !image.geometry || !image.bat) {
      this.geometry = undefined;
      this.bat = new Uint32Array(0);
      this.dataEnd = this.virtualSize;
      this.corruptBlocks = new Set();
      this.blockStates = undefined;
    } else {
      this.geometry = image.geometry;
      this.bat = image.bat;
      this.corruptBlocks = new BlockPlacement(image).misplaced;
      this.dataEnd = referencedEnd(image, this.bat, this.corruptBlocks);
      this.blockStates = new BlockStateCache(
        this.bat.length,
        this.geometry.bitmapByteSize,
        this.geometry.sectorsPerBlock,
        writable ? undefined : READ_ONLY_PARTIAL_BITMAPS,
      );
    }
  }

  /** Opens `path` ('r' or 'r+') and reads its metadata leniently (problems become chain warnings). */
  static async open(path: string, writable: boolean, blockingReads = false): Promise<ImageFile> {
    const source = await FileSource.open(path, { writable, blockingReads });
    try {
      return ImageFile.fromSource(source, await readSourceMetadata(source, { bat: true }), writable);
    } catch (error) {
      await source.close().catch(() => undefined);
      throw error;
    }
  }

  /** An image whose metadata was read from `source`; only a writable FileSource can take writes. */
  static fromSource(source: RandomAccessSource, metadata: ImageMetadata, writable: boolean): ImageFile {
    const diskType = diskTypeName(metadata.footer.diskType);
    if (diskType === undefined) {
      throw chainError('UNSUPPORTED', `disk type ${metadata.footer.diskType} is not fixed, dynamic or differencing`, metadata.path);
    }
    if (diskType !== 'fixed' && metadata.bat === undefined) {
      throw chainError('NOT_A_VHD', 'the image has no readable block allocation table', metadata.path);
    }
    if (writable && !(source instanceof FileSource)) throw chainError('READ_ONLY', 'only a file opened for writing can take writes', metadata.path);
    return new ImageFile(metadata, source, writable, diskType);
  }

  /** The file descriptor's handle (writes, syncs); sources that are not files have none. */
  get handle(): FileHandle {
    if (!(this.source instanceof FileSource)) throw chainError('READ_ONLY', 'the image is not a file', this.path);
    return this.source.handle;
  }

  /** File offset of a block's data, or undefined when the BAT says unallocated. */
  blockDataOffset(blockIndex: number): number | undefined {
    const entry = blockIndex < this.bat.length ? this.bat[blockIndex]! : UNUSED_BAT_ENTRY;
    if (entry === UNUSED_BAT_ENTRY) return undefined;
    if (this.corruptBlocks.has(blockIndex)) {
      throw chainError('CORRUPT', `block ${blockIndex}'s BAT entry (sector ${entry}) points outside the data area (run check for details)`, this.path);
    }
    return entry * SECTOR_SIZE + this.geometry!.bitmapByteSize;
  }

  isAllocated(blockIndex: number): boolean {
    return blockIndex < this.bat.length && this.bat[blockIndex] !== UNUSED_BAT_ENTRY;
  }

  /** The bitmap of an allocated block, read once and cached (within BlockStateCache's bounds). */
  async blockState(blockIndex: number): Promise<BlockState> {
    const cache = this.blockStates!;
    const cached = cache.get(blockIndex);
    if (cached) return cached;
    const geometry = this.geometry!;
    const bytes = new Uint8Array(geometry.bitmapByteSize);
    await this.readAt(bytes, this.bat[blockIndex]! * SECTOR_SIZE);
    return cache.remember(blockIndex, new SectorBitmap(bytes, geometry.sectorsPerBlock));
  }

  /** Whether block `blockIndex`'s state is cached (reading it costs nothing). */
  hasBlockState(blockIndex: number): boolean {
    return this.blockStates?.has(blockIndex) ?? false;
  }

  /** Loads the bitmaps of the allocated blocks in [first, last] not cached yet, concurrently. */
  async prefetchBlockStates(first: number, last: number): Promise<void> {
    const missing: Promise<BlockState>[] = [];
    for (let blockIndex = first; blockIndex <= last; blockIndex++) {
      if (this.isAllocated(blockIndex) && !this.corruptBlocks.has(blockIndex) && !this.hasBlockState(blockIndex)) {
        missing.push(this.blockState(blockIndex));
      }
    }
    await Promise.all(missing);
  }

  /** Records a bitmap read or changed (the cache owns it from now on); returns the block's state. */
  rememberBitmap(blockIndex: number, bitmap: SectorBitmap): BlockState {
    return this.blockStates!.remember(blockIndex, bitmap);
  }

  /** Fills `target` from image offset `position` (placement was checked at open); failures are VhdIoError. */
  async readAt(target: Uint8Array, position: number): Promise<void> {
    await this.reads.readAt(target, position);
  }

  /** Fills `parts` in order from consecutive image bytes at `position` (one preadv for a file), as readAt. */
  async readGatheredAt(parts: readonly Uint8Array[], position: number): Promise<void> {
    await this.reads.readGatheredAt(parts, position);
  }

  /** The footer bytes to write at a new end of file: as stored, checksum kept. */
  footerBytes(): Uint8Array {
    return encodeFooter(this.metadata.footer, { checksum: 'keep' });
  }

  async close(): Promise<void> {
    await this.source.close?.();
  }
}
