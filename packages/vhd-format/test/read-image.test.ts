/** The one image reader: its open-time rules, on bytes built here and on the hostile images in ../shared. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedFixtures } from '@vhdkit/test-support';
import {
  BlockPlacement,
  DYNAMIC_HEADER_FIELDS,
  DYNAMIC_HEADER_SIZE,
  FOOTER_FIELDS,
  FOOTER_SIZE,
  LOCATOR_ENTRY_SIZE,
  MAX_LOCATOR_DATA_BYTES,
  MAX_VIRTUAL_SIZE,
  SECTOR_SIZE,
  VhdFormatError,
  blobSource,
  bytesSource,
  computeChecksum,
  createFooter,
  encodeFooter,
  readImage,
  undecodedBat,
} from '../src/index.js';
import type { RandomAccessSource } from '../src/index.js';
import { buildDynamicImage, patternBlock } from './support/image-builder.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const H = DYNAMIC_HEADER_FIELDS;
const HEADER_OFFSET = 512;

function childImage() {
  return buildDynamicImage({
    virtualSize: 8 * MiB,
    blockSize: 2 * MiB,
    blocks: [patternBlock(1, 2 * MiB), patternBlock(3, 2 * MiB)],
    parent: { uniqueId: new Uint8Array(16).fill(7), name: 'parent.vhd', locators: [{ platformCode: 'W2ku', path: 'C:\\vms\\parent.vhd' }, { platformCode: 'W2ru', path: '.\\parent.vhd' }] },
  });
}

/** Sets a big-endian u32 (or u64 when `bytes` is 8) of the header and refreshes its checksum. */
function patchHeader(image: Uint8Array, fieldOffset: number, value: number | bigint, bytes: 4 | 8 = 4): Uint8Array {
  const copy = image.slice();
  const view = new DataView(copy.buffer, HEADER_OFFSET, 1024);
  if (bytes === 8) view.setBigUint64(fieldOffset, BigInt(value));
  else view.setUint32(fieldOffset, Number(value));
  view.setUint32(H.checksum.offset, computeChecksum(copy.subarray(HEADER_OFFSET, HEADER_OFFSET + 1024), H.checksum.offset));
  return copy;
}

/** A source that records every read, to prove what the reader never touches. */
function recording(source: RandomAccessSource): { source: RandomAccessSource; reads: { offset: number; length: number }[] } {
  const reads: { offset: number; length: number }[] = [];
  return {
    reads,
    source: {
      size: source.size,
      name: source.name,
      read: (offset, length, options) => {
        reads.push({ offset, length });
        return source.read(offset, length, options);
      },
    },
  };
}

async function formatError(promise: Promise<unknown>): Promise<VhdFormatError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(VhdFormatError);
  return error as VhdFormatError;
}

