/**
 * The one checker: everything wrong with an image (and its link to its parents), as a bounded report. It applies
 * the reader's rules (footer search, header and table limits, locator bounds, block placement) but reports each
 * broken one instead of stopping at the first, and goes on wherever it safely can.
 *
 * Bounded: the BAT is read in chunks, memory is at most one sector number per table entry (the table must lie in
 * the image and has at most MAX_TABLE_ENTRIES entries), a locator refused once is never read, and the report keeps
 * at most MAX_ISSUE_EXAMPLES issues per code (with counts of all). Time: one pass over the table and the bitmaps of
 * the well-placed blocks, plus one sort of their offsets.
 */
import { decodeBatInPlace } from '../bat.js';
import { DiskType, diskTypeName, DYNAMIC_HEADER_SIZE, FOOTER_SIZE, hasDynamicHeader, MAX_VIRTUAL_SIZE, SECTOR_SIZE, SHORT_FOOTER_SIZE, UNUSED_BAT_ENTRY } from '../constants.js';
import type { DiskTypeName } from '../constants.js';
import { decodeDynamicHeaderLenient } from '../dynamic-header.js';
import type { DynamicHeader } from '../dynamic-header.js';
import { VhdFormatError } from '../errors.js';
import type { Lenient } from '../errors.js';
import { DYNAMIC_HEADER_FIELDS, FOOTER_FIELDS, LOCATOR_ENTRY_SIZE } from '../field-tables.js';
import type { Footer } from '../footer.js';
import { blockPlacementFault, metadataRegions } from '../image/block-placement.js';
import type { ImageRegion } from '../image/block-placement.js';
import { decodeTrailingFooter, isDamagedFooter, usableFooterCopy } from '../image/footer-search.js';
import { blockGeometry, readImage } from '../image/read-image.js';
import type { LocatorPath, VhdImage } from '../image/read-image.js';
import { decodeLocatorPath, isUnusedLocator, locatorDataSpaceBytes } from '../parent-locator.js';
import { SectorBitmap } from '../sector-bitmap.js';
import type { RandomAccessSource } from '../source/random-access-source.js';
import { throwIfAborted } from '../source/check-range.js';
import { VhdChainError } from '../chain/chain-error.js';
import { openImageChain, timestampMismatch } from '../chain/open-chain.js';
import type { ParentResolver } from '../chain/open-chain.js';
import { IssueList } from './issue-list.js';
import type { CheckIssue } from './issue-list.js';

/** Slack between the last referenced byte and the footer that is normal layout padding, not lost space. */
const ALIGNMENT_SLACK_BYTES = 4096;
/** BAT entries read at a time (256 KiB of table). */
const BAT_CHUNK_ENTRIES = 64 * 1024;
/** Bitmaps this close together are read with one read (at most this many bytes). */
const BITMAP_WINDOW_BYTES = 256 * 1024;
/** Bitmap reads kept in flight (a file source's thread pool, an HTTP source's connections). */
const BITMAP_READS_IN_FLIGHT = 8;
const H = DYNAMIC_HEADER_FIELDS;

/** What `checkImage` compares a differencing image against (its parents, their times), and its cancellation. */
export interface CheckImageOptions {
  /** Finds parents to check a differencing image's chain (unique ids, times, loops, depth); none: not checked. */
  resolveParent?: ParentResolver;
  /** A parent timestamp mismatch is an error (default) or, with 'accept', a warning. */
  timestampMismatch?: 'error' | 'accept';
  signal?: AbortSignal;
}

/** The check report, plus the raw structures a repair needs. */
export interface ImageCheck {
  /** The source's name. */
  name: string;
  diskType: DiskTypeName | undefined;
  /** True when no issue has severity 'error' (counted ones included). */
  ok: boolean;
  /** The first MAX_ISSUE_EXAMPLES issues of each code, in the order found. */
  issues: CheckIssue[];
  /** How many issues of each code were found. */
  counts: Record<string, number>;
  /** Issues counted but not kept as examples. */
  omittedIssues: number;
  size: number;
  /** The footer as it should be (the trailing one, or the intact copy when the end is damaged), 512 bytes. */
  footerBytes?: Uint8Array;
  /** Where the trailing footer starts, when it decodes. */
  trailingOffset?: number;
  /** The 512 bytes at offset 0 of a dynamic or differencing image. */
  copyBytes?: Uint8Array;
  header?: { offset: number; bytes: Uint8Array };
  /** First byte after every referenced structure. */
  dataEnd: number;
}

