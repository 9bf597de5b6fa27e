/** The 512-byte footer (docs/format.md#footer): decode (strict, lenient), encode, create. */
import { isSafeNonNegativeInteger, safeNumberFromU64 } from './bytes.js';
import { computeChecksum } from './checksum.js';
import {
  DiskType,
  FIXED_DATA_OFFSET,
  FOOTER_COOKIE,
  FOOTER_SIZE,
  hasDynamicHeader,
  MAX_VIRTUAL_SIZE,
  SECTOR_SIZE,
  SHORT_FOOTER_SIZE,
  VHD_FORMAT_VERSION,
} from './constants.js';
import { ProblemList, strictValue, VhdFormatError } from './errors.js';
import type { Lenient } from './errors.js';
import { FOOTER_FIELDS } from './field-tables.js';
import { decodeFooterFields } from './generated/field-decoders.js';
import { geometryFromSize } from './geometry.js';
import type { Geometry } from './geometry.js';
import { recordCodec } from './record-codec.js';
import { checkVersion } from './version-check.js';
import type { RawRecord } from './record-codec.js';

/** Every field of a footer, decoded; `encodeFooter` writes it back byte for byte. */
export interface Footer {
  /** 'conectix' */
  cookie: string;
  /** 0x2 normally (reserved bit, always set); 0x1 marks a temporary disk. */
  features: number;
  /** 0x00010000 */
  formatVersion: number;
  /** 512n for dynamic/differencing images, FIXED_DATA_OFFSET for fixed ones. */
  dataOffset: bigint;
  /** VHD seconds (since 2000-01-01 UTC). */
  timestamp: number;
  /** Four latin1 characters, e.g. 'win ', 'qemu', 'tap\0'. */
  creatorApplication: string;
  creatorVersion: number;
  creatorHostOs: string;
  /** Bytes. 64-bit on disk; numbers are exact up to 2^53, far above 2040 GiB. */
  originalSize: number;
  currentSize: number;
  geometry: Geometry;
  diskType: DiskType;
  /** As stored. */
  checksum: number;
  /** 16 raw bytes. */
  uniqueId: Uint8Array;
  savedState: number;
  /** 427 bytes, kept so that re-encoding is byte-exact. */
  reserved: Uint8Array;
}

/** Options of the encoders. */
export interface EncodeOptions {
  /** 'compute' (default) writes the correct checksum; 'keep' writes the value in the structure as is. */
  checksum?: 'compute' | 'keep';
}

const codec = recordCodec(FOOTER_FIELDS, decodeFooterFields);
const F = FOOTER_FIELDS;
const VALID_DISK_TYPES: readonly number[] = [DiskType.Fixed, DiskType.Dynamic, DiskType.Differencing];

/** The full 512 bytes to decode: a 511-byte footer gets its missing reserved byte as zero. */
function footerBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.length < SHORT_FOOTER_SIZE) {
    throw new VhdFormatError('TRUNCATED', bytes.length, `a footer needs 512 bytes (511 for old images), got ${bytes.length}`);
  }
  if (bytes.length >= FOOTER_SIZE) return bytes.subarray(0, FOOTER_SIZE);
  const full = new Uint8Array(FOOTER_SIZE);
  full.set(bytes);
  return full;
}


/**
 * A size field as a number. Beyond 2^53 it is approximate: an error for the current size (readers place bytes by
 * it), a warning for the original size (informational: nothing reads or writes by it).
 */
function sizeField(problems: ProblemList, raw: bigint, offset: number, name: string, severity: 'error' | 'warning'): number {
  const size = safeNumberFromU64(raw);
  if (size === undefined) {
    problems[severity]('BAD_SIZE', offset, `${name} ${raw} is beyond 2^53 bytes`);
    return Number(raw);
  }
  return size;
}

function sameGeometry(geometry: Geometry, sizeBytes: number): boolean {
  const expected = geometryFromSize(sizeBytes);
  return geometry.cylinders === expected.cylinders && geometry.heads === expected.heads && geometry.sectorsPerTrack === expected.sectorsPerTrack;
}

