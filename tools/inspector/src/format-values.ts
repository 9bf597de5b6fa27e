/** Values as people read them: sizes in KiB…TiB with the exact byte count, hex codes, dates. */
import { dateFromVhdTimestamp } from '@vhdkit/vhd-format';

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

const GIB_UNIT = 3;

/**
 * `2040 GiB`, `3.5 MiB`, `512 bytes`: binary units, at most two decimals, trailing zeros dropped. Disk sizes stay
 * in GiB below 10 TiB: the VHD limit is known as 2040 GiB, not 1.99 TiB.
 */
export function humanBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1 && (unit < GIB_UNIT || value >= 10 * 1024)) {
    value /= 1024;
    unit++;
  }
  const text = unit === 0 ? String(value) : String(Number(value.toFixed(2)));
  return `${text} ${UNITS[unit]}`;
}

/** `4,194,304 bytes (4 MiB)`. */
export function bytesWithHuman(bytes: number): string {
  const exact = `${bytes.toLocaleString('en-US')} bytes`;
  return bytes < 1024 ? exact : `${exact} (${humanBytes(bytes)})`;
}

export function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

/** A four-character code, quoted, with unprintable characters as \xNN escapes ('tap\0' → 'tap\x00'). */
export function fourCc(text: string): string {
  const shown = [...text].map((char) => {
    const code = char.charCodeAt(0);
    return code < 0x20 || (code >= 0x7f && code <= 0xa0) ? `\\x${code.toString(16).padStart(2, '0')}` : char;
  });
  return `'${shown.join('')}'`;
}

/** VHD seconds as an ISO date, with the raw number. */
export function vhdTime(seconds: number): string {
  if (seconds === 0) return '0 (not recorded)';
  return `${seconds} (${dateFromVhdTimestamp(seconds).toISOString().replace('.000Z', 'Z')})`;
}

/** `major.minor` of a 0xMMMMmmmm version field, with the raw value. */
export function version(value: number): string {
  return `${value >>> 16}.${value & 0xffff} (${hex32(value)})`;
}

export function milliseconds(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}
