import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import {
  DYNAMIC_HEADER_SIZE,
  FOOTER_SIZE,
  SECTOR_SIZE,
  SectorBitmap,
  UNUSED_BAT_ENTRY,
  batByteSize,
  decodeBatInPlace,
  decodeDynamicHeaderLenient,
  decodeFooterLenient,
  decodeLocatorPath,
  diskTypeName,
  isUnusedLocator,
  locatorDataSpaceBytes,
  sectorBitmapByteSize,
  uniqueIdToString,
  uniqueIdsEqual,
} from '@vhdkit/vhd-format';
import type { DiskTypeName, DynamicHeader, Footer, FormatProblem, Lenient } from '@vhdkit/vhd-format';
import { openReadOnly } from './creation-api.js';
import { withIo } from './errors.js';
import { readFully } from '../file-io.js';
import { timestampMismatch } from './open-disk.js';
import { resolveParentPath } from './resolve-parent.js';
import { readParentMetadata } from './parent-metadata.js';
import { MAX_CHAIN_DEPTH, walkChain } from './chain-depth.js';
import type { CheckIssue, CheckReport, CheckSeverity } from './types.js';

/** Slack between the last referenced byte and the footer that is normal layout padding, not lost space. */
const ALIGNMENT_SLACK_BYTES = 4096;
/** Locator data larger than this is not a path (Windows reserves 64 KiB for the relative one). */
const MAX_LOCATOR_DATA_BYTES = 65_536;

/** Everything check found, plus the raw structures repair needs. */
export interface Inspection {
  report: CheckReport;
  fileSize: number;
  /** The footer as it should be (trailing one, or the copy when the end is damaged), raw bytes. */
  footerBytes?: Uint8Array;
  /** Where the trailing footer starts (undefined when it is unreadable). */
  trailingOffset?: number;
  copyBytes?: Uint8Array;
  header?: { offset: number; bytes: Uint8Array };
  /** First byte after every referenced structure. */
  dataEnd: number;
}

interface Region {
  start: number;
  end: number;
  what: string;
}

class IssueList {
  readonly issues: CheckIssue[] = [];
  add(code: string, severity: CheckSeverity, message: string, extra: { offset?: number; blockIndex?: number; repairable?: boolean } = {}): void {
    const issue: CheckIssue = { code, severity, message, repairable: extra.repairable ?? false };
    if (extra.offset !== undefined) issue.offset = extra.offset;
    if (extra.blockIndex !== undefined) issue.blockIndex = extra.blockIndex;
    this.issues.push(issue);
  }
  /** Decoder problems: bad checksums are repairable; the rest are reported as the decoder saw them. */
  addProblems(prefix: 'FOOTER' | 'HEADER', problems: readonly FormatProblem[], baseOffset: number): void {
    for (const problem of problems) {
      const checksum = problem.code === 'BAD_CHECKSUM';
      // A 511-byte footer is already reported (as repairable) by the trailing-footer search.
      if (this.issues.some((issue) => issue.code === `${prefix}_${problem.code}`)) continue;
      this.add(checksum ? `${prefix}_CHECKSUM` : `${prefix}_${problem.code}`, checksum ? 'error' : problem.severity, `${prefix.toLowerCase()}: ${problem.message}`, {
        offset: baseOffset + problem.offset,
        repairable: checksum,
      });
    }
  }
}

/** Reads the file read-only (times untouched where the OS allows) and lists what is wrong. */
export async function inspect(path: string, options: { timestampMismatch?: 'error' | 'accept' } = {}): Promise<Inspection> {
  const absolute = resolve(path);
  const handle = await openReadOnly(absolute);
  try {
    return await new Inspector(absolute, handle, options.timestampMismatch ?? 'error').run();
  } finally {
    await handle.close().catch(() => undefined);
  }
}

class Inspector {
  private readonly list = new IssueList();
  private diskType: DiskTypeName | undefined;
  private readonly result: Omit<Inspection, 'report'> = { fileSize: 0, dataEnd: 0 };

  constructor(
    private readonly path: string,
    private readonly handle: FileHandle,
    private readonly timestampPolicy: 'error' | 'accept',
  ) {}