/** Checks the image in `source` (left open). Fails only when the source itself fails (I/O, abort). */
export async function checkImage(source: RandomAccessSource, options: CheckImageOptions = {}): Promise<ImageCheck> {
  return new Checker(source, options).run();
}

interface FooterChoice {
  footer: Footer;
  /** Where the data area ends: the trailing footer's offset, or the image size when only the copy is intact. */
  dataAreaEnd: number;
}

class Checker {
  private readonly list = new IssueList();
  private diskType: DiskTypeName | undefined;
  private readonly result: Omit<ImageCheck, 'name' | 'diskType' | 'ok' | 'issues' | 'counts' | 'omittedIssues'> = { size: 0, dataEnd: 0 };

  constructor(
    private readonly source: RandomAccessSource,
    private readonly options: CheckImageOptions,
  ) {}

  async run(): Promise<ImageCheck> {
    this.result.size = this.source.size;
    const choice = await this.checkFooter(this.source.size);
    if (choice) await this.checkByType(choice);
    const list = this.list;
    return {
      name: this.source.name,
      diskType: this.diskType,
      ok: !list.hasErrors,
      issues: list.issues,
      counts: list.counts,
      omittedIssues: list.omitted,
      ...this.result,
    };
  }

  private async read(offset: number, length: number): Promise<Uint8Array> {
    throwIfAborted(this.options.signal);
    return this.source.read(offset, length, { signal: this.options.signal });
  }

  /** The reader's footer search, reporting what it tolerates. */
  private async checkFooter(size: number): Promise<FooterChoice | undefined> {
    const list = this.list;
    if (!Number.isSafeInteger(size) || size < SHORT_FOOTER_SIZE) {
      list.add('NOT_A_VHD', 'error', `the image is ${size} bytes, shorter than a VHD footer`);
      return undefined;
    }
    const tailLength = Math.min(FOOTER_SIZE, size);
    const found = decodeTrailingFooter(await this.read(size - tailLength, tailLength), size);
    const trailing = 'error' in found ? undefined : found;
    const copyBytes = size >= 2 * FOOTER_SIZE ? await this.read(0, FOOTER_SIZE) : undefined;
    const copy = copyBytes ? usableFooterCopy(copyBytes) : undefined;
    let choice: FooterChoice;
    const useTrailing = trailing !== undefined && (!isDamagedFooter(trailing.decoded.problems) || copy === undefined);
    if (trailing && useTrailing) {
      const short = trailing.bytes.length < FOOTER_SIZE;
      if (short) {
        list.add('FOOTER_TRUNCATED', 'warning', 'the footer at the end is 511 bytes (old Virtual PC); readers expect 512', { offset: trailing.offset, repairable: true });
      }
      list.addProblems('FOOTER', trailing.decoded.problems.filter((problem) => !(short && problem.code === 'TRUNCATED')), trailing.offset);
      this.result.footerBytes = padded(trailing.bytes);
      this.result.trailingOffset = trailing.offset;
      choice = { footer: trailing.decoded.value, dataAreaEnd: trailing.offset };
    } else if (copy && copyBytes) {
      const why = trailing ? 'its fields are damaged' : 'it is unreadable';
      list.add('FOOTER_DAMAGED', 'error', `the footer at the end of the image is damaged (${why}); the copy at offset 0 is intact`, { offset: size - FOOTER_SIZE, repairable: true });
      this.result.footerBytes = copyBytes;
      choice = { footer: copy.value, dataAreaEnd: size };
    } else {
      list.add('NOT_A_VHD', 'error', 'no VHD footer at the end of the image or at offset 0');
      return undefined;
    }
    const hasHeader = hasDynamicHeader(choice.footer.diskType);
    if (hasHeader) this.result.copyBytes = copyBytes;
    if (useTrailing && copyBytes && hasHeader && !sameBytes(copyBytes, this.result.footerBytes!)) {
      list.add('FOOTER_COPY_MISMATCH', 'error', 'the footer copy at offset 0 differs from the footer at the end', { offset: 0, repairable: true });
    }
    return choice;
  }

