import { describe, expect, it } from 'vitest';
import { decodeLocatorPath, encodeLocatorPath, isUnusedLocator, locatorDataSpaceBytes, emptyLocatorEntry } from '../src/index.js';
import type { ParentLocatorEntry } from '../src/index.js';

function entry(platformDataSpace: number, platformDataLength: number): ParentLocatorEntry {
  return { platformCode: 'W2ru', platformDataSpace, platformDataLength, reserved: 0, platformDataOffset: 4096 };
}

describe('locatorDataSpaceBytes (bytes or sectors, docs/format.md#locator-data-space)', () => {
  it.each([
    [4096, 84, 4096, 'Windows: bytes'],
    [65536, 32, 65536, 'Windows W2ru: bytes'],
    [1, 84, 512, 'xen-orchestra: 1 sector'],
    [2, 600, 1024, 'sectors, two of them'],
    [100, 84, 100, 'a small value that holds the data is bytes'],
    [512, 84, 512, '512 is always bytes'],
    [0, 0, 0, 'empty'],
  ])('space %d with %d bytes of data → %d (%s)', (space, length, expected) => {
    expect(locatorDataSpaceBytes(entry(space, length))).toBe(expected);
  });
});

describe('isUnusedLocator', () => {
  it('an all-zero entry is unused; any platform code makes it used', () => {
    expect(isUnusedLocator(emptyLocatorEntry())).toBe(true);
    expect(isUnusedLocator(entry(0, 0))).toBe(false);
  });
});

describe('locator paths', () => {
  it('W2ku/W2ru are UTF-16LE without terminator', () => {
    const bytes = encodeLocatorPath('W2ru', '.\\p.vhd');
    expect([...bytes.subarray(0, 4)]).toEqual([0x2e, 0, 0x5c, 0]);
    expect(bytes).toHaveLength(14);
    expect(decodeLocatorPath('W2ru', bytes)).toBe('.\\p.vhd');
  });

  it('non-ASCII Windows paths round-trip (UTF-16, surrogate pairs included)', () => {
    const path = 'D:\\Données\\диск\\😀.vhd';
    expect(decodeLocatorPath('W2ku', encodeLocatorPath('W2ku', path))).toBe(path);
  });

  it('trailing NULs written by some tools are dropped', () => {
    const bytes = new Uint8Array([...encodeLocatorPath('W2ku', 'C:\\a.vhd'), 0, 0, 0, 0]);
    expect(decodeLocatorPath('W2ku', bytes)).toBe('C:\\a.vhd');
    expect(decodeLocatorPath('Wi2k', new Uint8Array([0x43, 0x3a, 0x5c, 0x61, 0, 0]))).toBe('C:\\a');
  });

  it('Wi2k/Wi2r are 8-bit text; characters beyond latin1 are refused', () => {
    expect([...encodeLocatorPath('Wi2r', '.\\é.vhd')]).toEqual([0x2e, 0x5c, 0xe9, 0x2e, 0x76, 0x68, 0x64]);
    expect(decodeLocatorPath('Wi2r', encodeLocatorPath('Wi2r', '.\\é.vhd'))).toBe('.\\é.vhd');
    expect(() => encodeLocatorPath('Wi2k', 'C:\\диск.vhd')).toThrow(expect.objectContaining({ code: 'BAD_LOCATOR' }));
  });

  it('MacX is a UTF-8 file URL; decoding gives the POSIX path', () => {
    const bytes = encodeLocatorPath('MacX', '/Users/me/My Disks/p%1.vhd');
    expect(new TextDecoder().decode(bytes)).toBe('file://localhost/Users/me/My%20Disks/p%251.vhd');
    expect(decodeLocatorPath('MacX', bytes)).toBe('/Users/me/My Disks/p%1.vhd');
    expect(decodeLocatorPath('MacX', new TextEncoder().encode('file:///Volumes/x/p.vhd'))).toBe('/Volumes/x/p.vhd');
    expect(decodeLocatorPath('MacX', new TextEncoder().encode('file://localhost/bad%zz.vhd'))).toBe('/bad%zz.vhd');
    expect(() => encodeLocatorPath('MacX', 'relative/p.vhd')).toThrow(expect.objectContaining({ code: 'BAD_LOCATOR' }));
    expect(() => encodeLocatorPath('MacX', '/\ud800.vhd')).toThrow(expect.objectContaining({ code: 'BAD_LOCATOR' }));
  });

  it('unknown codes (including Mac aliases) decode to undefined', () => {
    expect(decodeLocatorPath('Mac ', new Uint8Array([1, 2, 3]))).toBeUndefined();
    expect(decodeLocatorPath('\0\0\0\0', new Uint8Array(0))).toBeUndefined();
  });
});