  async run(): Promise<Inspection> {
    const { size } = await withIo(this.path, () => this.handle.stat());
    this.result.fileSize = size;
    await this.inspectImage(size);
    const issues = this.list.issues;
    const report: CheckReport = { path: this.path, diskType: this.diskType, ok: !issues.some((issue) => issue.severity === 'error'), issues };
    return { report, ...this.result };
  }

  private async read(offset: number, length: number): Promise<Uint8Array> {
    const bytes = new Uint8Array(length);
    await this.readInto(bytes, offset);
    return bytes;
  }

  private async readInto(bytes: Uint8Array, offset: number): Promise<void> {
    await withIo(this.path, () => readFully(this.handle, bytes, offset));
  }

  private async inspectImage(fileSize: number): Promise<void> {
    const list = this.list;
    if (fileSize < FOOTER_SIZE - 1) {
      list.add('NOT_A_VHD', 'error', `the file is ${fileSize} bytes, shorter than a VHD footer`);
      return;
    }
    const trailing = await this.trailingFooter(fileSize);
    const copyBytes = fileSize >= 2 * FOOTER_SIZE ? await this.read(0, FOOTER_SIZE) : undefined;
    const copy = copyBytes ? tryDecode(copyBytes) : undefined;
    let footer: Footer;
    let footerOffset: number;
    if (trailing) {
      footer = trailing.decoded.value;
      footerOffset = trailing.offset;
      list.addProblems('FOOTER', trailing.decoded.problems, trailing.offset);
      this.result.footerBytes = trailing.bytes;
      this.result.trailingOffset = trailing.offset;
    } else if (copy && copyBytes && hasHeader(copy.value)) {
      list.add('FOOTER_DAMAGED', 'error', 'the footer at the end of the file is unreadable; the copy at offset 0 is intact', {
        offset: fileSize - FOOTER_SIZE,
        repairable: true,
      });
      list.addProblems('FOOTER', copy.problems, 0);
      footer = copy.value;
      footerOffset = fileSize;
      this.result.footerBytes = copyBytes;
    } else {
      list.add('NOT_A_VHD', 'error', 'no VHD footer at the end of the file or at offset 0');
      return;
    }
    this.result.copyBytes = copyBytes;
    this.diskType = diskTypeName(footer.diskType);
    if (this.diskType === undefined) {
      list.add('BAD_DISK_TYPE', 'error', `disk type ${footer.diskType} is not fixed, dynamic or differencing`, { offset: footerOffset + 60 });
      return;
    }
    if (this.diskType === 'fixed') {
      if (trailing && trailing.offset !== footer.currentSize) {
        list.add('FIXED_SIZE_MISMATCH', 'error', `the data area is ${trailing.offset} bytes but the footer says ${footer.currentSize}`, { offset: trailing.offset });
      }
      this.result.dataEnd = footer.currentSize;
      return;
    }
    if (trailing && copyBytes && !sameFooter(copyBytes, trailing.bytes)) {
      list.add('FOOTER_COPY_MISMATCH', 'error', 'the footer copy at offset 0 differs from the footer at the end', { offset: 0, repairable: true });
    }
    await this.inspectDynamic(footer, footerOffset);
  }

  /** The last 512 bytes as a footer, else the last 511 (old Virtual PC), else undefined. */
  private async trailingFooter(fileSize: number): Promise<{ offset: number; bytes: Uint8Array; decoded: Lenient<Footer> } | undefined> {
    const tailLength = Math.min(FOOTER_SIZE, fileSize);
    const tail = await this.read(fileSize - tailLength, tailLength);
    if (tailLength === FOOTER_SIZE) {
      const full = tryDecode(tail);
      if (full) return { offset: fileSize - FOOTER_SIZE, bytes: tail, decoded: full };
    }
    const short = tryDecode(tail.subarray(tail.length - (FOOTER_SIZE - 1)));
    if (!short) return undefined;
    this.list.add('FOOTER_TRUNCATED', 'warning', 'the footer at the end is 511 bytes (old Virtual PC); readers expect 512', {
      offset: fileSize - (FOOTER_SIZE - 1),
      repairable: true,
    });
    const bytes = new Uint8Array(FOOTER_SIZE);
    bytes.set(tail.subarray(tail.length - (FOOTER_SIZE - 1)));
    return { offset: fileSize - (FOOTER_SIZE - 1), bytes, decoded: short };
  }

