import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batByteSize, decodeBat, decodeBatInPlace, encodeBat, MAX_TABLE_ENTRIES, UNUSED_BAT_ENTRY } from '../src/index.js';

describe('BAT', () => {
  it('entries are big-endian sector numbers; unused entries are 0xFFFFFFFF', () => {
    const bytes = new Uint8Array([0, 0, 0, 0x9f, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02, 0x03, 0x04]);
    expect([...decodeBat(bytes, 3)]).toEqual([159, UNUSED_BAT_ENTRY, 0x01020304]);
  });

  it('decodes from a view at an odd offset', () => {
    const buffer = new Uint8Array(9);
    buffer.set([0, 0, 0, 1, 0, 0, 0, 2], 1);
    expect([...decodeBat(buffer.subarray(1), 2)]).toEqual([1, 2]);
  });

  it('pads with 0xFF up to a sector by default, or to the given size', () => {
    const table = Uint32Array.of(4, UNUSED_BAT_ENTRY);
    const bytes = encodeBat(table);
    expect(bytes).toHaveLength(512);
    expect([...bytes.subarray(0, 8)]).toEqual([0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff]);
    expect(bytes.subarray(8).every((byte) => byte === 0xff)).toBe(true);
    expect(encodeBat(table, 4096)).toHaveLength(4096);
    expect(encodeBat(table, 8)).toHaveLength(8);
  });

  it('refuses a byte length too small for the table', () => {
    expect(() => encodeBat(new Uint32Array(3), 8)).toThrow(expect.objectContaining({ code: 'TABLE_OUT_OF_RANGE' }));
  });

  it('TRUNCATED when the bytes hold fewer entries than asked', () => {
    expect(() => decodeBat(new Uint8Array(7), 2)).toThrow(expect.objectContaining({ code: 'TRUNCATED', offset: 7 }));
  });

  it('refuses hostile entry counts before allocating', () => {
    expect(() => decodeBat(new Uint8Array(8), 0xffffffff)).toThrow(expect.objectContaining({ code: 'TABLE_OUT_OF_RANGE' }));
    expect(() => decodeBat(new Uint8Array(8), MAX_TABLE_ENTRIES + 1)).toThrow(expect.objectContaining({ code: 'TABLE_OUT_OF_RANGE' }));
    expect(() => decodeBat(new Uint8Array(8), -1)).toThrow(expect.objectContaining({ code: 'TABLE_OUT_OF_RANGE' }));
  });

  it('round-trips the 2040 GiB table', () => {
    const entries = 1_044_480;
    const table = new Uint32Array(entries).fill(UNUSED_BAT_ENTRY);
    for (let index = 0; index < entries; index += 3) table[index] = 3 + index * 4097;
    const bytes = encodeBat(table);
    expect(bytes.length).toBe(batByteSize(entries));
    expect([...bytes.subarray(12, 16)]).toEqual([0, 0, 0x30, 0x06]);
    const decoded = decodeBat(bytes, entries);
    // Compare the raw memory: deep equality over a million elements is needlessly slow.
    expect(Buffer.compare(Buffer.from(decoded.buffer), Buffer.from(table.buffer))).toBe(0);
    expect(decoded[3]).toBe(3 + 3 * 4097);
  });

  it('decodes in place a table read straight into its own memory, as decodeBat does from bytes', () => {
    const stored = new Uint8Array([0, 0, 0, 159, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 0x80, 0, 0, 1]);
    const table = new Uint32Array(4);
    new Uint8Array(table.buffer).set(stored);
    expect(decodeBatInPlace(table)).toBe(table);
    expect([...table]).toEqual([159, UNUSED_BAT_ENTRY, 0x01020304, 0x80000001]);
    expect([...table]).toEqual([...decodeBat(stored, 4)]);
  });

  it('hands the swap to a given swapWords, once, on the table itself', () => {
    const stored = new Uint8Array([0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02, 0x03, 0x04]);
    const table = new Uint32Array(3);
    new Uint8Array(table.buffer).set(stored);
    const calls: Uint32Array[] = [];
    const swapWithDataView = (words: Uint32Array): void => {
      calls.push(words);
      const view = new DataView(words.buffer, words.byteOffset, words.byteLength);
      for (let index = 0; index < words.length; index++) view.setUint32(index * 4, view.getUint32(index * 4), true);
    };
    expect(decodeBatInPlace(table, swapWithDataView)).toBe(table);
    expect(calls).toEqual([table]);
    expect([...table]).toEqual([...decodeBat(stored, 3)]);
  });

  it('decodes in place exactly like decodeBat for any bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }).map((bytes) => bytes.subarray(0, bytes.length - (bytes.length % 4))), (bytes) => {
        const table = new Uint32Array(bytes.length / 4);
        new Uint8Array(table.buffer).set(bytes);
        expect([...decodeBatInPlace(table)]).toEqual([...decodeBat(bytes, bytes.length / 4)]);
      }),
    );
  });
});
