/** The 1024-byte dynamic header (vhd-format.md §4): decode (strict, lenient), encode, create. */
import { isPowerOfTwo, safeNumberFromU64 } from './bytes.js';
import { computeChecksum } from './checksum.js';
import {
  DYNAMIC_HEADER_COOKIE,
  DYNAMIC_HEADER_SIZE,
  FIXED_DATA_OFFSET,
  MAX_BLOCK_SIZE,
  MAX_LOCATOR_DATA_BYTES,
  MAX_PARENT_NAME_UNITS,
  MAX_TABLE_ENTRIES,
  MIN_BLOCK_SIZE,
  PARENT_LOCATOR_COUNT,
  SECTOR_SIZE,
  VHD_FORMAT_VERSION,
} from './constants.js';
import { ProblemList, strictValue, VhdFormatError } from './errors.js';
import type { Lenient } from './errors.js';
import type { EncodeOptions } from './footer.js';
import { DYNAMIC_HEADER_FIELDS, LOCATOR_ENTRY_FIELDS, LOCATOR_ENTRY_SIZE } from './field-tables.js';
import { decodeDynamicHeaderFields, decodeLocatorEntryFields } from './generated/field-decoders.js';
import { emptyLocatorEntry, isUnusedLocator, locatorDataSpaceBytes } from './parent-locator.js';
import type { ParentLocatorEntry } from './parent-locator.js';
import { recordCodec } from './record-codec.js';
import type { RawRecord } from './record-codec.js';
import { checkVersion } from './version-check.js';

export interface DynamicHeader {
  /** 'cxsparse' */
  cookie: string;
  /** Unused: FIXED_DATA_OFFSET. */
  dataOffset: bigint;
  /** Absolute file offset of the BAT. */
  tableOffset: number;
  headerVersion: number;
  maxTableEntries: number;
  blockSize: number;
  /** As stored. */
  checksum: number;
  /** 16 raw bytes: the parent footer's unique id (zeros for a dynamic image). */
  parentUniqueId: Uint8Array;
  /** VHD seconds. */
  parentTimestamp: number;
  /** u32 at offset 60. */
  reserved1: number;
  /** Decoded from UTF-16BE code units as stored (trailing NULs removed). */
  parentUnicodeName: string;
  /** Always 8 entries; unused ones all zero. */
  parentLocators: ParentLocatorEntry[];
  /** 256 bytes. */
  reserved2: Uint8Array;
}

/** Extra facts a caller may know, to check offsets against the file (they are never trusted blindly). */
export interface HeaderContext {
  /** Size of the whole image file; the BAT and locator data must lie inside it. */
  fileSize?: number;
}

const codec = recordCodec(DYNAMIC_HEADER_FIELDS, decodeDynamicHeaderFields);
const locatorCodec = recordCodec(LOCATOR_ENTRY_FIELDS, decodeLocatorEntryFields);
const H = DYNAMIC_HEADER_FIELDS;
const L = LOCATOR_ENTRY_FIELDS;
/** The footer copy and the header occupy the file's first 1536 bytes. */
const FIRST_FREE_OFFSET = SECTOR_SIZE + DYNAMIC_HEADER_SIZE;

export function isValidBlockSize(blockSize: number): boolean {
  return isPowerOfTwo(blockSize) && blockSize >= MIN_BLOCK_SIZE && blockSize <= MAX_BLOCK_SIZE;
}

