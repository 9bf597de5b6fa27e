import { describe, expect, it } from 'vitest';
import { randomUniqueId, uniqueIdFromString, uniqueIdsEqual, uniqueIdToString } from '../src/index.js';

describe('unique ids', () => {
  it('text is the stored bytes in order (what libvhdi prints), not the Windows GUID order', () => {
    const bytes = Uint8Array.of(0x55, 0x1a, 0xa2, 0x5f, 0x94, 0xf3, 0x4d, 0xaa, 0x99, 0x58, 0x19, 0x51, 0xa6, 0x7d, 0x55, 0x40);
    expect(uniqueIdToString(bytes)).toBe('551aa25f-94f3-4daa-9958-1951a67d5540');
    expect(uniqueIdFromString('551aa25f-94f3-4daa-9958-1951a67d5540')).toEqual(bytes);
  });

  it('parsing accepts upper case, braces and missing dashes; rejects anything else', () => {
    const expected = uniqueIdFromString('00112233-4455-6677-8899-aabbccddeeff');
    expect(uniqueIdFromString('{00112233-4455-6677-8899-AABBCCDDEEFF}')).toEqual(expected);
    expect(uniqueIdFromString('00112233445566778899aabbccddeeff')).toEqual(expected);
    expect(() => uniqueIdFromString('0011223-4455-6677-8899-aabbccddeeff')).toThrow(TypeError);
    expect(() => uniqueIdFromString('g0112233-4455-6677-8899-aabbccddeeff')).toThrow(TypeError);
  });

  it('random ids are version 4 / RFC 4122 variant and differ', () => {
    const a = randomUniqueId();
    const b = randomUniqueId();
    expect(a).toHaveLength(16);
    expect(a[6]! >> 4).toBe(4);
    expect(a[8]! >> 6).toBe(2);
    expect(uniqueIdsEqual(a, b)).toBe(false);
    expect(uniqueIdToString(a)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('uniqueIdsEqual compares bytes', () => {
    expect(uniqueIdsEqual(new Uint8Array(16), new Uint8Array(16))).toBe(true);
    expect(uniqueIdsEqual(new Uint8Array(16), Uint8Array.of(...new Uint8Array(15), 1))).toBe(false);
    expect(uniqueIdsEqual(new Uint8Array(16), new Uint8Array(15))).toBe(false);
  });

  it('toString refuses a wrong length', () => {
    expect(() => uniqueIdToString(new Uint8Array(15))).toThrow(RangeError);
  });
});
