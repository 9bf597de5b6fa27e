import { VHD_EPOCH_UNIX_SECONDS } from './constants.js';

const MAX_U32 = 0xffffffff;

/**
 * Seconds since 2000-01-01T00:00:00Z, truncated to whole seconds. Throws RangeError for dates the
 * 32-bit field cannot hold (before 2000 or after 2136): a caller bug, not damaged bytes.
 */
export function vhdTimestampFromDate(date: Date): number {
  const unixMilliseconds = date.getTime();
  if (Number.isNaN(unixMilliseconds)) throw new RangeError('invalid Date');
  const seconds = Math.floor(unixMilliseconds / 1000) - VHD_EPOCH_UNIX_SECONDS;
  if (seconds < 0 || seconds > MAX_U32) throw new RangeError(`${date.toISOString()} is outside the VHD timestamp range (2000–2136)`);
  return seconds;
}

/** The date a VHD timestamp (seconds since 2000-01-01T00:00:00Z) stands for. */
export function dateFromVhdTimestamp(seconds: number): Date {
  return new Date((seconds + VHD_EPOCH_UNIX_SECONDS) * 1000);
}

/**
 * A modification time as the u32 VHD seconds a child records for its parent: clamped (files older than 2000 give
 * 0, as creation writes them), so comparing a recorded time with a file's time never throws.
 */
export function vhdSecondsOfModifiedTime(date: Date): number {
  return Math.min(Math.max(Math.floor(date.getTime() / 1000) - VHD_EPOCH_UNIX_SECONDS, 0), MAX_U32);
}