function decodeLocatorEntries(area: Uint8Array, problems: ProblemList, context: HeaderContext): ParentLocatorEntry[] {
  const entries: ParentLocatorEntry[] = [];
  for (let index = 0; index < PARENT_LOCATOR_COUNT; index++) {
    const entryOffset = H.parentLocators.offset + index * LOCATOR_ENTRY_SIZE;
    const raw = locatorCodec.decode(area.subarray(index * LOCATOR_ENTRY_SIZE, (index + 1) * LOCATOR_ENTRY_SIZE));
    const dataOffset = safeNumberFromU64(raw.platformDataOffset);
    const entry: ParentLocatorEntry = {
      platformCode: raw.platformCode,
      platformDataSpace: raw.platformDataSpace,
      platformDataLength: raw.platformDataLength,
      reserved: raw.reserved,
      platformDataOffset: dataOffset ?? Number(raw.platformDataOffset),
    };
    entries.push(entry);
    if (isUnusedLocator(entry)) continue;
    const where = `parent locator ${index} (${JSON.stringify(entry.platformCode)})`;
    if (entry.platformDataLength > MAX_LOCATOR_DATA_BYTES) {
      problems.error('BAD_LOCATOR', entryOffset + L.platformDataLength.offset, `${where} claims ${entry.platformDataLength} bytes of data; paths need at most ${MAX_LOCATOR_DATA_BYTES}`);
    } else if (entry.platformDataLength > locatorDataSpaceBytes(entry)) {
      problems.warning('BAD_LOCATOR', entryOffset + L.platformDataSpace.offset, `${where} data length ${entry.platformDataLength} exceeds its data space`);
    }
    if (dataOffset === undefined || (entry.platformDataLength > 0 && dataOffset < FIRST_FREE_OFFSET)) {
      problems.error('BAD_LOCATOR', entryOffset + L.platformDataOffset.offset, `${where} data offset ${raw.platformDataOffset} overlaps the header or is out of range`);
    } else if (context.fileSize !== undefined && dataOffset + entry.platformDataLength > context.fileSize) {
      problems.error('BAD_LOCATOR', entryOffset + L.platformDataOffset.offset, `${where} data at ${dataOffset} ends beyond the file (${context.fileSize} bytes)`);
    }
  }
  return entries;
}

/** Decodes and reports every problem; throws only when the bytes are not a dynamic header at all (TRUNCATED, BAD_COOKIE). */
export function decodeDynamicHeaderLenient(bytes: Uint8Array, context: HeaderContext = {}): Lenient<DynamicHeader> {
  if (bytes.length < DYNAMIC_HEADER_SIZE) {
    throw new VhdFormatError('TRUNCATED', bytes.length, `a dynamic header needs ${DYNAMIC_HEADER_SIZE} bytes, got ${bytes.length}`);
  }
  const full = bytes.subarray(0, DYNAMIC_HEADER_SIZE);
  const raw = codec.decode(full);
  if (raw.cookie !== DYNAMIC_HEADER_COOKIE) {
    throw new VhdFormatError('BAD_COOKIE', H.cookie.offset, `dynamic header cookie is ${JSON.stringify(raw.cookie)}, not "cxsparse"`);
  }
  const problems = new ProblemList();
  const expectedChecksum = computeChecksum(full, H.checksum.offset);
  if (expectedChecksum !== raw.checksum) {
    problems.error('BAD_CHECKSUM', H.checksum.offset, `header checksum 0x${raw.checksum.toString(16)} should be 0x${expectedChecksum.toString(16)}`);
  }
  checkVersion(problems, raw.headerVersion, H.headerVersion.offset, 'dynamic header');
  if (raw.dataOffset !== FIXED_DATA_OFFSET) {
    problems.warning('BAD_DATA_OFFSET', H.dataOffset.offset, `header data offset ${raw.dataOffset} should be all ones (unused)`);
  }
  if (!isValidBlockSize(raw.blockSize)) {
    problems.error('BAD_BLOCK_SIZE', H.blockSize.offset, `block size ${raw.blockSize} is not a power of two from ${MIN_BLOCK_SIZE} to ${MAX_BLOCK_SIZE}`);
  }
  if (raw.maxTableEntries > MAX_TABLE_ENTRIES) {
    problems.error('TABLE_OUT_OF_RANGE', H.maxTableEntries.offset, `${raw.maxTableEntries} table entries exceed the limit of ${MAX_TABLE_ENTRIES}`);
  }
  const tableOffset = safeNumberFromU64(raw.tableOffset);
  if (tableOffset === undefined || tableOffset < FIRST_FREE_OFFSET) {
    problems.error('TABLE_OUT_OF_RANGE', H.tableOffset.offset, `table offset ${raw.tableOffset} overlaps the header or is out of range`);
  } else {
    if (tableOffset % SECTOR_SIZE !== 0) problems.warning('TABLE_OUT_OF_RANGE', H.tableOffset.offset, `table offset ${tableOffset} is not sector aligned`);
    if (context.fileSize !== undefined && tableOffset + raw.maxTableEntries * 4 > context.fileSize) {
      problems.error('TABLE_OUT_OF_RANGE', H.tableOffset.offset, `the table (${raw.maxTableEntries} entries at ${tableOffset}) ends beyond the file (${context.fileSize} bytes)`);
    }
  }
  const parentLocators = decodeLocatorEntries(raw.parentLocators, problems, context);

  const header: DynamicHeader = {
    cookie: raw.cookie,
    dataOffset: raw.dataOffset,
    tableOffset: tableOffset ?? Number(raw.tableOffset),
    headerVersion: raw.headerVersion,
    maxTableEntries: raw.maxTableEntries,
    blockSize: raw.blockSize,
    checksum: raw.checksum,
    parentUniqueId: raw.parentUniqueId,
    parentTimestamp: raw.parentTimestamp,
    reserved1: raw.reserved1,
    parentUnicodeName: raw.parentUnicodeName,
    parentLocators,
    reserved2: raw.reserved2,
  };
  return { value: header, problems: problems.problems };
}