/** Decodes and reports every problem; throws only when the bytes are not a footer at all (TRUNCATED, BAD_COOKIE). */
export function decodeFooterLenient(bytes: Uint8Array): Lenient<Footer> {
  const full = footerBytes(bytes);
  const raw = codec.decode(full);
  if (raw.cookie !== FOOTER_COOKIE) {
    throw new VhdFormatError('BAD_COOKIE', F.cookie.offset, `footer cookie is ${JSON.stringify(raw.cookie)}, not "conectix"`);
  }
  const problems = new ProblemList();
  if (bytes.length < FOOTER_SIZE) problems.warning('TRUNCATED', SHORT_FOOTER_SIZE, 'footer is 511 bytes (old Virtual PC image); the last reserved byte is taken as zero');

  const expectedChecksum = computeChecksum(full, F.checksum.offset);
  if (expectedChecksum !== raw.checksum) {
    problems.error('BAD_CHECKSUM', F.checksum.offset, `footer checksum 0x${raw.checksum.toString(16)} should be 0x${expectedChecksum.toString(16)}`);
  }
  checkVersion(problems, raw.formatVersion, F.formatVersion.offset, 'footer format');
  if (!VALID_DISK_TYPES.includes(raw.diskType)) {
    problems.error('BAD_DISK_TYPE', F.diskType.offset, `disk type ${raw.diskType} is not fixed (2), dynamic (3) or differencing (4)`);
  }
  if (raw.diskType === DiskType.Fixed) {
    if (raw.dataOffset !== FIXED_DATA_OFFSET) problems.warning('BAD_DATA_OFFSET', F.dataOffset.offset, `fixed image has data offset ${raw.dataOffset}, not all ones`);
  } else if (hasDynamicHeader(raw.diskType)) {
    const dataOffset = safeNumberFromU64(raw.dataOffset);
    if (dataOffset === undefined || dataOffset < FOOTER_SIZE) {
      problems.error('BAD_DATA_OFFSET', F.dataOffset.offset, `dynamic header offset ${raw.dataOffset} is not a usable file offset`);
    }
  }
  const originalSize = sizeField(problems, raw.originalSize, F.originalSize.offset, 'original size', 'warning');
  const currentSize = sizeField(problems, raw.currentSize, F.currentSize.offset, 'current size', 'error');
  if (Number.isSafeInteger(currentSize)) {
    if (currentSize > MAX_VIRTUAL_SIZE) problems.warning('BAD_SIZE', F.currentSize.offset, `current size ${currentSize} exceeds 2040 GiB, the largest size Windows accepts`);
    if (currentSize % SECTOR_SIZE !== 0) problems.warning('BAD_SIZE', F.currentSize.offset, `current size ${currentSize} is not a whole number of sectors`);
  }
  // Tiny disks get 0 cylinders from the specification's own algorithm; only other zero geometries are odd.
  if (currentSize > 0 && (raw.cylinders === 0 || raw.heads === 0 || raw.sectorsPerTrack === 0) && !sameGeometry(raw, currentSize)) {
    problems.warning('BAD_GEOMETRY', F.cylinders.offset, `geometry ${raw.cylinders}/${raw.heads}/${raw.sectorsPerTrack} has a zero component`);
  }

  const footer: Footer = {
    cookie: raw.cookie,
    features: raw.features,
    formatVersion: raw.formatVersion,
    dataOffset: raw.dataOffset,
    timestamp: raw.timestamp,
    creatorApplication: raw.creatorApplication,
    creatorVersion: raw.creatorVersion,
    creatorHostOs: raw.creatorHostOs,
    originalSize,
    currentSize,
    geometry: { cylinders: raw.cylinders, heads: raw.heads, sectorsPerTrack: raw.sectorsPerTrack },
    diskType: raw.diskType as DiskType,
    checksum: raw.checksum,
    uniqueId: raw.uniqueId,
    savedState: raw.savedState,
    reserved: raw.reserved,
  };
  return { value: footer, problems: problems.problems };
}

/** Strict: throws VhdFormatError (code + offset) on the first error; accepts 511 or 512 bytes (more are ignored). */
export function decodeFooter(bytes: Uint8Array): Footer {
  return strictValue(decodeFooterLenient(bytes));
}

function sizeToU64(size: number, field: { offset: number }, name: string): bigint {
  if (!isSafeNonNegativeInteger(size)) throw new VhdFormatError('BAD_SIZE', field.offset, `${name} ${size} is not a non-negative safe integer`);
  return BigInt(size);
}

