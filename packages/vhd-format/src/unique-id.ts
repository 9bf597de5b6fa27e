/**
 * Unique ids are kept as the 16 bytes stored in the file. Their text form is those bytes in stored
 * order as 8-4-4-4-12 lowercase hex — what libvhdi and expected.json print. Windows shows the same id
 * with its first three groups byte-swapped (it reads the bytes as a little-endian GUID).
 */

const UNIQUE_ID_SIZE = 16;
const GROUP_ENDS = [4, 6, 8, 10];
const TEXT_PATTERN = /^\{?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\}?$/i;

export function uniqueIdToString(bytes: Uint8Array): string {
  if (bytes.length !== UNIQUE_ID_SIZE) throw new RangeError(`a unique id has 16 bytes, not ${bytes.length}`);
  let text = '';
  for (let index = 0; index < UNIQUE_ID_SIZE; index++) {
    if (GROUP_ENDS.includes(index)) text += '-';
    text += bytes[index].toString(16).padStart(2, '0');
  }
  return text;
}

/** Parses the stored-order text form (dashes and braces optional). Throws TypeError for other text. */
export function uniqueIdFromString(text: string): Uint8Array {
  const match = TEXT_PATTERN.exec(text.trim());
  if (!match) throw new TypeError(`not a unique id: ${JSON.stringify(text)}`);
  const hex = match.slice(1).join('');
  const bytes = new Uint8Array(UNIQUE_ID_SIZE);
  for (let index = 0; index < UNIQUE_ID_SIZE; index++) bytes[index] = Number.parseInt(hex.slice(2 * index, 2 * index + 2), 16);
  return bytes;
}

/** A random RFC 4122 version 4 id (version and variant bits set on the stored bytes). Uses Web Crypto. */
export function randomUniqueId(): Uint8Array {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(UNIQUE_ID_SIZE));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  return bytes;
}

/** True when two unique ids hold the same bytes. */
export function uniqueIdsEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}
