/**
 * The byte layout of each fixed-size structure: one table per structure, read by both the decoder
 * (compiled into a binary-parser decoder at build time) and the encoder (which writes through a DataView).
 * Offsets are relative to the start of the structure (vhd-format.md §2, §4, §5).
 */
import type { VhdFormatErrorCode } from './errors.js';

/**
 * How a field is stored. Text kinds are decoded by us, not by binary-parser: it has no UTF-16, and
 * browsers' TextDecoder('latin1') is really windows-1252.
 */
export type FieldKind = 'u8' | 'u16' | 'u32' | 'u64' | 'bytes' | 'latin1' | 'utf16be';

export interface FieldSpec {
  readonly offset: number;
  readonly size: number;
  readonly kind: FieldKind;
  /** The error code an encoder raises when a value does not fit this field. */
  readonly code?: VhdFormatErrorCode;
}

export type FieldTable = Readonly<Record<string, FieldSpec>>;

export const FOOTER_FIELDS = {
  cookie: { offset: 0, size: 8, kind: 'latin1', code: 'BAD_COOKIE' },
  features: { offset: 8, size: 4, kind: 'u32' },
  formatVersion: { offset: 12, size: 4, kind: 'u32', code: 'UNSUPPORTED_VERSION' },
  dataOffset: { offset: 16, size: 8, kind: 'u64', code: 'BAD_DATA_OFFSET' },
  timestamp: { offset: 24, size: 4, kind: 'u32' },
  creatorApplication: { offset: 28, size: 4, kind: 'latin1' },
  creatorVersion: { offset: 32, size: 4, kind: 'u32' },
  creatorHostOs: { offset: 36, size: 4, kind: 'latin1' },
  originalSize: { offset: 40, size: 8, kind: 'u64', code: 'BAD_SIZE' },
  currentSize: { offset: 48, size: 8, kind: 'u64', code: 'BAD_SIZE' },
  cylinders: { offset: 56, size: 2, kind: 'u16', code: 'BAD_GEOMETRY' },
  heads: { offset: 58, size: 1, kind: 'u8', code: 'BAD_GEOMETRY' },
  sectorsPerTrack: { offset: 59, size: 1, kind: 'u8', code: 'BAD_GEOMETRY' },
  diskType: { offset: 60, size: 4, kind: 'u32', code: 'BAD_DISK_TYPE' },
  checksum: { offset: 64, size: 4, kind: 'u32', code: 'BAD_CHECKSUM' },
  uniqueId: { offset: 68, size: 16, kind: 'bytes' },
  savedState: { offset: 84, size: 1, kind: 'u8' },
  reserved: { offset: 85, size: 427, kind: 'bytes' },
} as const satisfies FieldTable;

export const DYNAMIC_HEADER_FIELDS = {
  cookie: { offset: 0, size: 8, kind: 'latin1', code: 'BAD_COOKIE' },
  dataOffset: { offset: 8, size: 8, kind: 'u64', code: 'BAD_DATA_OFFSET' },
  tableOffset: { offset: 16, size: 8, kind: 'u64', code: 'TABLE_OUT_OF_RANGE' },
  headerVersion: { offset: 24, size: 4, kind: 'u32', code: 'UNSUPPORTED_VERSION' },
  maxTableEntries: { offset: 28, size: 4, kind: 'u32', code: 'TABLE_OUT_OF_RANGE' },
  blockSize: { offset: 32, size: 4, kind: 'u32', code: 'BAD_BLOCK_SIZE' },
  checksum: { offset: 36, size: 4, kind: 'u32', code: 'BAD_CHECKSUM' },
  parentUniqueId: { offset: 40, size: 16, kind: 'bytes' },
  parentTimestamp: { offset: 56, size: 4, kind: 'u32' },
  reserved1: { offset: 60, size: 4, kind: 'u32' },
  parentUnicodeName: { offset: 64, size: 512, kind: 'utf16be', code: 'BAD_LOCATOR' },
  /** 8 entries of LOCATOR_ENTRY_FIELDS, decoded one by one. */
  parentLocators: { offset: 576, size: 192, kind: 'bytes', code: 'BAD_LOCATOR' },
  reserved2: { offset: 768, size: 256, kind: 'bytes' },
} as const satisfies FieldTable;

export const LOCATOR_ENTRY_FIELDS = {
  platformCode: { offset: 0, size: 4, kind: 'latin1', code: 'BAD_LOCATOR' },
  platformDataSpace: { offset: 4, size: 4, kind: 'u32', code: 'BAD_LOCATOR' },
  platformDataLength: { offset: 8, size: 4, kind: 'u32', code: 'BAD_LOCATOR' },
  reserved: { offset: 12, size: 4, kind: 'u32', code: 'BAD_LOCATOR' },
  platformDataOffset: { offset: 16, size: 8, kind: 'u64', code: 'BAD_LOCATOR' },
} as const satisfies FieldTable;

/** Size of one parent locator entry (the end of its last field). */
export const LOCATOR_ENTRY_SIZE = 24;
