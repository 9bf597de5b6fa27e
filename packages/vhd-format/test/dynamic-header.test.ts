import { describe, expect, it } from 'vitest';
import {
  createDynamicHeader,
  decodeDynamicHeader,
  decodeDynamicHeaderLenient,
  DYNAMIC_HEADER_FIELDS,
  encodeDynamicHeader,
  encodeLocatorPath,
  FIXED_DATA_OFFSET,
  headerChecksumValid,
  MAX_TABLE_ENTRIES,
  VhdFormatError,
} from '../src/index.js';
import type { DynamicHeader, ParentLocatorEntry } from '../src/index.js';
import { sorted } from './support/fixtures.js';

const parentPath = 'C:\\Projects\\dfvfs\\test_data\\fat-parent.vhd';
const w2ku: ParentLocatorEntry = { platformCode: 'W2ku', platformDataSpace: 4096, platformDataLength: 84, reserved: 0, platformDataOffset: 4096 };
const w2ru: ParentLocatorEntry = { platformCode: 'W2ru', platformDataSpace: 65536, platformDataLength: 32, reserved: 0, platformDataOffset: 12288 };

function childHeader(overrides: Partial<Parameters<typeof createDynamicHeader>[0]> = {}): DynamicHeader {
  return createDynamicHeader({
    tableOffset: 8192,
    maxTableEntries: 2,
    blockSize: 2 * 1024 * 1024,
    parentUniqueId: new Uint8Array(16).fill(0x55),
    parentTimestamp: 0,
    parentUnicodeName: parentPath,
    parentLocators: [w2ku, w2ru],
    ...overrides,
  });
}

function mutated(edit: (view: DataView) => void, fixChecksum = true): Uint8Array {
  const bytes = encodeDynamicHeader(childHeader());
  edit(new DataView(bytes.buffer));
  return fixChecksum ? encodeDynamicHeader(decodeDynamicHeaderLenient(bytes).value) : bytes;
}