describe('readImage on a well-formed image', () => {
  it('returns the footer, header, locator paths and BAT the image was built with', async () => {
    const built = childImage();
    const image = await readImage(bytesSource(built.bytes, { name: '/vms/child.vhd' }));
    expect(image.problems).toEqual([]);
    expect(image.footerLocation).toBe('trailing');
    expect(image.footerOffset).toBe(built.bytes.length - FOOTER_SIZE);
    expect(image.dataAreaEnd).toBe(built.bytes.length - FOOTER_SIZE);
    expect(image.footer.currentSize).toBe(8 * MiB);
    expect(image.header?.blockSize).toBe(2 * MiB);
    expect(image.geometry).toEqual({ blockSize: 2 * MiB, sectorsPerBlock: 4096, bitmapByteSize: 512 });
    expect(Array.from(image.bat!)).toEqual(Array.from(built.bat));
    expect(image.parentLocatorPaths).toEqual([
      { platformCode: 'W2ku', path: 'C:\\vms\\parent.vhd' },
      { platformCode: 'W2ru', path: '.\\parent.vhd' },
    ]);
    const placement = new BlockPlacement(image);
    expect(placement.misplaced.size).toBe(0);
    expect(placement.bitmapOffset(0)).toBeUndefined();
    expect(placement.bitmapOffset(1)).toBe(built.blockOffsets.get(1));
    const bitmap = await placement.readBitmap(3);
    expect(bitmap?.isFull()).toBe(true);
  });

  it('decodes the BAT on first access only, once, and never changes the source bytes', async () => {
    const built = childImage();
    const original = built.bytes.slice();
    const image = await readImage(bytesSource(built.bytes));
    // Opened: the table is read but not yet decoded (an accessor stands for it).
    expect(typeof Object.getOwnPropertyDescriptor(image, 'bat')?.get).toBe('function');
    const first = image.bat!;
    expect(Array.from(first)).toEqual(Array.from(built.bat));
    // Decoded once: later reads are the same table, now a plain property.
    expect(Object.getOwnPropertyDescriptor(image, 'bat')?.value).toBe(first);
    expect(image.bat).toBe(first);
    expect(Array.from(image.bat!)).toEqual(Array.from(built.bat));
    expect(Buffer.from(built.bytes).equals(Buffer.from(original))).toBe(true);
    // Replacing the table (as a writer may) is kept.
    const replaced = new Uint32Array(first.length).fill(0xffffffff);
    const other = await readImage(bytesSource(built.bytes));
    other.bat = replaced;
    expect(other.bat).toBe(replaced);
  });

  it('undecodedBat gives the stored big-endian words until the table is decoded or replaced, then undefined', async () => {
    const built = childImage();
    const image = await readImage(bytesSource(built.bytes));
    const stored = undecodedBat(image)!;
    expect(stored.length).toBe(built.bat.length);
    // The stored words byte-swapped are the entries; unused entries read 0xFFFFFFFF in either order.
    const swapped = Array.from(stored, (word) => Buffer.from(new Uint32Array([word]).buffer).readUInt32BE(0));
    expect(swapped).toEqual(Array.from(built.bat));
    expect(built.bat.some((entry) => entry === 0xffffffff) && built.bat.some((entry) => entry !== 0xffffffff)).toBe(true);
    expect(Array.from(stored).map((word) => word === 0xffffffff)).toEqual(Array.from(built.bat).map((entry) => entry === 0xffffffff));
    // Reading image.bat decodes it: the stored words are no longer offered.
    expect(Array.from(image.bat!)).toEqual(Array.from(built.bat));
    expect(undecodedBat(image)).toBeUndefined();
    // Replaced before any decode: not offered either.
    const other = await readImage(bytesSource(built.bytes));
    other.bat = new Uint32Array(built.bat.length);
    expect(undecodedBat(other)).toBeUndefined();
    // No table read: nothing to offer.
    expect(undecodedBat(await readImage(bytesSource(built.bytes), { bat: false }))).toBeUndefined();
  });

  it('reads the same through a Blob as through bytes', async () => {
    const built = childImage();
    const fromBytes = await readImage(bytesSource(built.bytes));
    const fromBlob = await readImage(blobSource(new Blob([built.bytes.slice().buffer])));
    expect(fromBlob.footer).toEqual(fromBytes.footer);
    expect(fromBlob.header).toEqual(fromBytes.header);
    expect(Array.from(fromBlob.bat!)).toEqual(Array.from(fromBytes.bat!));
  });

  it('decodes the BAT of a source without readInto in the memory its read returned, aligned or not', async () => {
    const built = childImage();
    const expected = Array.from(built.bat);
    // A read that returns its bytes at `shift` inside a larger buffer, as a source may.
    const readOnly = (shift: number): { source: RandomAccessSource; tableBuffers: ArrayBufferLike[] } => {
      const tableBuffers: ArrayBufferLike[] = [];
      const source: RandomAccessSource = {
        size: built.bytes.length,
        name: `shift-${shift}`,
        read: (offset, length) => {
          const holder = new Uint8Array(length + shift);
          holder.set(built.bytes.subarray(offset, offset + length), shift);
          if (offset === built.header.tableOffset) tableBuffers.push(holder.buffer);
          return Promise.resolve(holder.subarray(shift));
        },
      };
      return { source, tableBuffers };
    };
    const aligned = readOnly(4);
    const alignedImage = await readImage(aligned.source);
    expect(Array.from(alignedImage.bat!)).toEqual(expected);
    expect(alignedImage.bat!.buffer).toBe(aligned.tableBuffers[0]);
    const odd = readOnly(1);
    const oddImage = await readImage(odd.source);
    expect(Array.from(oddImage.bat!)).toEqual(expected);
    expect(oddImage.bat!.buffer).not.toBe(odd.tableBuffers[0]);
  });

  it('accepts an old Virtual PC 511-byte trailing footer', async () => {
    const built = childImage();
    const short = built.bytes.subarray(0, built.bytes.length - 1);
    const image = await readImage(bytesSource(short));
    expect(image.footerOffset).toBe(short.length - 511);
    expect(image.footer).toEqual((await readImage(bytesSource(built.bytes))).footer);
    expect(image.problems).toEqual([]);
  });

  it('{ bat: false } reads no table', async () => {
    const built = childImage();
    const { source, reads } = recording(bytesSource(built.bytes));
    const image = await readImage(source, { bat: false });
    expect(image.bat).toBeUndefined();
    expect(reads.some((read) => read.offset === built.header.tableOffset)).toBe(false);
  });
  it('reads the trailing footer and the first 1.5 KiB together, and takes a header at 512 from them', async () => {
    const built = childImage();
    const { source, reads } = recording(bytesSource(built.bytes));
    const image = await readImage(source, { strict: true });
    expect(reads.slice(0, 2)).toEqual([{ offset: built.bytes.length - FOOTER_SIZE, length: FOOTER_SIZE }, { offset: 0, length: 1536 }]);
    expect(reads.some((read) => read.offset === HEADER_OFFSET)).toBe(false);
    expect(image.header).toEqual(built.header);
  });

  it('reads a dynamic header that lies past the first 1.5 KiB on its own', async () => {
    const built = childImage();
    const headerAt = built.bytes.length - FOOTER_SIZE;
    const footer = encodeFooter({ ...built.footer, dataOffset: BigInt(headerAt) });
    const bytes = new Uint8Array(built.bytes.length + DYNAMIC_HEADER_SIZE);
    bytes.set(built.bytes.subarray(0, headerAt));
    bytes.fill(0, HEADER_OFFSET, HEADER_OFFSET + DYNAMIC_HEADER_SIZE); // no header left where writers usually put it
    bytes.set(built.bytes.subarray(HEADER_OFFSET, HEADER_OFFSET + DYNAMIC_HEADER_SIZE), headerAt);
    bytes.set(footer, 0);
    bytes.set(footer, headerAt + DYNAMIC_HEADER_SIZE);
    const { source, reads } = recording(bytesSource(bytes));
    const image = await readImage(source, { strict: true });
    expect(image.headerOffset).toBe(headerAt);
    expect(image.header).toEqual(built.header);
    expect(reads).toContainEqual({ offset: headerAt, length: DYNAMIC_HEADER_SIZE });
  });
});

