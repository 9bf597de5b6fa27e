import { describe, expect, it } from 'vitest';
import {
  createFooter,
  decodeFooter,
  decodeFooterLenient,
  DiskType,
  diskTypeName,
  encodeFooter,
  FIXED_DATA_OFFSET,
  FOOTER_FIELDS,
  footerChecksumValid,
  geometryFromSize,
  hasDynamicHeader,
  MAX_VIRTUAL_SIZE,
  VhdFormatError,
} from '../src/index.js';
import type { Footer } from '../src/index.js';
import { sorted } from './support/fixtures.js';

const uniqueId = Uint8Array.from({ length: 16 }, (_, index) => index + 1);

function dynamicFooter(overrides: Partial<Parameters<typeof createFooter>[0]> = {}): Footer {
  return createFooter({ diskType: DiskType.Dynamic, currentSize: 4 * 1024 * 1024, uniqueId, timestamp: 820_540_800, ...overrides });
}

/** Re-encodes after `edit`, fixing the checksum unless told to keep it. */
function mutated(edit: (view: DataView, bytes: Uint8Array) => void, fixChecksum = true): Uint8Array {
  const bytes = encodeFooter(dynamicFooter());
  const view = new DataView(bytes.buffer);
  edit(view, bytes);
  if (fixChecksum) {
    const footer = decodeFooterLenient(bytes).value;
    return encodeFooter(footer);
  }
  return bytes;
}

function expectFormatError(action: () => unknown, code: string, offset: number): void {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(VhdFormatError);
  expect(thrown).toMatchObject({ name: 'VhdFormatError', code, offset });
}

describe('hasDynamicHeader', () => {
  it.each([
    [DiskType.None, undefined, false],
    [1, undefined, false],
    [DiskType.Fixed, 'fixed', false],
    [DiskType.Dynamic, 'dynamic', true],
    [DiskType.Differencing, 'differencing', true],
    [5, undefined, false],
    [6, undefined, false],
    [0xffffffff, undefined, false],
  ])('disk type %i (%s): %s', (code, name, expected) => {
    expect(diskTypeName(code)).toBe(name);
    expect(hasDynamicHeader(code)).toBe(expected);
  });
});

describe('createFooter', () => {
  it('fills the fixed fields, the geometry and a valid checksum', () => {
    const footer = dynamicFooter();
    expect(footer).toMatchObject({
      cookie: 'conectix',
      features: 2,
      formatVersion: 0x00010000,
      dataOffset: 512n,
      creatorApplication: 'vhdk',
      creatorVersion: 0x00010000,
      creatorHostOs: 'Wi2k',
      originalSize: 4 * 1024 * 1024,
      geometry: { cylinders: 120, heads: 4, sectorsPerTrack: 17 },
      savedState: 0,
    });
    expect(footer.reserved).toEqual(new Uint8Array(427));
    const bytes = encodeFooter(footer);
    expect(footerChecksumValid(bytes)).toBe(true);
    expect(new DataView(bytes.buffer).getUint32(FOOTER_FIELDS.checksum.offset)).toBe(footer.checksum);
    expect(decodeFooter(bytes)).toEqual(footer);
  });

  it('uses the all-ones data offset for fixed disks', () => {
    expect(createFooter({ diskType: DiskType.Fixed, currentSize: 3 << 20, uniqueId, timestamp: 0 }).dataOffset).toBe(FIXED_DATA_OFFSET);
  });

  it('copies a given geometry and original size (a differencing child copies its parent)', () => {
    const footer = createFooter({ diskType: DiskType.Differencing, currentSize: 4_212_736, originalSize: 4_000_000, geometry: { cylinders: 121, heads: 4, sectorsPerTrack: 17 }, uniqueId, timestamp: 1 });
    expect(footer.geometry).toEqual({ cylinders: 121, heads: 4, sectorsPerTrack: 17 });
    expect(footer.originalSize).toBe(4_000_000);
  });

  it('copies the unique id instead of keeping the caller\'s array', () => {
    const id = new Uint8Array(16).fill(9);
    const footer = dynamicFooter({ uniqueId: id });
    id[0] = 0;
    expect(footer.uniqueId[0]).toBe(9);
  });

  it('rejects disk type None and out-of-range sizes', () => {
    expectFormatError(() => dynamicFooter({ diskType: DiskType.None }), 'BAD_DISK_TYPE', 60);
    expectFormatError(() => dynamicFooter({ currentSize: -512 }), 'BAD_SIZE', 48);
    expectFormatError(() => dynamicFooter({ currentSize: 2 ** 53 }), 'BAD_SIZE', 48);
  });

  it('the largest Windows disk round-trips exactly', () => {
    const footer = dynamicFooter({ currentSize: MAX_VIRTUAL_SIZE });
    expect(footer.geometry).toEqual(geometryFromSize(MAX_VIRTUAL_SIZE));
    expect(decodeFooter(encodeFooter(footer)).currentSize).toBe(MAX_VIRTUAL_SIZE);
  });
});