  private async checkByType({ footer, dataAreaEnd }: FooterChoice): Promise<void> {
    const list = this.list;
    const footerAt = this.result.trailingOffset ?? 0;
    this.diskType = diskTypeName(footer.diskType);
    if (this.diskType === undefined) {
      list.add('BAD_DISK_TYPE', 'error', `disk type ${footer.diskType} is not fixed, dynamic or differencing`, { offset: footerAt + FOOTER_FIELDS.diskType.offset });
      return;
    }
    if (!Number.isSafeInteger(footer.currentSize)) return; // FOOTER_BAD_SIZE says so; nothing below can be sized.
    if (footer.currentSize > MAX_VIRTUAL_SIZE) {
      list.add('DISK_TOO_LARGE', 'error', `the footer's current size ${footer.currentSize} exceeds 2040 GiB (${MAX_VIRTUAL_SIZE} bytes); readers refuse the image`, { offset: footerAt + FOOTER_FIELDS.currentSize.offset });
    }
    if (this.diskType === 'fixed') {
      if (dataAreaEnd !== footer.currentSize) {
        list.add('FIXED_SIZE_MISMATCH', 'error', `the data area is ${dataAreaEnd} bytes but the footer says ${footer.currentSize}`, { offset: dataAreaEnd });
      }
      this.result.dataEnd = footer.currentSize;
      return;
    }
    await this.checkDynamic(footer, dataAreaEnd, footerAt);
  }

  private async checkDynamic(footer: Footer, dataAreaEnd: number, footerAt: number): Promise<void> {
    const list = this.list;
    const headerOffset = Number(footer.dataOffset);
    if (!Number.isSafeInteger(headerOffset) || headerOffset < FOOTER_SIZE || headerOffset + DYNAMIC_HEADER_SIZE > dataAreaEnd) {
      list.add('HEADER_OUT_OF_FILE', 'error', `the footer places the dynamic header at ${footer.dataOffset}, outside the data area`, { offset: footerAt + FOOTER_FIELDS.dataOffset.offset });
      return;
    }
    const headerBytes = await this.read(headerOffset, DYNAMIC_HEADER_SIZE);
    let decoded: Lenient<DynamicHeader>;
    try {
      decoded = decodeDynamicHeaderLenient(headerBytes, { fileSize: dataAreaEnd });
    } catch (error) {
      if (!(error instanceof VhdFormatError)) throw error;
      list.add('HEADER_UNREADABLE', 'error', `no dynamic header at ${headerOffset}: ${error.message}`, { offset: headerOffset });
      return;
    }
    this.result.header = { offset: headerOffset, bytes: headerBytes };
    const header = decoded.value;
    const rejected = new Set<number>();
    let fatal = false;
    for (const problem of decoded.problems) {
      const at = headerOffset + problem.offset;
      if (problem.severity === 'error' && problem.code === 'BAD_BLOCK_SIZE') {
        list.add('BAD_BLOCK_SIZE', 'error', problem.message, { offset: at });
        fatal = true;
      } else if (problem.severity === 'error' && problem.code === 'TABLE_OUT_OF_RANGE') {
        list.add('BAT_OUT_OF_FILE', 'error', problem.message, { offset: at });
        fatal = true;
      } else if (problem.severity === 'error' && problem.code === 'BAD_LOCATOR') {
        const index = Math.floor((problem.offset - H.parentLocators.offset) / LOCATOR_ENTRY_SIZE);
        if (!rejected.has(index)) list.add('LOCATOR_OUT_OF_FILE', 'error', problem.message, { offset: at });
        rejected.add(index);
      } else {
        list.addProblems('HEADER', [problem], headerOffset);
      }
    }
    if (fatal) return;
    const image: VhdImage = {
      source: this.source, size: this.source.size, footer, footerLocation: this.result.trailingOffset === undefined ? 'copy' : 'trailing',
      footerOffset: this.result.trailingOffset, dataAreaEnd, header, headerOffset, geometry: blockGeometry(header.blockSize),
      parentLocatorPaths: [], rejectedLocators: rejected, problems: [],
    };
    const blocksNeeded = Math.ceil(footer.currentSize / header.blockSize);
    if (header.maxTableEntries < blocksNeeded) {
      list.add('BAT_TOO_SMALL', 'error', `the BAT has ${header.maxTableEntries} entries; a ${footer.currentSize}-byte disk needs ${blocksNeeded}`, { offset: headerOffset + H.maxTableEntries.offset });
    }
    const regions = metadataRegions(image);
    image.parentLocatorPaths = await this.checkLocators(header, rejected);
    regions.forEach((a, index) => {
      for (const b of regions.slice(index + 1)) {
        if (a.start < b.end && b.start < a.end) list.add('METADATA_OVERLAP', 'error', `${a.what} [${a.start}, ${a.end}) overlaps ${b.what} [${b.start}, ${b.end})`, { offset: b.start });
      }
    });
    const dataEnd = await this.checkBlocks(image, regions, blocksNeeded);
    this.result.dataEnd = dataEnd;
    if (dataAreaEnd - dataEnd > ALIGNMENT_SLACK_BYTES) {
      list.add('UNREFERENCED_SPACE', 'info', `${dataAreaEnd - dataEnd} bytes before the footer belong to no block (an interrupted block allocation leaves this; the next one reuses it)`, { offset: dataEnd });
    }
    if (footer.diskType === DiskType.Differencing && this.options.resolveParent) await this.checkParents(image);
  }

