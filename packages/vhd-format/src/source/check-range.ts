import { VhdFormatError } from '../errors.js';

/** Refuses a read the RandomAccessSource contract does not allow (negative, fractional or past the end). */
export function checkReadRange(name: string, size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new VhdFormatError('SHORT_READ', offset, `${name}: cannot read ${length} bytes at offset ${offset} of a ${size}-byte source`);
  }
}

/** Rejects with the signal's reason when it has fired (sources and readers check between reads). */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new DOMException('The read was aborted', 'AbortError');
}