/** Strict: throws VhdFormatError (code + offset) on the first error. */
export function decodeDynamicHeader(bytes: Uint8Array, context: HeaderContext = {}): DynamicHeader {
  return strictValue(decodeDynamicHeaderLenient(bytes, context));
}

function offsetToU64(value: number, offset: number, code: 'TABLE_OUT_OF_RANGE' | 'BAD_LOCATOR', name: string): bigint {
  if (!Number.isSafeInteger(value) || value < 0) throw new VhdFormatError(code, offset, `${name} ${value} is not a non-negative safe integer`);
  return BigInt(value);
}

function encodeLocatorArea(entries: readonly ParentLocatorEntry[]): Uint8Array {
  if (entries.length > PARENT_LOCATOR_COUNT) {
    throw new VhdFormatError('BAD_LOCATOR', H.parentLocators.offset, `a header has ${PARENT_LOCATOR_COUNT} locator entries, got ${entries.length}`);
  }
  const area = new Uint8Array(H.parentLocators.size);
  entries.forEach((entry, index) => {
    const base = index * LOCATOR_ENTRY_SIZE;
    const raw: RawRecord<typeof LOCATOR_ENTRY_FIELDS> = {
      platformCode: entry.platformCode,
      platformDataSpace: entry.platformDataSpace,
      platformDataLength: entry.platformDataLength,
      reserved: entry.reserved,
      platformDataOffset: offsetToU64(entry.platformDataOffset, H.parentLocators.offset + base + L.platformDataOffset.offset, 'BAD_LOCATOR', 'locator data offset'),
    };
    try {
      locatorCodec.encodeInto(raw, area, base);
    } catch (error) {
      // Report the offset within the header, not within the locator area.
      if (error instanceof VhdFormatError) throw new VhdFormatError(error.code, error.offset + H.parentLocators.offset, error.message);
      throw error;
    }
  });
  return area;
}

function checkParentName(name: string): void {
  if (name.length > MAX_PARENT_NAME_UNITS) {
    throw new VhdFormatError('BAD_LOCATOR', H.parentUnicodeName.offset, `parent name has ${name.length} UTF-16 units; the header holds at most ${MAX_PARENT_NAME_UNITS}`);
  }
}

