/**
 * Property tests: encode→decode identity for every structure, and decoders that never throw anything
 * but VhdFormatError on arbitrary or mutated bytes. Run count: VHD_FUZZ_RUNS (npm run fuzz: 100,000).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  dateFromVhdTimestamp,
  decodeBat,
  decodeDynamicHeader,
  decodeDynamicHeaderLenient,
  decodeFooter,
  decodeFooterLenient,
  decodeLocatorPath,
  encodeBat,
  encodeDynamicHeader,
  encodeFooter,
  encodeLocatorPath,
  geometryFromSize,
  MAX_VIRTUAL_SIZE,
  parseVhdStream,
  sizeFromGeometry,
  uniqueIdFromString,
  uniqueIdToString,
  VhdFormatError,
  vhdTimestampFromDate,
} from '../src/index.js';
import { bytes, footerArbitrary, fuzzRuns, headerArbitrary, u32 } from './support/arbitraries.js';
import { loadSharedFixtures } from './support/fixtures.js';
import { buildDynamicImage, chunked, patternBlock } from './support/image-builder.js';

const runs = fuzzRuns();
/** Generous: the run count is configurable, and other suites share the CPU. */
const FUZZ_TIMEOUT_MS = 30 * 60 * 1000;

/** Typed arrays as hex, so deep equality does not walk them element by element (much faster). */
function comparable(value: unknown): unknown {
  if (value instanceof Uint8Array) return `bytes:${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  if (value instanceof Uint32Array) return `u32:${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  if (Array.isArray(value)) return value.map(comparable);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, comparable(field)]));
  return value;
}

/** Decoded paths drop trailing NULs (some writers add a terminator). */
function trimmed(text: string): string {
  return text.replace(/\0+$/, '');
}

/** Runs `action`; anything thrown must be a VhdFormatError with a code and a numeric offset. */
function onlyFormatErrors(action: () => unknown): void {
  try {
    action();
  } catch (error) {
    if (!(error instanceof VhdFormatError)) throw error;
    expect(typeof error.code).toBe('string');
    expect(Number.isFinite(error.offset)).toBe(true);
  }
}

/** Clears the top 11 bits of a u64 field so it decodes to an exact number. */
function makeSafeU64(view: DataView, offset: number): void {
  view.setUint16(offset, view.getUint16(offset) & 0x001f);
}

const mutation = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 0xff })), { minLength: 1, maxLength: 8 });

function mutate(source: Uint8Array, changes: [number, number][]): Uint8Array {
  const copy = source.slice();
  for (const [position, value] of changes) copy[position % copy.length] = value;
  return copy;
}

describe('encode → decode identity', () => {
  it('footer values', () => {
    fc.assert(
      fc.property(footerArbitrary, (footer) => {
        expect(comparable(decodeFooterLenient(encodeFooter(footer, { checksum: 'keep' })).value)).toEqual(comparable(footer));
      }),
      { numRuns: runs },
    );
  }, FUZZ_TIMEOUT_MS);

  it('footer bytes: any 512 bytes with the cookie re-encode byte for byte', () => {
    fc.assert(
      fc.property(bytes(512), (raw) => {
        raw.set(new TextEncoder().encode('conectix'), 0);
        const view = new DataView(raw.buffer);
        makeSafeU64(view, 40);
        makeSafeU64(view, 48);
        expect(comparable(encodeFooter(decodeFooterLenient(raw).value, { checksum: 'keep' }))).toBe(comparable(raw));
      }),
      { numRuns: runs },
    );
  }, FUZZ_TIMEOUT_MS);

  it('dynamic header values (all 8 locator entries included)', () => {
    fc.assert(
      fc.property(headerArbitrary, (header) => {
        expect(comparable(decodeDynamicHeaderLenient(encodeDynamicHeader(header, { checksum: 'keep' })).value)).toEqual(comparable(header));
      }),
      { numRuns: runs },
    );
  }, FUZZ_TIMEOUT_MS);

  it('dynamic header bytes: any 1024 bytes with the cookie re-encode byte for byte (name, locator area, reserved)', () => {
    fc.assert(
      fc.property(bytes(1024), (raw) => {
        raw.set(new TextEncoder().encode('cxsparse'), 0);
        const view = new DataView(raw.buffer);
        makeSafeU64(view, 16);
        for (let index = 0; index < 8; index++) makeSafeU64(view, 576 + 24 * index + 16);
        expect(comparable(encodeDynamicHeader(decodeDynamicHeaderLenient(raw).value, { checksum: 'keep' }))).toBe(comparable(raw));
      }),
      { numRuns: runs },
    );
  }, FUZZ_TIMEOUT_MS);

  it('BAT tables and BAT bytes', () => {
    fc.assert(
      fc.property(fc.array(u32, { maxLength: 300 }), fc.integer({ min: 0, max: 3 }), (entries, extraSectors) => {
        const table = Uint32Array.from(entries);
        const encoded = encodeBat(table, Math.ceil((table.length * 4) / 512) * 512 + extraSectors * 512);
        expect(comparable(decodeBat(encoded, table.length))).toBe(comparable(table));
        expect(comparable(encodeBat(decodeBat(encoded, table.length), encoded.length))).toBe(comparable(encoded));
      }),
      { numRuns: runs },
    );
  }, FUZZ_TIMEOUT_MS);

  it('locator paths (UTF-16 with lone surrogates, latin1, MacX file URLs)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: fc.integer({ min: 0, max: 0xff }).map((code) => String.fromCharCode(code)), maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 40 }), (anyText, latin1, unicode) => {
        expect(decodeLocatorPath('W2ku', encodeLocatorPath('W2ku', anyText))).toBe(trimmed(anyText));
        expect(decodeLocatorPath('W2ru', encodeLocatorPath('W2ru', anyText))).toBe(trimmed(anyText));
        expect(decodeLocatorPath('Wi2r', encodeLocatorPath('Wi2r', latin1))).toBe(trimmed(latin1));
        expect(decodeLocatorPath('MacX', encodeLocatorPath('MacX', `/${unicode}`))).toBe(`/${unicode}`);
      }),
      { numRuns: runs },
    );
  }, FUZZ_TIMEOUT_MS);

  it('timestamps and unique ids', () => {
    fc.assert(
      fc.property(u32, bytes(16), (seconds, id) => {
        expect(vhdTimestampFromDate(dateFromVhdTimestamp(seconds))).toBe(seconds);
        expect(comparable(uniqueIdFromString(uniqueIdToString(id)))).toBe(comparable(id));
      }),
      { numRuns: runs },
    );
  }, FUZZ_TIMEOUT_MS);

  it('geometry never addresses more than the size, and stays within CHS limits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_VIRTUAL_SIZE }), (size) => {
        const geometry = geometryFromSize(size);
        expect(sizeFromGeometry(geometry)).toBeLessThanOrEqual(size);
        expect(geometry.cylinders).toBeLessThanOrEqual(65535);
        expect(geometry.heads).toBeLessThanOrEqual(16);
        expect([17, 31, 63, 255]).toContain(geometry.sectorsPerTrack);
      }),
      { numRuns: runs },
    );
  }, FUZZ_TIMEOUT_MS);
});