  private async inspectDynamic(footer: Footer, footerOffset: number): Promise<void> {
    const list = this.list;
    const headerOffset = Number(footer.dataOffset);
    if (!Number.isSafeInteger(headerOffset) || headerOffset < FOOTER_SIZE || headerOffset + DYNAMIC_HEADER_SIZE > footerOffset) {
      list.add('HEADER_OUT_OF_FILE', 'error', `the footer places the dynamic header at ${footer.dataOffset}, outside the data area`, { offset: 16 });
      return;
    }
    const headerBytes = await this.read(headerOffset, DYNAMIC_HEADER_SIZE);
    let decoded: Lenient<DynamicHeader>;
    try {
      decoded = decodeDynamicHeaderLenient(headerBytes);
    } catch (error) {
      list.add('HEADER_UNREADABLE', 'error', `no dynamic header at ${headerOffset}: ${(error as Error).message}`, { offset: headerOffset });
      return;
    }
    this.result.header = { offset: headerOffset, bytes: headerBytes };
    list.addProblems('HEADER', decoded.problems, headerOffset);
    const header = decoded.value;
    const { blockSize, maxTableEntries, tableOffset } = header;
    if (!Number.isSafeInteger(blockSize) || blockSize < SECTOR_SIZE || blockSize % SECTOR_SIZE !== 0) {
      list.add('BAD_BLOCK_SIZE', 'error', `block size ${blockSize} is not a positive multiple of 512`, { offset: headerOffset + 32 });
      return;
    }
    const blocksNeeded = Math.ceil(footer.currentSize / blockSize);
    if (maxTableEntries < blocksNeeded) {
      list.add('BAT_TOO_SMALL', 'error', `the BAT has ${maxTableEntries} entries; a ${footer.currentSize}-byte disk needs ${blocksNeeded}`, { offset: headerOffset + 28 });
    }
    const regions: Region[] = [
      { start: 0, end: FOOTER_SIZE, what: 'footer copy' },
      { start: headerOffset, end: headerOffset + DYNAMIC_HEADER_SIZE, what: 'dynamic header' },
    ];
    const batEnd = tableOffset + batByteSize(maxTableEntries);
    if (tableOffset < FOOTER_SIZE || tableOffset + maxTableEntries * 4 > footerOffset) {
      list.add('BAT_OUT_OF_FILE', 'error', `the BAT (${maxTableEntries} entries at ${tableOffset}) does not fit before the footer at ${footerOffset}`, { offset: tableOffset });
      return;
    }
    regions.push({ start: tableOffset, end: batEnd, what: 'BAT' });
    const locatorPaths = await this.inspectLocators(header, footerOffset, regions);
    for (let a = 0; a < regions.length; a++) {
      for (let b = a + 1; b < regions.length; b++) {
        if (overlaps(regions[a]!, regions[b]!)) {
          list.add('METADATA_OVERLAP', 'error', `${regions[a]!.what} [${regions[a]!.start}, ${regions[a]!.end}) overlaps ${regions[b]!.what} [${regions[b]!.start}, ${regions[b]!.end})`, { offset: regions[b]!.start });
        }
      }
    }
    // As readImageMetadata does: read straight into the table and decode there, so the BAT is held once.
    const bat = new Uint32Array(maxTableEntries);
    await this.readInto(new Uint8Array(bat.buffer), tableOffset);
    decodeBatInPlace(bat);
    const dataEnd = await this.inspectBlocks(bat, header, footer, footerOffset, regions);
    this.result.dataEnd = dataEnd;
    if (footerOffset - dataEnd > ALIGNMENT_SLACK_BYTES) {
      list.add('UNREFERENCED_SPACE', 'info', `${footerOffset - dataEnd} bytes before the footer belong to no block (an interrupted block allocation leaves this; the next one reuses it)`, { offset: dataEnd });
    }
    if (footer.diskType === 4) await this.inspectParent(header, footer, locatorPaths);
  }

