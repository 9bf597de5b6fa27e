/**
 * Incremental parse of a dynamic or differencing image from a stream of chunks (no seeking): yields,
 * in file order, the footer copy, the header, locator data, the BAT, every block, and the footer.
 * The codecs do the decoding; this file only orders regions and slices bytes.
 */
import { decodeBatInto } from './bat.js';
import { ChunkReader } from './chunk-reader.js';
import type { ChunkSource, ParseStats } from './chunk-reader.js';
import { DYNAMIC_HEADER_SIZE, FOOTER_COOKIE, FOOTER_SIZE, hasDynamicHeader, SECTOR_SIZE, SHORT_FOOTER_SIZE, UNUSED_BAT_ENTRY } from './constants.js';
import { decodeDynamicHeaderLenient } from './dynamic-header.js';
import type { DynamicHeader } from './dynamic-header.js';
import { strictValue, VhdFormatError } from './errors.js';
import type { FormatProblem, Lenient, VhdFormatErrorCode } from './errors.js';
import { decodeFooterLenient } from './footer.js';
import type { Footer } from './footer.js';
import { decodeLocatorPath, isUnusedLocator } from './parent-locator.js';
import type { ParentLocatorEntry } from './parent-locator.js';
import { sectorBitmapByteSize } from './sector-bitmap.js';
import { decodeTrailingFooter } from './image/footer-search.js';
import { decodeLatin1 } from './bytes.js';

/**
 * One step of the parse. Byte arrays may be views of the source's chunks (no copy); `problems` lists
 * what lenient decoding found (warnings only, in strict mode).
 */
export type VhdStreamEvent =
  | { kind: 'footer-copy'; footer: Footer; offset: 0; problems: FormatProblem[] }
  | { kind: 'header'; header: DynamicHeader; offset: number; problems: FormatProblem[] }
  | { kind: 'locator'; index: number; entry: ParentLocatorEntry; data: Uint8Array; path: string | undefined; offset: number }
  | { kind: 'bat'; bat: Uint32Array; offset: number }
  | { kind: 'block'; blockIndex: number; virtualOffset: number; bitmap: Uint8Array; data: Uint8Array; offset: number }
  | { kind: 'footer'; footer: Footer; offset: number; problems: FormatProblem[] };

/** Options of `parseVhdStream`. */
export interface ParseVhdStreamOptions {
  /** Report damage (bad checksums, odd versions) in `problems` instead of throwing. Layout faults that make streaming impossible still throw. */
  lenient?: boolean;
  /** Filled in as the parse runs: bytes consumed and the most bytes held at once. */
  stats?: ParseStats;
  /**
   * Let block events share buffers: a block's `bitmap` and `data` are then valid only until the parse
   * continues (copy what you keep). Saves allocating a fresh block buffer per block when blocks span
   * chunks, which dominates the cost of parsing from memory. Default false: every event owns its bytes.
   */
  reuseBuffers?: boolean;
}

type Region =
  | { kind: 'locator'; offset: number; length: number; index: number; entry: ParentLocatorEntry }
  | { kind: 'bat'; offset: number; length: number }
  | { kind: 'block'; offset: number; length: number; blockIndex: number };

/** BAT entries read per piece: 64 KiB of table at a time. */
const BAT_PIECE_ENTRIES = 16 * 1024;

/**
 * Errors in the fields the parser steers by: even a lenient parse stops on them, since following
 * them could mean reading garbage or allocating what a hostile header claims.
 */
const STEERING_CODES = {
  footerCopy: new Set<VhdFormatErrorCode>(['BAD_DATA_OFFSET']),
  header: new Set<VhdFormatErrorCode>(['BAD_BLOCK_SIZE', 'TABLE_OUT_OF_RANGE', 'BAD_LOCATOR']),
  footer: new Set<VhdFormatErrorCode>(),
};

function accept<T>(result: Lenient<T>, lenient: boolean, steeringCodes: ReadonlySet<VhdFormatErrorCode>): { value: T; problems: FormatProblem[] } {
  if (!lenient) {
    strictValue(result);
    return result;
  }
  const fatal = result.problems.find((problem) => problem.severity === 'error' && steeringCodes.has(problem.code));
  if (fatal) throw new VhdFormatError(fatal.code, fatal.offset, fatal.message);
  return result;
}

function shiftProblems(problems: FormatProblem[], base: number): FormatProblem[] {
  return problems.map((problem) => ({ ...problem, offset: problem.offset + base }));
}

function withFileOffset(error: unknown, base: number): unknown {
  return error instanceof VhdFormatError ? new VhdFormatError(error.code, error.offset + base, error.message, { cause: error }) : error;
}

function regionError(region: Region, position: number): VhdFormatError {
  const detail = `starts at ${region.offset}, before the end of the previous region (${position}); the stream cannot go back`;
  if (region.kind === 'block') return new VhdFormatError('BLOCK_OUT_OF_ORDER', region.offset, `block ${region.blockIndex} ${detail}`);
  if (region.kind === 'locator') return new VhdFormatError('BAD_LOCATOR', region.offset, `parent locator ${region.index} data ${detail}`);
  return new VhdFormatError('TABLE_OUT_OF_RANGE', region.offset, `the BAT ${detail}`);
}

/** A new array of the regions in file order (the inputs are left as they are). */
function inFileOrder(...groups: Region[][]): Region[] {
  const regions = groups.flat();
  // oxlint-disable-next-line unicorn/no-array-sort -- sorts the fresh array built above; toSorted is ES2023, beyond our lib
  return regions.sort((a, b) => a.offset - b.offset);
}

