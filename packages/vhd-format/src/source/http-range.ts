/** The HTTP pieces of ranged reading (RFC 9110 §13-14): Content-Range parsing and the validator pinned at open. */
import type { HttpHeaderLookup } from './http-transport.js';

/** A parsed `Content-Range: bytes first-last/complete` (or `bytes *\/complete` on a 416). */
export interface ContentRange {
  /** undefined for the unsatisfied form `bytes *\/complete`. */
  first?: number;
  last?: number;
  /** undefined when the server wrote `*` (length unknown). */
  completeLength?: number;
}

const CONTENT_RANGE = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i;

function safeInteger(digits: string | undefined): number | undefined {
  if (digits === undefined) return undefined;
  const value = Number(digits);
  return Number.isSafeInteger(value) ? value : Number.NaN;
}

/** undefined when the header is missing or malformed (a byte count beyond 2^53 counts as malformed). */
export function parseContentRange(header: string | null): ContentRange | undefined {
  if (header === null) return undefined;
  const match = CONTENT_RANGE.exec(header.trim());
  if (!match) return undefined;
  const first = safeInteger(match[1]);
  const last = safeInteger(match[2]);
  const completeLength = match[3] === '*' ? undefined : safeInteger(match[3]);
  if ([first, last, completeLength].some((value) => Number.isNaN(value))) return undefined;
  if (first !== undefined && last !== undefined && last < first) return undefined;
  return { first, last, completeLength };
}

/**
 * What identifies the opened version of the resource. A strong ETag can guard every read with If-Match and
 * If-Range; a weak one cannot (both need strong comparison), so then Last-Modified guards the reads, and the
 * ETag is still compared on every response.
 */
export interface Validator {
  etag?: string;
  lastModified?: string;
}

export function validatorOf(headers: HttpHeaderLookup): Validator {
  return { etag: headers.get('etag') ?? undefined, lastModified: headers.get('last-modified') ?? undefined };
}

function isStrongEtag(etag: string): boolean {
  return !etag.startsWith('W/');
}

/** The conditional headers that make a server refuse (412) or answer whole (200) instead of mixing versions. */
export function conditionalHeaders(pinned: Validator): Record<string, string> {
  if (pinned.etag !== undefined && isStrongEtag(pinned.etag)) return { 'if-match': pinned.etag, 'if-range': pinned.etag };
  if (pinned.lastModified !== undefined) return { 'if-unmodified-since': pinned.lastModified, 'if-range': pinned.lastModified };
  return {};
}

/** Whether a response names another version than the pinned one (a missing header is no evidence either way). */
export function validatorDiffers(pinned: Validator, response: Validator): boolean {
  if (pinned.etag !== undefined && response.etag !== undefined) return pinned.etag !== response.etag;
  if (pinned.lastModified !== undefined && response.lastModified !== undefined) return pinned.lastModified !== response.lastModified;
  return false;
}
