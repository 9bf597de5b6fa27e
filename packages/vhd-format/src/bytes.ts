/** Small byte helpers shared by the codecs (no Node Buffer: this package runs in browsers). */

export function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

export function isPowerOfTwo(value: number): boolean {
  return Number.isInteger(value) && value > 0 && 2 ** Math.round(Math.log2(value)) === value;
}

/** A plain Uint8Array copy (binary-parser hands out Node Buffers in Node; callers expect Uint8Array). */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** Each byte becomes one char code 0–255; exact and reversible (TextDecoder('latin1') is windows-1252). */
export function decodeLatin1(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}

/** Returns undefined when a character does not fit in one byte. */
export function encodeLatin1(text: string): Uint8Array | undefined {
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code > 0xff) return undefined;
    bytes[index] = code;
  }
  return bytes;
}

/** UTF-16 code units as stored, kept as they are (lone surrogates survive, so round trips are exact). */
export function decodeUtf16(bytes: Uint8Array, littleEndian: boolean): string {
  const units = Math.floor(bytes.length / 2);
  let text = '';
  for (let index = 0; index < units; index++) {
    const first = bytes[2 * index];
    const second = bytes[2 * index + 1];
    text += String.fromCharCode(littleEndian ? first | (second << 8) : (first << 8) | second);
  }
  return text;
}

export function encodeUtf16(text: string, littleEndian: boolean): Uint8Array {
  const bytes = new Uint8Array(text.length * 2);
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    bytes[2 * index] = littleEndian ? unit & 0xff : unit >>> 8;
    bytes[2 * index + 1] = littleEndian ? unit >>> 8 : unit & 0xff;
  }
  return bytes;
}

export function stripTrailingNuls(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0) end--;
  return text.slice(0, end);
}

/** A u64 as a JS number when it is exactly representable, else undefined. */
export function safeNumberFromU64(value: bigint): number | undefined {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
}

export function isSafeNonNegativeInteger(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}