  /** Locators the header decoder accepted: read once each (the refused ones never). */
  private async checkLocators(header: DynamicHeader, rejected: ReadonlySet<number>): Promise<LocatorPath[]> {
    const paths: LocatorPath[] = [];
    for (const [index, entry] of header.parentLocators.entries()) {
      if (isUnusedLocator(entry) || rejected.has(index)) continue;
      if (locatorDataSpaceBytes(entry) !== entry.platformDataSpace) {
        this.list.add('LOCATOR_SPACE_IN_SECTORS', 'info', `parent locator ${index} gives its data space in sectors (${entry.platformDataSpace}), as the specification says; Windows writes bytes`, { offset: entry.platformDataOffset });
      }
      try {
        const path = decodeLocatorPath(entry.platformCode, await this.read(entry.platformDataOffset, entry.platformDataLength));
        if (path !== undefined) paths.push({ platformCode: entry.platformCode, path });
      } catch (error) {
        if (!(error instanceof VhdFormatError)) throw error;
        this.list.add('LOCATOR_UNREADABLE', 'warning', `parent locator ${JSON.stringify(entry.platformCode)} does not hold a path: ${error.message}`, { offset: entry.platformDataOffset });
      }
    }
    return paths;
  }

  /**
   * Every BAT entry (read in chunks, twice): the first pass applies the placement rule and collects the well-placed
   * blocks' offsets, which are sorted to find overlaps; the second reads the bitmap of each block that no other
   * shares (a binary search per block). Returns the end of the last referenced byte.
   */
  private async checkBlocks(image: VhdImage, regions: readonly ImageRegion[], blocksNeeded: number): Promise<number> {
    const list = this.list;
    const { blockSize, bitmapByteSize } = image.geometry!;
    const span = bitmapByteSize + blockSize;
    const currentSize = image.footer.currentSize;
    let dataEnd = Math.max(0, ...regions.map((region) => region.end));
    // One sector number per well-placed block (≤ 16 MiB: the table's own size, which lies inside the image).
    const starts = new Uint32Array(image.header!.maxTableEntries);
    let placed = 0;
    await this.forEachEntry(image, (entry, blockIndex) => {
      const start = entry * SECTOR_SIZE;
      const fault = blockPlacementFault(start, start + span, image.dataAreaEnd, regions);
      if (fault === 'outside') {
        list.add('BLOCK_OUT_OF_FILE', 'error', () => `block ${blockIndex} at ${start} ends at ${start + span}, past the data area's end at ${image.dataAreaEnd}`, { offset: start, blockIndex });
      } else if (fault) {
        list.add('BLOCK_OVERLAPS_METADATA', 'error', () => `block ${blockIndex} at ${start} overlaps the ${fault.what}`, { offset: start, blockIndex });
      } else {
        if (blockIndex >= blocksNeeded) {
          list.add('BLOCK_BEYOND_DISK', 'warning', () => `block ${blockIndex} is allocated but lies past the ${currentSize}-byte disk`, { offset: start, blockIndex });
        }
        starts[placed++] = entry;
        dataEnd = Math.max(dataEnd, start + span);
      }
    });
    // In place on purpose: a sorted copy (toSorted) would hold the offsets twice.
    // oxlint-disable-next-line unicorn/no-array-sort
    const sorted = starts.subarray(0, placed).sort();
    for (let index = 1; index < sorted.length; index++) {
      const previous = sorted[index - 1]! * SECTOR_SIZE;
      const current = sorted[index]! * SECTOR_SIZE;
      if (current < previous + span) list.add('BLOCKS_OVERLAP', 'error', () => `the blocks at ${previous} and ${current} overlap`, { offset: current });
    }
    if (placed === 0) return dataEnd;
    const bitmapReads: { entry: number; blockIndex: number }[] = [];
    await this.forEachEntry(image, (entry, blockIndex) => {
      const at = lowerBound(sorted, entry);
      if (sorted[at] !== entry || sorted[at + 1] === entry) return; // misplaced, or shared with another block
      bitmapReads.push({ entry, blockIndex });
    }, () => this.checkBitmaps(bitmapReads.splice(0), image));
    return dataEnd;
  }