  private async inspectLocators(header: DynamicHeader, footerOffset: number, regions: Region[]): Promise<{ platformCode: string; path: string }[]> {
    const paths: { platformCode: string; path: string }[] = [];
    header.parentLocators.forEach((entry, index) => {
      if (isUnusedLocator(entry)) return;
      const spaceBytes = locatorDataSpaceBytes(entry);
      const start = entry.platformDataOffset;
      if (entry.platformDataLength > MAX_LOCATOR_DATA_BYTES || start < FOOTER_SIZE || start + entry.platformDataLength > footerOffset) {
        this.list.add('LOCATOR_OUT_OF_FILE', 'error', `parent locator ${index} (${JSON.stringify(entry.platformCode)}) has ${entry.platformDataLength} bytes at ${start}, outside the data area`, { offset: start });
        return;
      }
      if (spaceBytes !== entry.platformDataSpace) {
        this.list.add('LOCATOR_SPACE_IN_SECTORS', 'info', `parent locator ${index} gives its data space in sectors (${entry.platformDataSpace}), as the specification says; Windows writes bytes`, { offset: start });
      }
      regions.push({ start, end: start + Math.max(spaceBytes, entry.platformDataLength), what: `parent locator ${index} (${entry.platformCode})` });
    });
    for (const entry of header.parentLocators) {
      if (isUnusedLocator(entry) || regions.every((region) => region.start !== entry.platformDataOffset)) continue;
      try {
        const path = decodeLocatorPath(entry.platformCode, await this.read(entry.platformDataOffset, entry.platformDataLength));
        if (path !== undefined) paths.push({ platformCode: entry.platformCode, path });
      } catch (error) {
        this.list.add('LOCATOR_UNREADABLE', 'warning', `parent locator ${JSON.stringify(entry.platformCode)} does not hold a path: ${(error as Error).message}`, { offset: entry.platformDataOffset });
      }
    }
    return paths;
  }

  /** Checks every BAT entry and bitmap; returns the end of the last referenced byte. */
  private async inspectBlocks(bat: Uint32Array, header: DynamicHeader, footer: Footer, footerOffset: number, regions: Region[]): Promise<number> {
    const list = this.list;
    const { blockSize } = header;
    const bitmapByteSize = sectorBitmapByteSize(blockSize);
    const sectorsPerBlock = blockSize / SECTOR_SIZE;
    const blocksNeeded = Math.ceil(footer.currentSize / blockSize);
    let dataEnd = Math.max(...regions.map((region) => region.end));
    const blocks: Region[] = [];
    for (let blockIndex = 0; blockIndex < bat.length; blockIndex++) {
      const entry = bat[blockIndex]!;
      if (entry === UNUSED_BAT_ENTRY) continue;
      const start = entry * SECTOR_SIZE;
      const block: Region = { start, end: start + bitmapByteSize + blockSize, what: `block ${blockIndex}` };
      if (block.end > footerOffset) {
        list.add('BLOCK_OUT_OF_FILE', 'error', `block ${blockIndex} at ${start} ends at ${block.end}, past the footer at ${footerOffset}`, { offset: start, blockIndex });
        continue;
      }
      const hit = regions.find((region) => overlaps(region, block));
      if (hit) {
        list.add('BLOCK_OVERLAPS_METADATA', 'error', `block ${blockIndex} at ${start} overlaps the ${hit.what}`, { offset: start, blockIndex });
        continue;
      }
      if (blockIndex >= blocksNeeded) {
        list.add('BLOCK_BEYOND_DISK', 'warning', `block ${blockIndex} is allocated but lies past the ${footer.currentSize}-byte disk`, { offset: start, blockIndex });
      }
      blocks.push(block);
      dataEnd = Math.max(dataEnd, block.end);
      const bitmap = new SectorBitmap(await this.read(start, bitmapByteSize), sectorsPerBlock);
      if (bitmap.isEmpty()) {
        list.add('EMPTY_BITMAP', 'info', `block ${blockIndex} is allocated but its bitmap marks no sector`, { offset: start, blockIndex });
      }
      const sectorsInDisk = Math.ceil((footer.currentSize - blockIndex * blockSize) / SECTOR_SIZE);
      if (sectorsInDisk < sectorsPerBlock && sectorsInDisk >= 0) {
        for (const run of bitmap.runs(sectorsInDisk, sectorsPerBlock)) {
          if (run.set) {
            list.add('BITMAP_BEYOND_DISK', 'info', `block ${blockIndex} marks sectors past the end of the disk (QEMU sets every bit of a new block)`, { offset: start, blockIndex });
            break;
          }
        }
      }
    }
    blocks.sort((a, b) => a.start - b.start);
    for (let index = 1; index < blocks.length; index++) {
      if (blocks[index]!.start < blocks[index - 1]!.end) {
        list.add('BLOCKS_OVERLAP', 'error', `${blocks[index - 1]!.what} and ${blocks[index]!.what} overlap at ${blocks[index]!.start}`, { offset: blocks[index]!.start });
      }
    }
    return dataEnd;
  }

