import type { FileHandle } from 'node:fs/promises';
import {
  DYNAMIC_HEADER_SIZE,
  FOOTER_SIZE,
  SECTOR_SIZE,
  SectorBitmap,
  UNUSED_BAT_ENTRY,
  batByteSize,
  diskTypeName,
  encodeFooter,
  isUnusedLocator,
  locatorDataSpaceBytes,
  sectorBitmapByteSize,
} from '@vhdkit/vhd-format';
import type { DiskTypeName, DynamicHeader } from '@vhdkit/vhd-format';
import { openReadOnly, readImageMetadata } from './creation-api.js';
import { openImageHandle } from '../open-image.js';
import type { ImageMetadata } from './creation-api.js';
import { BlockStateCache, READ_ONLY_PARTIAL_BITMAPS } from './block-states.js';
import type { BlockState } from './block-states.js';
import { chainError, withIo, withIoSync } from './errors.js';
import { readFully, readFullySync, readGatheredFully, readGatheredFullySync } from '../file-io.js';

/** Block geometry of a dynamic or differencing image. */
export interface BlockGeometry {
  blockSize: number;
  sectorsPerBlock: number;
  bitmapByteSize: number;
}

/**
 * One VHD file opened for I/O: its metadata, BAT and cached bitmaps. Knows nothing about parents;
 * the chain (disk.ts) decides what clear bits and unallocated blocks mean.
 */
export class ImageFile {
  readonly path: string;
  readonly metadata: ImageMetadata;
  readonly handle: FileHandle;
  readonly writable: boolean;
  /** Reads run on the calling thread (OpenDiskOptions.blockingReads). */
  readonly blockingReads: boolean;
  readonly diskType: DiskTypeName;
  readonly virtualSize: number;
  readonly header: DynamicHeader | undefined;
  readonly geometry: BlockGeometry | undefined;
  /** Live BAT (updated by writes); the same array as `metadata.bat`. */
  readonly bat: Uint32Array;
  /** First byte after every structure the image references: new blocks are placed from here. */
  dataEnd: number;
  /** Blocks whose BAT entry points outside the file or into the header, BAT or locator data: never used. */
  private readonly corruptBlocks: Set<number>;
  /** Undefined for fixed disks. */
  private readonly blockStates: BlockStateCache | undefined;

  private constructor(metadata: ImageMetadata, handle: FileHandle, writable: boolean, diskType: DiskTypeName, blockingReads: boolean) {
    this.path = metadata.path;
    this.metadata = metadata;
    this.handle = handle;
    this.writable = writable;
    this.blockingReads = blockingReads;
    this.diskType = diskType;
    this.virtualSize = metadata.footer.currentSize;
    this.header = metadata.header;
    if (diskType === 'fixed') {
      this.geometry = undefined;
      this.bat = new Uint32Array(0);
      this.dataEnd = this.virtualSize;
      this.corruptBlocks = new Set();
      this.blockStates = undefined;
    } else {
      const header = requireHeader(metadata);
      this.geometry = {
        blockSize: header.blockSize,
        sectorsPerBlock: header.blockSize / SECTOR_SIZE,
        bitmapByteSize: sectorBitmapByteSize(header.blockSize),
      };
      this.bat = metadata.bat ?? new Uint32Array(0);
      this.corruptBlocks = misplacedBlocks(metadata, header, this.bat, this.geometry);
      this.dataEnd = referencedEnd(metadata, header, this.bat, this.geometry, this.corruptBlocks);
      this.blockStates = new BlockStateCache(
        this.bat.length,
        this.geometry.bitmapByteSize,
        this.geometry.sectorsPerBlock,
        writable ? undefined : READ_ONLY_PARTIAL_BITMAPS,
      );
    }
  }