  /** Calls `visit` for every allocated entry, a chunk of the table at a time; `afterChunk` runs after each chunk. */
  private async forEachEntry(image: VhdImage, visit: (entry: number, blockIndex: number) => void, afterChunk?: () => Promise<void>): Promise<void> {
    const { maxTableEntries, tableOffset } = image.header!;
    for (let first = 0; first < maxTableEntries; first += BAT_CHUNK_ENTRIES) {
      const count = Math.min(BAT_CHUNK_ENTRIES, maxTableEntries - first);
      const chunk = decodeChunk(await this.read(tableOffset + first * 4, count * 4));
      for (let index = 0; index < count; index++) if (chunk[index] !== UNUSED_BAT_ENTRY) visit(chunk[index]!, first + index);
      await afterChunk?.();
    }
  }

  /**
   * Reads the bitmaps of one chunk's blocks in file order, a window of nearby ones per read (small blocks lie a
   * sector or two apart) and several windows in flight, then checks each.
   */
  private async checkBitmaps(blocks: { entry: number; blockIndex: number }[], image: VhdImage): Promise<void> {
    const { bitmapByteSize, sectorsPerBlock } = image.geometry!;
    blocks.sort((a, b) => a.entry - b.entry);
    const windows: { start: number; end: number; blocks: { entry: number; blockIndex: number }[] }[] = [];
    for (const block of blocks) {
      const start = block.entry * SECTOR_SIZE;
      const last = windows.at(-1);
      if (last && start + bitmapByteSize - last.start <= BITMAP_WINDOW_BYTES) {
        last.end = start + bitmapByteSize;
        last.blocks.push(block);
      } else {
        windows.push({ start, end: start + bitmapByteSize, blocks: [block] });
      }
    }
    for (let first = 0; first < windows.length; first += BITMAP_READS_IN_FLIGHT) {
      const batch = windows.slice(first, first + BITMAP_READS_IN_FLIGHT);
      const reads = await Promise.all(batch.map((window) => this.read(window.start, window.end - window.start)));
      batch.forEach((window, index) => {
        for (const { entry, blockIndex } of window.blocks) {
          const at = entry * SECTOR_SIZE - window.start;
          this.checkBitmap(new SectorBitmap(reads[index]!.subarray(at, at + bitmapByteSize), sectorsPerBlock), blockIndex, entry * SECTOR_SIZE, image);
        }
      });
    }
  }