describe('decodeFooter (strict)', () => {
  it.each([
    ['TRUNCATED', () => decodeFooter(new Uint8Array(510)), 510],
    ['BAD_COOKIE', () => decodeFooter(mutated((_view, bytes) => bytes.set([0x78], 0), false)), 0],
    ['BAD_CHECKSUM', () => decodeFooter(mutated((view) => view.setUint32(24, 12345), false)), 64],
    ['UNSUPPORTED_VERSION', () => decodeFooter(mutated((view) => view.setUint32(12, 0x00020000))), 12],
    ['BAD_DISK_TYPE', () => decodeFooter(mutated((view) => view.setUint32(60, 5))), 60],
    ['BAD_DATA_OFFSET (dynamic with all ones)', () => decodeFooter(mutated((view) => view.setBigUint64(16, FIXED_DATA_OFFSET))), 16],
    ['BAD_SIZE (beyond 2^53)', () => decodeFooter(mutated((view) => view.setBigUint64(48, 2n ** 60n))), 48],
  ])('%s', (label, action, offset) => {
    expectFormatError(action, label.split(' ')[0]!, offset);
  });

  it('accepts a 511-byte footer (old Virtual PC images), taking the last byte as zero', () => {
    const bytes = encodeFooter(dynamicFooter());
    const footer = decodeFooter(bytes.subarray(0, 511));
    expect(footer).toEqual(decodeFooter(bytes));
    const lenient = decodeFooterLenient(bytes.subarray(0, 511));
    expect(lenient.problems).toEqual([expect.objectContaining({ code: 'TRUNCATED', severity: 'warning', offset: 511 })]);
  });

  it('accepts minor versions other than 1.0 with a warning only', () => {
    const bytes = mutated((view) => view.setUint32(12, 0x00010001));
    expect(decodeFooter(bytes).formatVersion).toBe(0x00010001);
    expect(decodeFooterLenient(bytes).problems).toEqual([expect.objectContaining({ code: 'UNSUPPORTED_VERSION', severity: 'warning' })]);
  });

  it('returns plain Uint8Array copies, not views of the input', () => {
    const bytes = encodeFooter(dynamicFooter());
    const footer = decodeFooter(bytes);
    expect(Object.getPrototypeOf(footer.uniqueId)).toBe(Uint8Array.prototype);
    expect(Object.getPrototypeOf(footer.reserved)).toBe(Uint8Array.prototype);
    bytes[68] = 0xee;
    expect(footer.uniqueId[0]).toBe(1);
  });

  it('decodes from a Node Buffer and from a view at a non-zero offset', () => {
    const bytes = encodeFooter(dynamicFooter());
    const padded = new Uint8Array(1000);
    padded.set(bytes, 300);
    expect(decodeFooter(padded.subarray(300, 812))).toEqual(decodeFooter(bytes));
    expect(decodeFooter(Buffer.from(bytes))).toEqual(decodeFooter(bytes));
  });
});

describe('decodeFooterLenient', () => {
  it('reports every problem and still decodes', () => {
    const bytes = mutated((view) => {
      view.setUint32(60, 1);
      view.setUint32(12, 0x00030000);
      view.setUint16(56, 0);
      view.setUint32(64, 0);
    }, false);
    const { value, problems } = decodeFooterLenient(bytes);
    expect(value.diskType).toBe(1);
    expect(sorted(problems.map((problem) => `${problem.code}:${problem.severity}`))).toEqual([
      'BAD_CHECKSUM:error',
      'BAD_DISK_TYPE:error',
      'BAD_GEOMETRY:warning',
      'UNSUPPORTED_VERSION:error',
    ]);
  });

  it('warns about sizes above 2040 GiB and partial sectors, which other tools accept', () => {
    const bytes = mutated((view) => view.setBigUint64(48, BigInt(MAX_VIRTUAL_SIZE + 1)));
    const codes = decodeFooterLenient(bytes).problems.map((problem) => `${problem.code}:${problem.severity}`);
    expect(codes).toEqual(['BAD_SIZE:warning', 'BAD_SIZE:warning']);
  });

  it('throws only for TRUNCATED and BAD_COOKIE', () => {
    expectFormatError(() => decodeFooterLenient(new Uint8Array(100)), 'TRUNCATED', 100);
    expectFormatError(() => decodeFooterLenient(new Uint8Array(512)), 'BAD_COOKIE', 0);
  });
});

describe('encodeFooter', () => {
  it("'keep' writes the stored checksum; 'compute' (default) replaces it", () => {
    const footer = { ...dynamicFooter(), checksum: 0xdeadbeef };
    expect(new DataView(encodeFooter(footer, { checksum: 'keep' }).buffer).getUint32(64)).toBe(0xdeadbeef);
    expect(footerChecksumValid(encodeFooter(footer))).toBe(true);
  });

  it('writes text fields as latin1 with NUL padding (tap\\0)', () => {
    const bytes = encodeFooter({ ...dynamicFooter(), creatorApplication: 'tap' });
    expect([...bytes.subarray(28, 32)]).toEqual([0x74, 0x61, 0x70, 0]);
    expect(decodeFooter(bytes).creatorApplication).toBe('tap\0');
  });

  it.each([
    ['a unique id of the wrong length', { uniqueId: new Uint8Array(15) }, 'BAD_SIZE', 68],
    ['a negative size', { currentSize: -1 }, 'BAD_SIZE', 48],
    ['a fractional size', { originalSize: 1.5 }, 'BAD_SIZE', 40],
    ['a cylinder count beyond u16', { geometry: { cylinders: 70000, heads: 16, sectorsPerTrack: 255 } }, 'BAD_GEOMETRY', 56],
    ['a creator longer than 4 characters', { creatorApplication: 'qemu2' }, 'BAD_SIZE', 28],
    ['non-latin1 text', { creatorHostOs: 'Wi\u20ack' }, 'BAD_SIZE', 36],
    ['a disk type beyond u32', { diskType: 2 ** 32 as never }, 'BAD_DISK_TYPE', 60],
  ])('rejects %s', (_label, overrides, code, offset) => {
    expectFormatError(() => encodeFooter({ ...dynamicFooter(), ...overrides }), code, offset);
  });
});