describe('readImage refuses what it cannot read safely (every mode)', () => {
  it.each([
    ['0', 0],
    ['1000', 1000],
    ['1536', 1536],
    ['2 MiB + 512', 2 * MiB + 512],
    ['~4 GiB', 0xfffff000],
    ['512 MiB (over the limit)', 512 * MiB],
  ])('block size %s: BAD_BLOCK_SIZE naming the field and its offset', async (_name, blockSize) => {
    const bytes = patchHeader(childImage().bytes, H.blockSize.offset, blockSize);
    for (const strict of [false, true]) {
      const error = await formatError(readImage(bytesSource(bytes), { strict }));
      expect(error.code).toBe('BAD_BLOCK_SIZE');
      expect(error.field).toBe('blockSize');
      expect(error.offset).toBe(HEADER_OFFSET + H.blockSize.offset);
    }
  });

  it('a BAT that does not fit before the footer: TABLE_OUT_OF_RANGE, nothing allocated for it', async () => {
    const built = childImage();
    const bytes = patchHeader(built.bytes, H.maxTableEntries.offset, 4 * 1024 * 1024);
    const { source, reads } = recording(bytesSource(bytes));
    const error = await formatError(readImage(source));
    expect(error.code).toBe('TABLE_OUT_OF_RANGE');
    expect(error.offset).toBe(HEADER_OFFSET + H.tableOffset.offset);
    // The largest read is the image's first 1.5 KiB (footer copy and header, read with the trailing footer).
    expect(Math.max(...reads.map((read) => read.length))).toBe(1536);
    // Read for display without the BAT, the header is still shown and the table recorded as damaged.
    const withoutBat = await readImage(bytesSource(bytes), { bat: false });
    expect(withoutBat.header?.maxTableEntries).toBe(4 * 1024 * 1024);
    expect(withoutBat.problems.map((problem) => problem.code)).toContain('TABLE_OUT_OF_RANGE');
  });

  it('a table offset above 2^53: TABLE_OUT_OF_RANGE', async () => {
    const bytes = patchHeader(childImage().bytes, H.tableOffset.offset, 2n ** 60n, 8);
    expect((await formatError(readImage(bytesSource(bytes)))).code).toBe('TABLE_OUT_OF_RANGE');
  });

  it('a header placed past the data area: BAD_DATA_OFFSET on the footer field', async () => {
    const built = childImage();
    const footer = { ...built.footer, dataOffset: BigInt(built.bytes.length - 600) };
    const bytes = built.bytes.slice();
    const encoded = encodeFooter(footer);
    bytes.set(encoded, 0);
    bytes.set(encoded, bytes.length - FOOTER_SIZE);
    const error = await formatError(readImage(bytesSource(bytes)));
    expect(error.code).toBe('BAD_DATA_OFFSET');
    expect(error.offset).toBe(bytes.length - FOOTER_SIZE + FOOTER_FIELDS.dataOffset.offset);
  });

  it('a fixed image shorter than its stated size: TRUNCATED, never footer bytes as data', async () => {
    const footer = createFooter({ diskType: 2, currentSize: 4096, uniqueId: new Uint8Array(16).fill(1), timestamp: 1 });
    const bytes = new Uint8Array(2048 + FOOTER_SIZE);
    bytes.set(encodeFooter(footer), 2048);
    const error = await formatError(readImage(bytesSource(bytes)));
    expect(error.code).toBe('TRUNCATED');
    expect(error.field).toBe('currentSize');
    const exact = new Uint8Array(4096 + FOOTER_SIZE);
    exact.set(encodeFooter(footer), 4096);
    const image = await readImage(bytesSource(exact));
    expect(image.dataAreaEnd).toBe(4096);
    expect(image.problems).toEqual([]);
  });

  it('no footer anywhere: NO_FOOTER with the decoder error as cause', async () => {
    const error = await formatError(readImage(bytesSource(new Uint8Array(4096))));
    expect(error.code).toBe('NO_FOOTER');
    expect((error.cause as VhdFormatError).code).toBe('BAD_COOKIE');
    expect((await formatError(readImage(bytesSource(new Uint8Array(100))))).code).toBe('NO_FOOTER');
  });

  it('a header that is not a header: BAD_HEADER with the decoder error as cause', async () => {
    const bytes = childImage().bytes.slice();
    bytes.fill(0, HEADER_OFFSET, HEADER_OFFSET + 8);
    const error = await formatError(readImage(bytesSource(bytes)));
    expect(error.code).toBe('BAD_HEADER');
    expect((error.cause as VhdFormatError).code).toBe('BAD_COOKIE');
  });
});