  /**
   * Opens `path` ('r' or 'r+'); the metadata is read leniently (problems become chain warnings) unless
   * the caller already read it, BAT included.
   */
  static async open(path: string, writable: boolean, known?: ImageMetadata, blockingReads = false): Promise<ImageFile> {
    const metadata = known ?? (await readImageMetadata(path, { bat: true }));
    const diskType = diskTypeName(metadata.footer.diskType);
    if (diskType === undefined) {
      throw chainError('UNSUPPORTED', `disk type ${metadata.footer.diskType} is not fixed, dynamic or differencing`, metadata.path);
    }
    if (diskType !== 'fixed' && metadata.bat === undefined) {
      throw chainError('NOT_A_VHD', 'the image has no readable block allocation table', metadata.path);
    }
    // Read-only handles use O_NOATIME where allowed, so reading a chain leaves its parents' times alone. Both kinds
    // refuse anything but a regular file without waiting on it (a FIFO put where the metadata was read).
    const handle = writable ? await openImageHandle(metadata.path, 'write') : await openReadOnly(metadata.path);
    return new ImageFile(metadata, handle, writable, diskType, blockingReads);
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

  /** Blocking reads while the handle is open; a closed one (fd -1) takes the FileHandle path, which says EBADF. */
  private readsBlock(): boolean {
    return this.blockingReads && this.handle.fd >= 0;
  }

  /** Records a bitmap read or changed (the cache owns it from now on); returns the block's state. */
  rememberBitmap(blockIndex: number, bitmap: SectorBitmap): BlockState {
    return this.blockStates!.remember(blockIndex, bitmap);
  }

  /** Fills `target` from file offset `position` (zeros past the end of the file); fs failures become VhdIoError. */
  async readAt(target: Uint8Array, position: number): Promise<void> {
    if (this.readsBlock()) {
      withIoSync(this.path, () => readFullySync(this.handle.fd, target, position));
    } else {
      await withIo(this.path, () => readFully(this.handle, target, position));
    }
  }

  /** Fills `parts` in order from consecutive file bytes at `position` (one preadv), as readAt. */
  async readGatheredAt(parts: readonly Uint8Array[], position: number): Promise<void> {
    if (this.readsBlock()) {
      withIoSync(this.path, () => readGatheredFullySync(this.handle.fd, parts, position));
    } else {
      await withIo(this.path, () => readGatheredFully(this.handle, parts, position));
    }
  }

  /** The footer bytes to write at a new end of file: as stored, checksum kept. */
  footerBytes(): Uint8Array {
    return encodeFooter(this.metadata.footer, { checksum: 'keep' });
  }

  async close(): Promise<void> {
    await withIo(this.path, () => this.handle.close());
  }
}

function requireHeader(metadata: ImageMetadata): DynamicHeader {
  if (!metadata.header) throw chainError('NOT_A_VHD', 'dynamic or differencing image without a dynamic header', metadata.path);
  return metadata.header;
}

/** [start, end) of the structures before the blocks: footer copy and header, BAT region, locator data spaces. */
function metadataRegions(metadata: ImageMetadata, header: DynamicHeader): [number, number][] {
  const regions: [number, number][] = [
    [0, Number(metadata.footer.dataOffset) + DYNAMIC_HEADER_SIZE],
    [header.tableOffset, header.tableOffset + batByteSize(header.maxTableEntries)],
  ];
  for (const locator of header.parentLocators) {
    if (!isUnusedLocator(locator)) regions.push([locator.platformDataOffset, locator.platformDataOffset + locatorDataSpaceBytes(locator)]);
  }
  return regions;
}

/** Allocated blocks that would run past the footer or overlap metadata (reading them would return other bytes). */
function misplacedBlocks(metadata: ImageMetadata, header: DynamicHeader, bat: Uint32Array, geometry: BlockGeometry): Set<number> {
  const regions = metadataRegions(metadata, header);
  const footerOffset = metadata.fileSize - (FOOTER_SIZE - 1);
  const blockSpan = geometry.bitmapByteSize + geometry.blockSize;
  const misplaced = new Set<number>();
  bat.forEach((entry, blockIndex) => {
    if (entry === UNUSED_BAT_ENTRY) return;
    const start = entry * SECTOR_SIZE;
    const end = start + blockSpan;
    if (end > footerOffset || regions.some(([regionStart, regionEnd]) => start < regionEnd && regionStart < end)) misplaced.add(blockIndex);
  });
  return misplaced;
}

/** End of the last referenced byte: header, BAT region, locator data spaces and (well-placed) allocated blocks. */
export function referencedEnd(metadata: ImageMetadata, header: DynamicHeader, bat: Uint32Array, geometry: BlockGeometry, ignored: ReadonlySet<number>): number {
  let end = Math.max(...metadataRegions(metadata, header).map(([, regionEnd]) => regionEnd));
  const blockSpan = geometry.bitmapByteSize + geometry.blockSize;
  bat.forEach((entry, blockIndex) => {
    if (entry !== UNUSED_BAT_ENTRY && !ignored.has(blockIndex)) end = Math.max(end, entry * SECTOR_SIZE + blockSpan);
  });
  return end;
}
