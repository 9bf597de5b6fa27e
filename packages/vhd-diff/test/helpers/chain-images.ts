import { open, readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';

/**
 * Test-only readers and patchers for VHD files, at literal offsets from the specification
 * (docs/format.md#footer, #dynamic-header, #bat-and-blocks) — independent of the code under test so the two check each other.
 */

export const KiB = 1024;
export const MiB = 1024 * 1024;
export const SECTOR = 512;

export interface RawLayout {
  fileSize: number;
  headerOffset: number;
  tableOffset: number;
  maxTableEntries: number;
  blockSize: number;
  bitmapBytes: number;
  bat: number[];
  locators: { code: string; space: number; length: number; offset: number }[];
}

export async function rawLayout(path: string): Promise<RawLayout> {
  const bytes = await readFile(path);
  const footer = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 512, 512);
  const headerOffset = Number(footer.getBigUint64(16));
  const header = new DataView(bytes.buffer, bytes.byteOffset + headerOffset, 1024);
  const tableOffset = Number(header.getBigUint64(16));
  const maxTableEntries = header.getUint32(28);
  const blockSize = header.getUint32(32);
  const bat: number[] = [];
  const table = new DataView(bytes.buffer, bytes.byteOffset + tableOffset, maxTableEntries * 4);
  for (let index = 0; index < maxTableEntries; index++) bat.push(table.getUint32(index * 4));
  const locators = [];
  for (let index = 0; index < 8; index++) {
    const at = 576 + index * 24;
    const code = String.fromCharCode(...bytes.subarray(headerOffset + at, headerOffset + at + 4));
    if (header.getUint32(at + 8) === 0 && header.getUint32(at) === 0) continue;
    locators.push({ code, space: header.getUint32(at + 4), length: header.getUint32(at + 8), offset: Number(header.getBigUint64(at + 16)) });
  }
  return { fileSize: bytes.length, headerOffset, tableOffset, maxTableEntries, blockSize, bitmapBytes: Math.ceil(blockSize / SECTOR / 8 / 512) * 512, bat, locators };
}

/** The raw sector bitmap of an allocated block. */
export async function rawBitmap(path: string, layout: RawLayout, blockIndex: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const bitmap = new Uint8Array(layout.bitmapBytes);
    await handle.read(bitmap, 0, bitmap.length, layout.bat[blockIndex]! * SECTOR);
    return bitmap;
  } finally {
    await handle.close();
  }
}

/** Bit 0x80 of byte 0 is the block's sector 0 (docs/format.md#sector-bitmaps). */
export function bitIsSet(bitmap: Uint8Array, sector: number): boolean {
  return (bitmap[sector >> 3]! & (0x80 >> (sector & 7))) !== 0;
}

function onesComplementChecksum(bytes: Uint8Array, checksumOffset: number): number {
  let sum = 0;
  for (let index = 0; index < bytes.length; index++) {
    if (index >= checksumOffset && index < checksumOffset + 4) continue;
    sum = (sum + bytes[index]!) >>> 0;
  }
  return ~sum >>> 0;
}

/** Edits the dynamic header in place (through a DataView over its 1024 bytes) and fixes its checksum. */
export async function patchHeader(path: string, edit: (header: DataView, bytes: Uint8Array) => void): Promise<void> {
  const bytes = await readFile(path);
  const footer = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 512, 512);
  const headerOffset = Number(footer.getBigUint64(16));
  const header = bytes.subarray(headerOffset, headerOffset + 1024);
  edit(new DataView(header.buffer, header.byteOffset, 1024), header);
  new DataView(header.buffer, header.byteOffset, 1024).setUint32(36, onesComplementChecksum(header, 36));
  await writeFile(path, bytes);
}

/** The unique id stored in the trailing footer. */
export async function footerUniqueId(path: string): Promise<Uint8Array> {
  const bytes = await readFile(path);
  return bytes.slice(bytes.length - 512 + 68, bytes.length - 512 + 84);
}

/**
 * Makes `child` name `newParent` as its parent by header alone: its unique id, no recorded time, no locators, and
 * the parent name set to newParent's file name (found beside the child). With a child of `child` as newParent this
 * makes a loop.
 */
export async function pointParentAt(child: string, newParent: string): Promise<void> {
  const parentId = await footerUniqueId(newParent);
  const name = basename(newParent);
  await patchHeader(child, (header, bytes) => {
    bytes.set(parentId, 40);
    header.setUint32(56, 0);
    bytes.fill(0, 64, 768);
    for (let index = 0; index < name.length; index++) header.setUint16(64 + index * 2, name.charCodeAt(index));
  });
}

/** Deterministic, non-zero-ish test bytes (so misplaced sectors show). */
export function patternBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let index = 0; index < length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

/** A sorted copy (strings by code unit, numbers numerically). */
export function sorted<T extends string | number>(items: readonly T[]): T[] {
  const copy = [...items];
  copy.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return copy;
}