describe('decoders throw only VhdFormatError', () => {
  it('on arbitrary bytes (with and without a valid cookie), any length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1100 }), fc.boolean(), fc.nat(), (raw, withCookies, fileSize) => {
        if (withCookies && raw.length >= 8) raw.set(new TextEncoder().encode(raw.length >= 1024 ? 'cxsparse' : 'conectix'), 0);
        onlyFormatErrors(() => decodeFooter(raw));
        onlyFormatErrors(() => decodeFooterLenient(raw));
        onlyFormatErrors(() => decodeDynamicHeader(raw, { fileSize }));
        onlyFormatErrors(() => decodeDynamicHeaderLenient(raw, { fileSize }));
        onlyFormatErrors(() => decodeBat(raw, fileSize % 400));
        for (const code of ['W2ku', 'W2ru', 'Wi2k', 'MacX', 'Mac ']) expect(() => decodeLocatorPath(code, raw)).not.toThrow();
      }),
      { numRuns: runs },
    );
  }, FUZZ_TIMEOUT_MS);

  const { available, fixtures } = loadSharedFixtures();
  it.skipIf(!available)('on mutated real footers and headers', () => {
    const structures = fixtures.flatMap(({ bytes: file }) => [file.subarray(file.length - 512), file.subarray(512, 1536)]);
    fc.assert(
      fc.property(fc.constantFrom(...structures), mutation, fc.boolean(), (original, changes, truncate) => {
        const mutated = mutate(original, changes);
        const input = truncate ? mutated.subarray(0, changes[0]![0] % mutated.length) : mutated;
        onlyFormatErrors(() => decodeFooter(input));
        onlyFormatErrors(() => decodeFooterLenient(input));
        onlyFormatErrors(() => decodeDynamicHeader(input, { fileSize: 2_183_168 }));
        onlyFormatErrors(() => decodeDynamicHeaderLenient(input));
      }),
      { numRuns: runs },
    );
  }, FUZZ_TIMEOUT_MS);

  it('the streaming parser on mutated images (checksums refreshed so mutations reach the layout)', async () => {
    const image = buildDynamicImage({
      virtualSize: 40 * 1024,
      blockSize: 4096,
      blocks: [2, 0, 7].map((index) => patternBlock(index, 4096)),
      parent: { uniqueId: new Uint8Array(16).fill(1), name: 'p.vhd', locators: [{ platformCode: 'W2ru', path: '.\\p.vhd' }] },
    });
    const structureEnd = image.header.tableOffset + 4096;
    await fc.assert(
      fc.asyncProperty(mutation, fc.boolean(), fc.integer({ min: 1, max: 9000 }), async (changes, lenient, chunkSize) => {
        // Aim mutations at the footer copy, header, BAT and locator area, where the parser makes decisions.
        const mutated = mutate(image.bytes.subarray(0, structureEnd), changes);
        const full = image.bytes.slice();
        full.set(mutated, 0);
        for (const [offset, refresh] of [
          [0, (raw: Uint8Array) => encodeFooter(decodeFooterLenient(raw).value)],
          [512, (raw: Uint8Array) => encodeDynamicHeader(decodeDynamicHeaderLenient(raw).value)],
        ] as const) {
          try {
            full.set(refresh(full.subarray(offset, offset + (offset === 0 ? 512 : 1024))), offset);
          } catch {
            // The mutation broke a cookie or made a field unencodable: the parser must still fail cleanly.
          }
        }
        const stats = { bytesConsumed: 0, maxBufferedBytes: 0 };
        try {
          for await (const event of parseVhdStream(chunked(full, chunkSize), { lenient, stats })) void event;
        } catch (error) {
          if (!(error instanceof VhdFormatError)) throw error;
        }
        expect(stats.bytesConsumed).toBeLessThanOrEqual(full.length);
      }),
      { numRuns: Math.max(50, Math.floor(runs / 10)) },
    );
  }, FUZZ_TIMEOUT_MS);
});
