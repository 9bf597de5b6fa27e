/** The block allocation table: big-endian u32 sector numbers, 0xFFFFFFFF = unallocated (docs/format.md#bat-and-blocks). */
import { roundUp } from './bytes.js';
import { MAX_TABLE_ENTRIES, SECTOR_SIZE } from './constants.js';
import { VhdFormatError } from './errors.js';

const ENTRY_BYTES = 4;

/** Bytes the table occupies: 4 × entries, rounded up to `alignment` (512 by default; Windows uses 4096). */
export function batByteSize(maxTableEntries: number, alignment: number = SECTOR_SIZE): number {
  return roundUp(maxTableEntries * ENTRY_BYTES, alignment);
}

function checkEntryCount(maxTableEntries: number): void {
  if (!Number.isInteger(maxTableEntries) || maxTableEntries < 0 || maxTableEntries > MAX_TABLE_ENTRIES) {
    throw new VhdFormatError('TABLE_OUT_OF_RANGE', 0, `${maxTableEntries} table entries are outside 0..${MAX_TABLE_ENTRIES}`);
  }
}

/** Reads `maxTableEntries` entries. A plain DataView loop: binary-parser is far too slow for a million entries. */
export function decodeBat(bytes: Uint8Array, maxTableEntries: number): Uint32Array {
  checkEntryCount(maxTableEntries);
  const needed = maxTableEntries * ENTRY_BYTES;
  if (bytes.length < needed) {
    throw new VhdFormatError('TRUNCATED', bytes.length, `a table of ${maxTableEntries} entries needs ${needed} bytes, got ${bytes.length}`);
  }
  const table = new Uint32Array(maxTableEntries);
  decodeBatInto(bytes, table, 0);
  return table;
}

/**
 * Decodes whole entries from `bytes` into `table` starting at `firstEntry` (the streaming parser fills
 * the table piece by piece, so it never holds the BAT twice). Returns the number of entries written.
 */
export function decodeBatInto(bytes: Uint8Array, table: Uint32Array, firstEntry: number): number {
  const count = Math.min(Math.floor(bytes.length / ENTRY_BYTES), table.length - firstEntry);
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * ENTRY_BYTES);
  for (let index = 0; index < count; index++) table[firstEntry + index] = view.getUint32(index * ENTRY_BYTES);
  return count;
}

/** Whether this machine stores a Uint32Array's words little-endian (every Node.js platform does). */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Reverses the byte order of every 32-bit word of `words` in place: a host's native swap (Node's `Buffer#swap32`),
 * handed in by the caller, since this package uses nothing of Node. A million entries decoded once per process,
 * before any JIT has warmed up, cost the loop ~20 ms (a `vpc create-diff` on a 2040 GiB parent); the native swap ~1.
 */
export type SwapWords = (words: Uint32Array) => void;

/**
 * Decodes a table whose stored (big-endian) bytes were read straight into `table`'s own memory, in place, and
 * returns it. A reader that fills the Uint32Array itself then holds the table once (4 MiB for a 2040 GiB disk)
 * instead of the bytes plus a decoded copy: on machines where first-touch page faults are costly, that is most
 * of the cost of opening a large image. `swapWords`, when given, does the byte swap (on little-endian hosts only).
 */
export function decodeBatInPlace(table: Uint32Array, swapWords?: SwapWords): Uint32Array {
  checkEntryCount(table.length);
  if (!HOST_IS_LITTLE_ENDIAN) return table;
  if (swapWords) {
    swapWords(table);
    return table;
  }
  for (let index = 0; index < table.length; index++) {
    const word = table[index]!;
    table[index] = (((word & 0xff) << 24) | ((word & 0xff00) << 8) | ((word >>> 8) & 0xff00) | (word >>> 24)) >>> 0;
  }
  return table;
}

/** The table's bytes, padded with 0xFF (as Windows pads) up to `byteLength` (default: batByteSize of the table). */
export function encodeBat(table: Uint32Array, byteLength: number = batByteSize(table.length)): Uint8Array {
  const needed = table.length * ENTRY_BYTES;
  if (!Number.isInteger(byteLength) || byteLength < needed) {
    throw new VhdFormatError('TABLE_OUT_OF_RANGE', 0, `a table of ${table.length} entries needs ${needed} bytes, not ${byteLength}`);
  }
  const bytes = new Uint8Array(byteLength);
  bytes.fill(0xff, needed);
  const view = new DataView(bytes.buffer);
  for (let index = 0; index < table.length; index++) view.setUint32(index * ENTRY_BYTES, table[index]);
  return bytes;
}
