import { describe, expect, it } from 'vitest';
import { isAllZero } from '../src/file-io.js';

/** The check a reader would write first: every byte, one at a time. */
function everyByteZero(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte === 0);
}

describe('isAllZero', () => {
  // Lengths around the short-check cut-off and the comparison stride, and a whole 2 MiB block.
  const lengths = [0, 1, 7, 8, 9, 63, 64, 65, 72, 4095, 4096, 2 * 1024 * 1024];

  it.each(lengths)('agrees with a byte loop for a single non-zero byte at each edge, length %i', (length) => {
    const bytes = new Uint8Array(length);
    expect(isAllZero(bytes)).toBe(true);
    const positions = new Set([0, 7, 8, 63, 64, 65, length - 9, length - 8, length - 1, length >> 1].filter((index) => index >= 0 && index < length));
    for (const index of positions) {
      bytes[index] = 0x80;
      expect(isAllZero(bytes), `non-zero byte at ${index}`).toBe(false);
      bytes[index] = 0;
    }
  });

  it('looks only at the view it is given (odd offsets into a larger buffer)', () => {
    const backing = new Uint8Array(10_000).fill(1);
    backing.fill(0, 3, 3 + 5_000);
    expect(isAllZero(backing.subarray(3, 3 + 5_000))).toBe(true);
    expect(isAllZero(backing.subarray(2, 3 + 5_000))).toBe(false);
    expect(isAllZero(backing.subarray(3, 4 + 5_000))).toBe(false);
  });

  it('agrees with a byte loop on random sparse buffers', () => {
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let round = 0; round < 200; round++) {
      const bytes = new Uint8Array(Math.floor(random() * 3000));
      const setBytes = Math.floor(random() * 3);
      for (let count = 0; count < setBytes && bytes.length > 0; count++) bytes[Math.floor(random() * bytes.length)] = 1 + Math.floor(random() * 255);
      expect(isAllZero(bytes)).toBe(everyByteZero(bytes));
    }
  });
});