  private async inspectParent(header: DynamicHeader, footer: Footer, parentLocatorPaths: { platformCode: string; path: string }[]): Promise<void> {
    const list = this.list;
    const { path: parentPath, tried } = await resolveParentPath({ path: this.path, header, parentLocatorPaths });
    if (parentPath === undefined) {
      list.add('PARENT_NOT_FOUND', 'error', `parent '${header.parentUnicodeName}' not found (tried: ${tried.join(', ') || 'no usable locator'})`);
      return;
    }
    let parent;
    try {
      parent = await readParentMetadata(parentPath, this.path, { bat: false });
    } catch (error) {
      list.add('PARENT_UNREADABLE', 'error', `parent ${parentPath} cannot be read: ${(error as Error).message}`);
      return;
    }
    if (!uniqueIdsEqual(parent.footer.uniqueId, header.parentUniqueId)) {
      list.add('PARENT_MISMATCH', 'error', `${parentPath} has unique id ${uniqueIdToString(parent.footer.uniqueId)}; the child expects ${uniqueIdToString(header.parentUniqueId)}`);
    }
    if (parent.footer.currentSize !== footer.currentSize) {
      list.add('PARENT_SIZE_MISMATCH', 'error', `${parentPath} is ${parent.footer.currentSize} bytes; the child is ${footer.currentSize}`);
    }
    const mismatch = timestampMismatch(header.parentTimestamp, parent.mtime);
    if (mismatch !== undefined) {
      list.add('PARENT_TIMESTAMP_MISMATCH', this.timestampPolicy === 'accept' ? 'warning' : 'error', `${mismatch} (${parentPath})`);
    }
    // The chain above must be openable too: no loop, at most MAX_CHAIN_DEPTH images (openDisk's limit).
    const shape = await walkChain(parent, [await withIo(this.path, () => realpath(this.path))]);
    if (shape.loopsAt !== undefined) list.add('CHAIN_LOOP', 'error', `the chain comes back to ${shape.loopsAt}`);
    else if (shape.images > MAX_CHAIN_DEPTH) list.add('CHAIN_TOO_DEEP', 'error', `the chain has more than ${MAX_CHAIN_DEPTH} images`);
  }
}

function tryDecode(bytes: Uint8Array): Lenient<Footer> | undefined {
  try {
    return decodeFooterLenient(bytes);
  } catch {
    return undefined;
  }
}

function hasHeader(footer: Footer): boolean {
  return footer.diskType === 3 || footer.diskType === 4;
}

/** Copy and trailing footer agree byte for byte (a 511-byte trailing footer is compared padded with 0). */
function sameFooter(copy: Uint8Array, trailing: Uint8Array): boolean {
  return Buffer.from(copy.buffer, copy.byteOffset, copy.length).equals(Buffer.from(trailing.buffer, trailing.byteOffset, trailing.length));
}

function overlaps(a: Region, b: Region): boolean {
  return a.start < b.end && b.start < a.end;
}