describe('readImage: recoverable damage is a problem when lenient, an error when strict', () => {
  it('a damaged trailing footer: the copy at offset 0 is used; strict refuses', async () => {
    const bytes = childImage().bytes.slice();
    bytes[bytes.length - FOOTER_SIZE + 100] ^= 0xff;
    const image = await readImage(bytesSource(bytes));
    expect(image.footerLocation).toBe('copy');
    expect(image.footerOffset).toBeUndefined();
    expect(image.dataAreaEnd).toBe(bytes.length);
    expect(image.problems).toHaveLength(1);
    expect(image.problems[0]).toMatchObject({ code: 'BAD_CHECKSUM', severity: 'error', offset: bytes.length - FOOTER_SIZE });
    expect((await formatError(readImage(bytesSource(bytes), { strict: true }))).code).toBe('NO_FOOTER');
  });

  it('an unknown format version never trades one footer for the other (docs/format.md#footer-choice)', async () => {
    const built = childImage();
    // A trailing footer with a valid checksum and version 2.0 describing a larger disk; the copy at 0 says 8 MiB.
    const bytes = built.bytes.slice();
    bytes.set(encodeFooter({ ...built.footer, formatVersion: 0x0002_0000, currentSize: 16 * MiB }), bytes.length - FOOTER_SIZE);
    const image = await readImage(bytesSource(bytes), { bat: false });
    expect(image.footerLocation).toBe('trailing');
    expect(image.footer.currentSize).toBe(16 * MiB);
    // `check` reports the version (checkImage's tests); the reader steers by the footer all the same.
    // Its BAT covers 8 MiB only: the trailing footer's 16 MiB disk cannot be read, and the copy is not a way round.
    expect((await formatError(readImage(bytesSource(bytes)))).code).toBe('TABLE_OUT_OF_RANGE');
    // A damaged trailing footer with the unknown version still gives way to the copy (the checksum decides).
    bytes[bytes.length - FOOTER_SIZE + 100] ^= 0xff;
    expect((await readImage(bytesSource(bytes))).footerLocation).toBe('copy');
  });

  it('a locator pointing past the data area is rejected and never read', async () => {
    const built = childImage();
    const entryOffset = H.parentLocators.offset + LOCATOR_ENTRY_SIZE; // the W2ru entry
    const outside = built.bytes.length + 4096;
    const bytes = patchHeader(built.bytes, entryOffset + 16, BigInt(outside), 8);
    const { source, reads } = recording(bytesSource(bytes));
    const image = await readImage(source);
    expect(image.problems.map((problem) => problem.code)).toEqual(['BAD_LOCATOR']);
    expect([...image.rejectedLocators]).toEqual([1]);
    expect(image.parentLocatorPaths.map((locator) => locator.platformCode)).toEqual(['W2ku']);
    expect(reads.some((read) => read.offset === outside)).toBe(false);
    const error = await formatError(readImage(bytesSource(bytes), { strict: true }));
    expect(error.code).toBe('BAD_LOCATOR');
  });

  it('a locator claiming more than a path can hold is rejected before any read of its length', async () => {
    const built = childImage();
    const bytes = patchHeader(built.bytes, H.parentLocators.offset + 8, 0x4000_0000);
    const { source, reads } = recording(bytesSource(bytes));
    const image = await readImage(source);
    expect([...image.rejectedLocators]).toEqual([0]);
    expect(Math.max(...reads.map((read) => read.length))).toBeLessThanOrEqual(MAX_LOCATOR_DATA_BYTES);
  });

  it('a BAT too small for the disk: TABLE_OUT_OF_RANGE on maxTableEntries whenever the BAT is loaded; a problem without it', async () => {
    const bytes = patchHeader(childImage().bytes, H.maxTableEntries.offset, 2);
    // Sectors past the table's last block cannot be described by the image: reading them as zeros would be invented.
    for (const strict of [false, true]) {
      const error = await formatError(readImage(bytesSource(bytes), { strict }));
      expect(error.code).toBe('TABLE_OUT_OF_RANGE');
      expect(error.offset).toBe(HEADER_OFFSET + H.maxTableEntries.offset);
      expect(error.field).toBe('maxTableEntries');
    }
    const forDisplay = await readImage(bytesSource(bytes), { bat: false });
    expect(forDisplay.problems.map((problem) => `${problem.code}:${problem.severity}`)).toEqual(['TABLE_OUT_OF_RANGE:error']);
    expect(forDisplay.header?.maxTableEntries).toBe(2);
    expect(forDisplay.bat).toBeUndefined();
  });

  it('a current size above 2040 GiB: BAD_SIZE on currentSize, in every mode', async () => {
    const built = childImage();
    const footer = { ...built.footer, currentSize: MAX_VIRTUAL_SIZE + SECTOR_SIZE };
    const bytes = built.bytes.slice();
    const encoded = encodeFooter(footer);
    bytes.set(encoded, 0);
    bytes.set(encoded, bytes.length - FOOTER_SIZE);
    for (const options of [{}, { bat: false }, { strict: true }]) {
      const error = await formatError(readImage(bytesSource(bytes), options));
      expect(error.code).toBe('BAD_SIZE');
      expect(error.offset).toBe(bytes.length - FOOTER_SIZE + FOOTER_FIELDS.currentSize.offset);
      expect(error.field).toBe('currentSize');
    }
    // Exactly 2040 GiB is the largest size allowed: only the table is then too small for it.
    const largest = built.bytes.slice();
    const atLimit = encodeFooter({ ...built.footer, currentSize: MAX_VIRTUAL_SIZE });
    largest.set(atLimit, 0);
    largest.set(atLimit, largest.length - FOOTER_SIZE);
    expect((await readImage(bytesSource(largest), { bat: false })).problems.map((problem) => problem.code)).toEqual(['TABLE_OUT_OF_RANGE']);
  });

  it('an original size above 2^53 does not stop a read: nothing is placed by it', async () => {
    const built = childImage();
    const bytes = built.bytes.slice();
    for (const at of [0, bytes.length - FOOTER_SIZE]) {
      const view = new DataView(bytes.buffer, at, FOOTER_SIZE);
      view.setBigUint64(FOOTER_FIELDS.originalSize.offset, 2n ** 63n);
      view.setUint32(FOOTER_FIELDS.checksum.offset, computeChecksum(bytes.subarray(at, at + FOOTER_SIZE), FOOTER_FIELDS.checksum.offset));
    }
    const image = await readImage(bytesSource(bytes));
    // A footer's warnings are the checker's to report (FOOTER_BAD_SIZE); the reader records only damage.
    expect(image.problems).toEqual([]);
    expect(image.footer.originalSize).toBe(2 ** 63);
    expect(image.footerLocation).toBe('trailing');
    expect(image.bat).toEqual((await readImage(bytesSource(built.bytes))).bat);
  });

  it('a BAT entry past the data area or over the BAT: the block is misplaced and reading it is BLOCK_OUT_OF_RANGE', async () => {
    const built = childImage();
    const bytes = built.bytes.slice();
    const table = new DataView(bytes.buffer, built.header.tableOffset);
    table.setUint32(0, (bytes.length - SECTOR_SIZE) / SECTOR_SIZE);
    table.setUint32(2 * 4, built.header.tableOffset / SECTOR_SIZE);
    const placement = new BlockPlacement(await readImage(bytesSource(bytes)));
    expect(new Set(placement.misplaced)).toEqual(new Set([0, 2]));
    expect(() => placement.bitmapOffset(0)).toThrow(expect.objectContaining({ code: 'BLOCK_OUT_OF_RANGE' }));
    expect(() => placement.bitmapOffset(2)).toThrow(VhdFormatError);
    expect(placement.bitmapOffset(1)).toBe(built.blockOffsets.get(1));
  });
});