  private checkBitmap(bitmap: SectorBitmap, blockIndex: number, start: number, image: VhdImage): void {
    const { blockSize, sectorsPerBlock } = image.geometry!;
    if (bitmap.isEmpty()) {
      this.list.add('EMPTY_BITMAP', 'info', `block ${blockIndex} is allocated but its bitmap marks no sector`, { offset: start, blockIndex });
      return;
    }
    const sectorsInDisk = Math.ceil((image.footer.currentSize - blockIndex * blockSize) / SECTOR_SIZE);
    if (sectorsInDisk < 0 || sectorsInDisk >= sectorsPerBlock) return;
    for (const run of bitmap.runs(sectorsInDisk, sectorsPerBlock)) {
      if (!run.set) continue;
      this.list.add('BITMAP_BEYOND_DISK', 'info', `block ${blockIndex} marks sectors past the end of the disk (QEMU sets every bit of a new block)`, { offset: start, blockIndex });
      return;
    }
  }

  /**
   * The chain below a differencing image, opened as every reader opens it (same depth limit, loop and id checks),
   * without its BATs. The direct parent's size and time are reported as issues.
   */
  private async checkParents(image: VhdImage): Promise<void> {
    const list = this.list;
    let parents: Awaited<ReturnType<typeof openImageChain>> | undefined;
    // The parent being read when a read fails: its path is named (never its bytes: it may be any file a locator reaches).
    let reading = 'a parent';
    try {
      parents = await openImageChain(this.source, {
        resolveParent: this.options.resolveParent!,
        timestampMismatch: 'accept',
        read: (source) => {
          if (source === this.source) return Promise.resolve(image);
          reading = `${source.name} (a parent in the chain)`;
          return readImage(source, { bat: false, signal: this.options.signal });
        },
        signal: this.options.signal,
      });
    } catch (error) {
      if (error instanceof VhdChainError) list.add(error.code, 'error', error.message);
      else if (error instanceof VhdFormatError) list.add('PARENT_UNREADABLE', 'error', `${reading} is not a usable VHD (${error.code})`);
      else if (error instanceof Error && 'code' in error && typeof error.code === 'string') list.add('PARENT_UNREADABLE', 'error', `a parent in the chain cannot be read (${error.code})`);
      else throw error;
      return;
    }
    try {
      const parent = parents[1]!;
      const header = image.header!;
      if (parent.image.footer.currentSize !== image.footer.currentSize) {
        list.add('PARENT_SIZE_MISMATCH', 'error', `${parent.source.name} is ${parent.image.footer.currentSize} bytes; the child is ${image.footer.currentSize}`);
      }
      const mismatch = timestampMismatch(header.parentTimestamp, parent.source.modifiedTime);
      if (mismatch !== undefined) {
        list.add('PARENT_TIMESTAMP_MISMATCH', this.options.timestampMismatch === 'accept' ? 'warning' : 'error', `${mismatch.message} (${parent.source.name})`);
      }
    } finally {
      await Promise.allSettled(parents.slice(1).map((layer) => layer.source.close?.()));
    }
  }
}

/** First index of `sorted` whose value is ≥ `value`. */
function lowerBound(sorted: Uint32Array, value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

function decodeChunk(bytes: Uint8Array): Uint32Array {
  // Copied into its own aligned buffer so it can be decoded in place.
  const table = new Uint32Array(bytes.length / 4);
  new Uint8Array(table.buffer).set(bytes);
  return decodeBatInPlace(table);
}

/** A 511-byte footer padded with its missing reserved byte (zero); 512 bytes are returned as they are. */
function padded(bytes: Uint8Array): Uint8Array {
  if (bytes.length >= FOOTER_SIZE) return bytes;
  const full = new Uint8Array(FOOTER_SIZE);
  full.set(bytes);
  return full;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}