function caught(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('createDynamicHeader', () => {
  it('fills the fixed fields, pads locators to 8 and computes the checksum', () => {
    const header = childHeader();
    expect(header).toMatchObject({ cookie: 'cxsparse', dataOffset: FIXED_DATA_OFFSET, headerVersion: 0x00010000, reserved1: 0 });
    expect(header.parentLocators).toHaveLength(8);
    expect(header.parentLocators.slice(2)).toEqual(Array.from({ length: 6 }, () => ({ platformCode: '\0\0\0\0', platformDataSpace: 0, platformDataLength: 0, reserved: 0, platformDataOffset: 0 })));
    const bytes = encodeDynamicHeader(header);
    expect(headerChecksumValid(bytes)).toBe(true);
    expect(decodeDynamicHeader(bytes)).toEqual(header);
  });

  it('writes the parent name as UTF-16 big-endian, zero padded', () => {
    const bytes = encodeDynamicHeader(childHeader({ parentUnicodeName: 'Aé' }));
    expect([...bytes.subarray(64, 70)]).toEqual([0x00, 0x41, 0x00, 0xe9, 0, 0]);
    expect(bytes.subarray(68, 576).every((byte) => byte === 0)).toBe(true);
  });

  it('writes locator entries big-endian at 576 + 24 × index', () => {
    const bytes = encodeDynamicHeader(childHeader());
    const view = new DataView(bytes.buffer);
    expect(String.fromCharCode(...bytes.subarray(600, 604))).toBe('W2ru');
    expect(view.getUint32(604)).toBe(65536);
    expect(view.getUint32(608)).toBe(32);
    expect(view.getBigUint64(616)).toBe(12288n);
  });

  it('a 256-unit name fits; 257 units throw BAD_LOCATOR', () => {
    const name = 'x'.repeat(256);
    expect(decodeDynamicHeader(encodeDynamicHeader(childHeader({ parentUnicodeName: name }))).parentUnicodeName).toBe(name);
    expect(caught(() => childHeader({ parentUnicodeName: 'x'.repeat(257) }))).toMatchObject({ code: 'BAD_LOCATOR', offset: 64 });
  });

  it.each([
    ['block size not a power of two', { blockSize: 3 * 1024 * 1024 }, 'BAD_BLOCK_SIZE'],
    ['block size below a sector', { blockSize: 256 }, 'BAD_BLOCK_SIZE'],
    ['block size above 256 MiB', { blockSize: 512 * 1024 * 1024 }, 'BAD_BLOCK_SIZE'],
    ['too many table entries', { maxTableEntries: MAX_TABLE_ENTRIES + 1 }, 'TABLE_OUT_OF_RANGE'],
    ['nine locators', { parentLocators: Array.from({ length: 9 }, () => ({ ...w2ku })) }, 'BAD_LOCATOR'],
    ['a negative table offset', { tableOffset: -1 }, 'TABLE_OUT_OF_RANGE'],
  ])('rejects %s', (_label, overrides, code) => {
    const error = caught(() => childHeader(overrides));
    expect(error).toBeInstanceOf(VhdFormatError);
    expect(error).toMatchObject({ code });
  });
});

describe('decodeDynamicHeader (strict)', () => {
  it.each([
    ['TRUNCATED', () => decodeDynamicHeader(new Uint8Array(1023)), 1023],
    ['BAD_COOKIE', () => decodeDynamicHeader(new Uint8Array(1024)), 0],
    ['BAD_CHECKSUM', () => decodeDynamicHeader(mutated((view) => view.setUint32(56, 7), false)), 36],
    ['UNSUPPORTED_VERSION', () => decodeDynamicHeader(mutated((view) => view.setUint32(24, 0x00020000))), 24],
    ['BAD_BLOCK_SIZE', () => decodeDynamicHeader(mutated((view) => view.setUint32(32, 0x00300000))), 32],
    ['TABLE_OUT_OF_RANGE (2^32 - 1 entries)', () => decodeDynamicHeader(mutated((view) => view.setUint32(28, 0xffffffff))), 28],
    ['TABLE_OUT_OF_RANGE (table inside the header)', () => decodeDynamicHeader(mutated((view) => view.setBigUint64(16, 1024n))), 16],
    ['TABLE_OUT_OF_RANGE (table offset beyond 2^53)', () => decodeDynamicHeader(mutated((view) => view.setBigUint64(16, 2n ** 62n))), 16],
    ['BAD_LOCATOR (huge data length)', () => decodeDynamicHeader(mutated((view) => view.setUint32(576 + 8, 0x7fffffff))), 584],
    ['BAD_LOCATOR (data inside the header)', () => decodeDynamicHeader(mutated((view) => view.setBigUint64(576 + 16, 512n))), 592],
  ])('%s', (label, action, offset) => {
    const error = caught(action);
    expect(error).toBeInstanceOf(VhdFormatError);
    expect(error).toMatchObject({ code: label.split(' ')[0], offset });
  });

  it('checks the table and locator data against the file size when given', () => {
    const bytes = encodeDynamicHeader(childHeader());
    expect(decodeDynamicHeader(bytes, { fileSize: 81920 }).tableOffset).toBe(8192);
    expect(caught(() => decodeDynamicHeader(bytes, { fileSize: 8192 + 7 }))).toMatchObject({ code: 'TABLE_OUT_OF_RANGE', offset: 16 });
    expect(caught(() => decodeDynamicHeader(bytes, { fileSize: 12288 + 31 }))).toMatchObject({ code: 'BAD_LOCATOR', offset: 600 + 16 });
  });

  it('keeps the name exactly as stored: lone surrogates and embedded NULs survive a round trip', () => {
    const bytes = encodeDynamicHeader(childHeader());
    bytes.set([0xd8, 0x00, 0x00, 0x00, 0x00, 0x41], 64);
    const fixed = encodeDynamicHeader(decodeDynamicHeaderLenient(bytes).value);
    const header = decodeDynamicHeader(fixed);
    expect(header.parentUnicodeName.startsWith('\ud800\0A')).toBe(true);
    expect(encodeDynamicHeader(header)).toEqual(fixed);
  });
});

describe('decodeDynamicHeaderLenient', () => {
  it('reports problems without throwing, and never allocates from a hostile table size', () => {
    const bytes = mutated((view) => {
      view.setUint32(28, 0xffffffff);
      view.setUint32(32, 1000);
      view.setBigUint64(8, 0n);
      view.setUint32(36, 0);
    }, false);
    const { value, problems } = decodeDynamicHeaderLenient(bytes);
    expect(value.maxTableEntries).toBe(0xffffffff);
    expect(sorted(problems.map((problem) => `${problem.code}:${problem.severity}@${problem.offset}`))).toEqual([
      'BAD_BLOCK_SIZE:error@32',
      'BAD_CHECKSUM:error@36',
      'BAD_DATA_OFFSET:warning@8',
      'TABLE_OUT_OF_RANGE:error@28',
    ]);
  });

  it('a locator whose data space is in sectors (xen-orchestra) raises no problem', () => {
    const sectors = { ...w2ru, platformDataSpace: 1 };
    expect(decodeDynamicHeaderLenient(encodeDynamicHeader(childHeader({ parentLocators: [w2ku, sectors] }))).problems).toEqual([]);
  });

  it('warns when the data length exceeds its space', () => {
    const tight = { ...w2ku, platformDataSpace: 512, platformDataLength: 600 };
    expect(decodeDynamicHeaderLenient(encodeDynamicHeader(childHeader({ parentLocators: [tight] }))).problems).toEqual([
      expect.objectContaining({ code: 'BAD_LOCATOR', severity: 'warning', offset: 580 }),
    ]);
  });

  it('throws only for TRUNCATED and BAD_COOKIE', () => {
    expect(caught(() => decodeDynamicHeaderLenient(new Uint8Array(10)))).toMatchObject({ code: 'TRUNCATED' });
    expect(caught(() => decodeDynamicHeaderLenient(new Uint8Array(1024)))).toMatchObject({ code: 'BAD_COOKIE' });
  });
});

describe('encodeDynamicHeader', () => {
  it("'keep' writes the stored checksum", () => {
    const header = { ...childHeader(), checksum: 0x12345678 };
    expect(new DataView(encodeDynamicHeader(header, { checksum: 'keep' }).buffer).getUint32(DYNAMIC_HEADER_FIELDS.checksum.offset)).toBe(0x12345678);
  });

  it('the locator data a Windows child holds matches encodeLocatorPath', () => {
    expect(encodeLocatorPath('W2ku', parentPath)).toHaveLength(w2ku.platformDataLength);
    expect(encodeLocatorPath('W2ru', '.\\fat-parent.vhd')).toHaveLength(w2ru.platformDataLength);
  });

  it('rejects a platform code with more than 4 characters', () => {
    const bad = { ...w2ku, platformCode: 'W2kuX' };
    expect(caught(() => encodeDynamicHeader({ ...childHeader(), parentLocators: [bad] }))).toMatchObject({ code: 'BAD_LOCATOR', offset: 576 });
  });
});