const shared = sharedFixtures();
const hostileDir = join(shared.dir, 'hostile');

describe.skipIf(!shared.available)('readImage on the hostile images', () => {
  const expected: Record<string, string | undefined> = {
    'block-size-0-dynamic.vhd': 'BAD_BLOCK_SIZE',
    'block-size-1000.vhd': 'BAD_BLOCK_SIZE',
    'block-size-4g.vhd': 'BAD_BLOCK_SIZE',
    'fixed-footer-only.vhd': 'TRUNCATED',
  };
  const files = shared.available ? readdirSync(hostileDir).filter((file) => file.endsWith('.vhd')) : [];

  it.each(files)('%s: a typed error or checked metadata, reading at most 64 KiB at a time', async (file) => {
    const bytes = new Uint8Array(readFileSync(join(hostileDir, file)));
    const { source, reads } = recording(bytesSource(bytes, { name: file }));
    const outcome = await readImage(source).then(
      (image) => ({ image, error: undefined }),
      (error: unknown) => ({ image: undefined, error }),
    );
    // The only large read allowed is the BAT, already checked to lie inside the file.
    const batBytes = outcome.image?.bat ? outcome.image.bat.length * 4 : 0;
    expect(reads.every((read) => read.length <= Math.max(MAX_LOCATOR_DATA_BYTES, batBytes) && read.offset + read.length <= bytes.length)).toBe(true);
    if (expected[file]) {
      expect(outcome.error).toBeInstanceOf(VhdFormatError);
      expect((outcome.error as VhdFormatError).code).toBe(expected[file]);
      return;
    }
    if (outcome.error) {
      expect(outcome.error).toBeInstanceOf(VhdFormatError);
      return;
    }
    const image = outcome.image!;
    expect(Number.isSafeInteger(image.footer.currentSize)).toBe(true);
    if (image.header) {
      expect(image.header.tableOffset + image.header.maxTableEntries * 4).toBeLessThanOrEqual(image.dataAreaEnd);
      for (const [index, locator] of image.header.parentLocators.entries()) {
        if (locator.platformCode === '\0\0\0\0' || image.rejectedLocators.has(index)) continue;
        expect(locator.platformDataOffset + locator.platformDataLength).toBeLessThanOrEqual(image.dataAreaEnd);
        expect(locator.platformDataLength).toBeLessThanOrEqual(MAX_LOCATOR_DATA_BYTES);
      }
    }
  });

  it('repair-bad-trailing-footer-a/b: the intact copy at offset 0 is used', async () => {
    for (const file of ['repair-bad-trailing-footer-a.vhd', 'repair-bad-trailing-footer-b.vhd']) {
      const image = await readImage(bytesSource(new Uint8Array(readFileSync(join(hostileDir, file)))));
      expect(image.footerLocation).toBe('copy');
      expect(image.problems.some((problem) => problem.severity === 'error' && /copy at offset 0/.test(problem.message))).toBe(true);
    }
  });

  it('check-locator-*: the hostile locator entries are rejected', async () => {
    for (const file of ['check-locator-abort.vhd', 'check-locator-4g.vhd', 'check-locator-1g.vhd']) {
      const image = await readImage(bytesSource(new Uint8Array(readFileSync(join(hostileDir, file))))).catch((error: unknown) => error);
      if (image instanceof VhdFormatError) continue;
      expect(image).toMatchObject({ rejectedLocators: expect.any(Set) });
      expect((image as { rejectedLocators: Set<number> }).rejectedLocators.size).toBeGreaterThan(0);
    }
  });
});
