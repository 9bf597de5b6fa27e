/** fast-check generators for every structure, covering each field's full stored range. */
import fc from 'fast-check';
import { FOOTER_COOKIE, DYNAMIC_HEADER_COOKIE, PARENT_LOCATOR_COUNT } from '../../src/index.js';
import type { DynamicHeader, Footer, ParentLocatorEntry } from '../../src/index.js';

export const u8 = fc.integer({ min: 0, max: 0xff });
export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u32 = fc.integer({ min: 0, max: 0xffffffff });
export const u64 = fc.bigInt({ min: 0n, max: 0xffffffffffffffffn });
/** 64-bit fields decoded to numbers are exact up to 2^53 - 1. */
export const safeU64Number = fc.oneof(fc.integer({ min: 0, max: 2 ** 32 }), fc.maxSafeNat());

export function bytes(length: number): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ minLength: length, maxLength: length });
}

/** Any 4 latin1 characters (NULs included), as decoded four-character codes are. */
export const fourCc = fc.array(fc.integer({ min: 0, max: 0xff }), { minLength: 4, maxLength: 4 }).map((codes) => String.fromCharCode(...codes));

export const footerArbitrary: fc.Arbitrary<Footer> = fc.record({
  cookie: fc.constant(FOOTER_COOKIE),
  features: u32,
  formatVersion: u32,
  dataOffset: u64,
  timestamp: u32,
  creatorApplication: fourCc,
  creatorVersion: u32,
  creatorHostOs: fourCc,
  originalSize: safeU64Number,
  currentSize: safeU64Number,
  geometry: fc.record({ cylinders: u16, heads: u8, sectorsPerTrack: u8 }),
  diskType: u32 as fc.Arbitrary<Footer['diskType']>,
  checksum: u32,
  uniqueId: bytes(16),
  savedState: u8,
  reserved: bytes(427),
});

export const locatorArbitrary: fc.Arbitrary<ParentLocatorEntry> = fc.record({
  platformCode: fc.oneof(fc.constantFrom('W2ku', 'W2ru', 'Wi2k', 'Wi2r', 'MacX', 'Mac ', '\0\0\0\0'), fourCc),
  platformDataSpace: u32,
  platformDataLength: u32,
  reserved: u32,
  platformDataOffset: safeU64Number,
});

/** UTF-16 code units of a stored name: anything, lone surrogates and inner NULs included, but no trailing NUL (decoding strips those). */
const parentName = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 256 })
  .map((units) => String.fromCharCode(...units).replace(/\0+$/, ''));

export const headerArbitrary: fc.Arbitrary<DynamicHeader> = fc.record({
  cookie: fc.constant(DYNAMIC_HEADER_COOKIE),
  dataOffset: u64,
  tableOffset: safeU64Number,
  headerVersion: u32,
  maxTableEntries: u32,
  blockSize: u32,
  checksum: u32,
  parentUniqueId: bytes(16),
  parentTimestamp: u32,
  reserved1: u32,
  parentUnicodeName: parentName,
  parentLocators: fc.array(locatorArbitrary, { minLength: PARENT_LOCATOR_COUNT, maxLength: PARENT_LOCATOR_COUNT }),
  reserved2: bytes(256),
});

/** Runs per property: VHD_FUZZ_RUNS (the `npm run fuzz` script sets 100,000), small by default. */
export function fuzzRuns(divisor = 1): number {
  const configured = Number(process.env.VHD_FUZZ_RUNS ?? '2000');
  return Math.max(1, Math.floor((Number.isFinite(configured) && configured > 0 ? configured : 2000) / divisor));
}