/**
 * Parses a dynamic or differencing image whose regions (locator data, BAT, blocks) follow the header
 * in file order; throws BLOCK_OUT_OF_ORDER (or BAD_LOCATOR / TABLE_OUT_OF_RANGE) when a region lies
 * behind one already passed, and NOT_DYNAMIC for fixed images or data without a footer copy.
 * Holds at most one block (bitmap + data) plus the BAT, whatever the chunk sizes.
 */
export async function* parseVhdStream(source: ChunkSource, options: ParseVhdStreamOptions = {}): AsyncGenerator<VhdStreamEvent> {
  const lenient = options.lenient ?? false;
  const stats = options.stats ?? { bytesConsumed: 0, maxBufferedBytes: 0 };
  const reader = new ChunkReader(source, stats, options.reuseBuffers ?? false);
  try {
    const copyBytes = await reader.read(FOOTER_SIZE);
    if (decodeLatin1(copyBytes.subarray(0, FOOTER_COOKIE.length)) !== FOOTER_COOKIE) {
      throw new VhdFormatError('NOT_DYNAMIC', 0, 'no footer copy at offset 0: not a dynamic or differencing image (a fixed image has its only footer at the end)');
    }
    const copy = accept(decodeFooterLenient(copyBytes), lenient, STEERING_CODES.footerCopy);
    if (!hasDynamicHeader(copy.value.diskType)) {
      throw new VhdFormatError('NOT_DYNAMIC', 60, `disk type ${copy.value.diskType} has no blocks to stream`);
    }
    yield { kind: 'footer-copy', footer: copy.value, offset: 0, problems: copy.problems };

    const headerOffset = Number(copy.value.dataOffset);
    await reader.skipTo(headerOffset);
    const headerBytes = await reader.read(DYNAMIC_HEADER_SIZE);
    let header: { value: DynamicHeader; problems: FormatProblem[] };
    try {
      header = accept(decodeDynamicHeaderLenient(headerBytes), lenient, STEERING_CODES.header);
    } catch (error) {
      throw withFileOffset(error, headerOffset);
    }
    const { blockSize, maxTableEntries, tableOffset } = header.value;
    yield { kind: 'header', header: header.value, offset: headerOffset, problems: shiftProblems(header.problems, headerOffset) };

    const locatorRegions: Region[] = [];
    header.value.parentLocators.forEach((entry, index) => {
      if (!isUnusedLocator(entry)) locatorRegions.push({ kind: 'locator', offset: entry.platformDataOffset, length: entry.platformDataLength, index, entry });
    });
    const batRegion: Region = { kind: 'bat', offset: tableOffset, length: maxTableEntries * 4 };
    const beforeBat = locatorRegions.filter((region) => region.offset < tableOffset);
    const afterBat = locatorRegions.filter((region) => region.offset >= tableOffset);

    let bat: Uint32Array | undefined;
    const bitmapBytes = sectorBitmapByteSize(blockSize);
    const visit = async function* (region: Region): AsyncGenerator<VhdStreamEvent> {
      if (region.offset < reader.position && region.length > 0) throw regionError(region, reader.position);
      if (region.length > 0) await reader.skipTo(region.offset);
      switch (region.kind) {
        case 'locator': {
          const data = await reader.read(region.length);
          yield { kind: 'locator', index: region.index, entry: region.entry, data, path: decodeLocatorPath(region.entry.platformCode, data), offset: region.offset };
          return;
        }
        case 'bat': {
          // Decoded piece by piece into the table, so the BAT is never held twice.
          const table = new Uint32Array(maxTableEntries);
          reader.heldBytes = table.byteLength;
          for (let entry = 0; entry < maxTableEntries; ) {
            const pieceEntries = Math.min(BAT_PIECE_ENTRIES, maxTableEntries - entry);
            entry += decodeBatInto(await reader.read(pieceEntries * 4), table, entry);
          }
          bat = table;
          yield { kind: 'bat', bat, offset: region.offset };
          return;
        }
        case 'block': {
          const bitmap = await reader.read(bitmapBytes, 'bitmap');
          const data = await reader.read(blockSize, 'data');
          yield { kind: 'block', blockIndex: region.blockIndex, virtualOffset: region.blockIndex * blockSize, bitmap, data, offset: region.offset };
          return;
        }
      }
    };

    for (const region of inFileOrder(beforeBat, [batRegion])) yield* visit(region);

    const table = bat as Uint32Array;
    const blockRegions: Region[] = [];
    for (let blockIndex = 0; blockIndex < table.length; blockIndex++) {
      const sector = table[blockIndex];
      if (sector !== UNUSED_BAT_ENTRY) blockRegions.push({ kind: 'block', offset: sector * SECTOR_SIZE, length: bitmapBytes + blockSize, blockIndex });
    }
    for (const region of inFileOrder(afterBat, blockRegions)) yield* visit(region);

    const tail = await reader.readTail();
    if (tail.bytes.length < SHORT_FOOTER_SIZE) {
      throw new VhdFormatError('TRUNCATED', tail.offset + tail.bytes.length, `the image ends without a footer (${tail.bytes.length} trailing bytes)`);
    }
    // The random-access reader's rule: the last 512 bytes, else the last 511 (old Virtual PC).
    const trailing = decodeTrailingFooter(tail.bytes, tail.offset + tail.bytes.length);
    if ('error' in trailing) throw withFileOffset(trailing.error, tail.offset);
    let footer: { value: Footer; problems: FormatProblem[] };
    try {
      footer = accept(trailing.decoded, lenient, STEERING_CODES.footer);
    } catch (error) {
      throw withFileOffset(error, trailing.offset);
    }
    yield { kind: 'footer', footer: footer.value, offset: trailing.offset, problems: shiftProblems(footer.problems, trailing.offset) };
  } finally {
    await reader.close();
  }
}
