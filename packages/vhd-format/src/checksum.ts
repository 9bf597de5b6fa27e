import { DYNAMIC_HEADER_SIZE, FOOTER_SIZE } from './constants.js';
import { DYNAMIC_HEADER_FIELDS, FOOTER_FIELDS } from './field-tables.js';

const FOOTER_CHECKSUM_OFFSET = FOOTER_FIELDS.checksum.offset;
const HEADER_CHECKSUM_OFFSET = DYNAMIC_HEADER_FIELDS.checksum.offset;

/** One's complement of the byte sum, the 4-byte checksum field counted as zero (docs/format.md#checksum). */
export function computeChecksum(bytes: Uint8Array, checksumOffset: number): number {
  let sum = 0;
  for (let index = 0; index < bytes.length; index++) {
    if (index >= checksumOffset && index < checksumOffset + 4) continue;
    sum += bytes[index];
  }
  return ~sum >>> 0;
}

function storedChecksum(bytes: Uint8Array, checksumOffset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(checksumOffset);
}

/** Whether the first 512 (or, for an old image, 511) bytes hold a footer with a matching checksum. */
export function footerChecksumValid(bytes: Uint8Array): boolean {
  if (bytes.length < FOOTER_SIZE - 1) return false;
  // A 511-byte footer lacks its last reserved byte, which counts as zero.
  const footer = bytes.length >= FOOTER_SIZE ? bytes.subarray(0, FOOTER_SIZE) : padded(bytes, FOOTER_SIZE);
  return computeChecksum(footer, FOOTER_CHECKSUM_OFFSET) === storedChecksum(footer, FOOTER_CHECKSUM_OFFSET);
}

/** True when the first 1024 bytes hold a dynamic header whose stored checksum is right. */
export function headerChecksumValid(bytes: Uint8Array): boolean {
  if (bytes.length < DYNAMIC_HEADER_SIZE) return false;
  const header = bytes.subarray(0, DYNAMIC_HEADER_SIZE);
  return computeChecksum(header, HEADER_CHECKSUM_OFFSET) === storedChecksum(header, HEADER_CHECKSUM_OFFSET);
}

function padded(bytes: Uint8Array, size: number): Uint8Array {
  const copy = new Uint8Array(size);
  copy.set(bytes.subarray(0, size));
  return copy;
}
