import { open, readdir, readFile, stat } from 'node:fs/promises';
import { sha256File } from '@vhdkit/test-support';

/**
 * Test-only helpers shared by the create/metadata/interop tests. The byte readers here use literal offsets from
 * the specification, independently of vhd-format's field tables, so the two can check each other.
 */

/** Footer fields read straight from 512 bytes at literal offsets (docs/format.md#footer). */
export function rawFooter(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const latin1 = (offset: number, length: number) => String.fromCharCode(...bytes.subarray(offset, offset + length));
  return {
    cookie: latin1(0, 8),
    features: view.getUint32(8),
    formatVersion: view.getUint32(12),
    dataOffset: view.getBigUint64(16),
    timestamp: view.getUint32(24),
    creatorApplication: latin1(28, 4),
    creatorVersion: view.getUint32(32),
    creatorHostOs: latin1(36, 4),
    originalSize: Number(view.getBigUint64(40)),
    currentSize: Number(view.getBigUint64(48)),
    cylinders: view.getUint16(56),
    heads: view.getUint8(58),
    sectorsPerTrack: view.getUint8(59),
    diskType: view.getUint32(60),
    checksum: view.getUint32(64),
    uniqueId: bytes.slice(68, 84),
    savedState: view.getUint8(84),
    reservedAllZero: bytes.subarray(85, 512).every((byte) => byte === 0),
    checksumValid: onesComplementSum(bytes, 64) === view.getUint32(64),
  };
}

/** Dynamic header fields at literal offsets (docs/format.md#dynamic-header, #parent-locators). */
export function rawHeader(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const latin1 = (offset: number, length: number) => String.fromCharCode(...bytes.subarray(offset, offset + length));
  let name = '';
  for (let offset = 64; offset < 576; offset += 2) {
    const unit = view.getUint16(offset); // big-endian UTF-16
    if (unit === 0) break;
    name += String.fromCharCode(unit);
  }
  const locators = [];
  for (let index = 0; index < 8; index++) {
    const at = 576 + index * 24;
    locators.push({
      platformCode: latin1(at, 4),
      dataSpace: view.getUint32(at + 4),
      dataLength: view.getUint32(at + 8),
      reserved: view.getUint32(at + 12),
      dataOffset: Number(view.getBigUint64(at + 16)),
    });
  }
  return {
    cookie: latin1(0, 8),
    dataOffset: view.getBigUint64(8),
    tableOffset: Number(view.getBigUint64(16)),
    headerVersion: view.getUint32(24),
    maxTableEntries: view.getUint32(28),
    blockSize: view.getUint32(32),
    checksum: view.getUint32(36),
    parentUniqueId: bytes.slice(40, 56),
    parentTimestamp: view.getUint32(56),
    reserved1: view.getUint32(60),
    parentUnicodeName: name,
    locators,
    reserved2AllZero: bytes.subarray(768, 1024).every((byte) => byte === 0),
    checksumValid: onesComplementSum(bytes, 36) === view.getUint32(36),
  };
}

function onesComplementSum(bytes: Uint8Array, checksumOffset: number): number {
  let sum = 0;
  bytes.forEach((byte, index) => {
    if (index < checksumOffset || index >= checksumOffset + 4) sum += byte;
  });
  return ~sum >>> 0;
}

export function utf16le(bytes: Uint8Array): string {
  return new TextDecoder('utf-16le').decode(bytes);
}

/** Seconds since 2000-01-01 UTC, floored, from a JS date. */
export function vhdSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000) - 946_684_800;
}

export async function readBytes(path: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path));
}

/** What must not change about a parent: its bytes and its times. */
export async function fingerprint(path: string) {
  const stats = await stat(path);
  return { sha256: await sha256File(path), size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs };
}

/** Files in a folder other than the expected ones (stray temporary files show up here). */
export async function listFolder(folder: string): Promise<string[]> {
  const names = await readdir(folder);
  names.sort();
  return names;
}

/** The last `length` bytes of a file, without reading the rest (parents can be large). */
export async function readTail(path: string, length: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const bytes = new Uint8Array(length);
    await handle.read(bytes, 0, length, size - length);
    return bytes;
  } finally {
    await handle.close();
  }
}