/** 1024 bytes. Throws VhdFormatError when a value does not fit its field (e.g. a parent name over 256 UTF-16 units). */
export function encodeDynamicHeader(header: DynamicHeader, options: EncodeOptions = {}): Uint8Array {
  checkParentName(header.parentUnicodeName);
  const raw: RawRecord<typeof DYNAMIC_HEADER_FIELDS> = {
    cookie: header.cookie,
    dataOffset: header.dataOffset,
    tableOffset: offsetToU64(header.tableOffset, H.tableOffset.offset, 'TABLE_OUT_OF_RANGE', 'table offset'),
    headerVersion: header.headerVersion,
    maxTableEntries: header.maxTableEntries,
    blockSize: header.blockSize,
    checksum: options.checksum === 'keep' ? header.checksum : 0,
    parentUniqueId: header.parentUniqueId,
    parentTimestamp: header.parentTimestamp,
    reserved1: header.reserved1,
    parentUnicodeName: header.parentUnicodeName,
    parentLocators: encodeLocatorArea(header.parentLocators),
    reserved2: header.reserved2,
  };
  const bytes = new Uint8Array(DYNAMIC_HEADER_SIZE);
  codec.encodeInto(raw, bytes);
  if (options.checksum !== 'keep') {
    new DataView(bytes.buffer).setUint32(H.checksum.offset, computeChecksum(bytes, H.checksum.offset));
  }
  return bytes;
}

export interface CreateDynamicHeaderInit {
  tableOffset: number;
  maxTableEntries: number;
  blockSize: number;
  /** Differencing only; default 16 zero bytes. */
  parentUniqueId?: Uint8Array;
  parentTimestamp?: number;
  parentUnicodeName?: string;
  /** Up to 8; padded with unused entries. */
  parentLocators?: ParentLocatorEntry[];
}

/** A complete header with its checksum computed. Throws VhdFormatError for an invalid block size or table. */
export function createDynamicHeader(init: CreateDynamicHeaderInit): DynamicHeader {
  if (!isValidBlockSize(init.blockSize)) {
    throw new VhdFormatError('BAD_BLOCK_SIZE', H.blockSize.offset, `block size ${init.blockSize} is not a power of two from ${MIN_BLOCK_SIZE} to ${MAX_BLOCK_SIZE}`);
  }
  if (!Number.isInteger(init.maxTableEntries) || init.maxTableEntries < 0 || init.maxTableEntries > MAX_TABLE_ENTRIES) {
    throw new VhdFormatError('TABLE_OUT_OF_RANGE', H.maxTableEntries.offset, `${init.maxTableEntries} table entries are outside 0..${MAX_TABLE_ENTRIES}`);
  }
  const locators = (init.parentLocators ?? []).map((entry) => ({ ...entry }));
  if (locators.length > PARENT_LOCATOR_COUNT) {
    throw new VhdFormatError('BAD_LOCATOR', H.parentLocators.offset, `a header has ${PARENT_LOCATOR_COUNT} locator entries, got ${locators.length}`);
  }
  while (locators.length < PARENT_LOCATOR_COUNT) locators.push(emptyLocatorEntry());
  const header: DynamicHeader = {
    cookie: DYNAMIC_HEADER_COOKIE,
    dataOffset: FIXED_DATA_OFFSET,
    tableOffset: init.tableOffset,
    headerVersion: VHD_FORMAT_VERSION,
    maxTableEntries: init.maxTableEntries,
    blockSize: init.blockSize,
    checksum: 0,
    parentUniqueId: init.parentUniqueId ? new Uint8Array(init.parentUniqueId) : new Uint8Array(H.parentUniqueId.size),
    parentTimestamp: init.parentTimestamp ?? 0,
    reserved1: 0,
    parentUnicodeName: init.parentUnicodeName ?? '',
    parentLocators: locators,
    reserved2: new Uint8Array(H.reserved2.size),
  };
  header.checksum = new DataView(encodeDynamicHeader(header).buffer).getUint32(H.checksum.offset);
  return header;
}