/** 512 bytes. Throws VhdFormatError when a value does not fit its field. */
export function encodeFooter(footer: Footer, options: EncodeOptions = {}): Uint8Array {
  const raw: RawRecord<typeof FOOTER_FIELDS> = {
    cookie: footer.cookie,
    features: footer.features,
    formatVersion: footer.formatVersion,
    dataOffset: footer.dataOffset,
    timestamp: footer.timestamp,
    creatorApplication: footer.creatorApplication,
    creatorVersion: footer.creatorVersion,
    creatorHostOs: footer.creatorHostOs,
    originalSize: sizeToU64(footer.originalSize, F.originalSize, 'original size'),
    currentSize: sizeToU64(footer.currentSize, F.currentSize, 'current size'),
    cylinders: footer.geometry.cylinders,
    heads: footer.geometry.heads,
    sectorsPerTrack: footer.geometry.sectorsPerTrack,
    diskType: footer.diskType,
    checksum: options.checksum === 'keep' ? footer.checksum : 0,
    uniqueId: footer.uniqueId,
    savedState: footer.savedState,
    reserved: footer.reserved,
  };
  const bytes = new Uint8Array(FOOTER_SIZE);
  codec.encodeInto(raw, bytes);
  if (options.checksum !== 'keep') {
    new DataView(bytes.buffer).setUint32(F.checksum.offset, computeChecksum(bytes, F.checksum.offset));
  }
  return bytes;
}

/** What a new footer needs; `createFooter` fills in the rest. */
export interface CreateFooterInit {
  diskType: DiskType;
  currentSize: number;
  /** Defaults to currentSize. */
  originalSize?: number;
  /** Defaults to the specification's geometry for currentSize. A differencing child copies its parent's. */
  geometry?: Geometry;
  uniqueId: Uint8Array;
  timestamp: number;
  /** Defaults: 'vhdk', 0x00010000, 'Wi2k' (this toolkit's creator fields). */
  creatorApplication?: string;
  creatorVersion?: number;
  creatorHostOs?: string;
}

/** The creator application written by this toolkit. */
export const TOOLKIT_CREATOR_APPLICATION = 'vhdk';
/** The creator version written by this toolkit (1.0). */
export const TOOLKIT_CREATOR_VERSION = 0x00010000;
/** The creator host OS written by this toolkit (`Wi2k`, what Windows tools expect). */
export const TOOLKIT_CREATOR_HOST_OS = 'Wi2k';
/** The reserved feature bit every writer sets. */
const FEATURES_RESERVED = 0x2;

/** A complete footer with its checksum computed. */
export function createFooter(init: CreateFooterInit): Footer {
  if (!VALID_DISK_TYPES.includes(init.diskType)) {
    throw new VhdFormatError('BAD_DISK_TYPE', F.diskType.offset, `cannot create a footer of disk type ${init.diskType}`);
  }
  sizeToU64(init.currentSize, F.currentSize, 'current size');
  const footer: Footer = {
    cookie: FOOTER_COOKIE,
    features: FEATURES_RESERVED,
    formatVersion: VHD_FORMAT_VERSION,
    dataOffset: init.diskType === DiskType.Fixed ? FIXED_DATA_OFFSET : BigInt(FOOTER_SIZE),
    timestamp: init.timestamp,
    creatorApplication: init.creatorApplication ?? TOOLKIT_CREATOR_APPLICATION,
    creatorVersion: init.creatorVersion ?? TOOLKIT_CREATOR_VERSION,
    creatorHostOs: init.creatorHostOs ?? TOOLKIT_CREATOR_HOST_OS,
    originalSize: init.originalSize ?? init.currentSize,
    currentSize: init.currentSize,
    geometry: init.geometry ? { ...init.geometry } : geometryFromSize(init.currentSize),
    diskType: init.diskType,
    checksum: 0,
    uniqueId: new Uint8Array(init.uniqueId),
    savedState: 0,
    reserved: new Uint8Array(F.reserved.size),
  };
  // Encoding validates every field and yields the checksum.
  footer.checksum = new DataView(encodeFooter(footer).buffer).getUint32(F.checksum.offset);
  return footer;
}
