/** Typed failures of a RandomAccessSource (as VhdFormatError is for bad bytes): a stable code, the source, and where. */

export type VhdSourceErrorCode =
  /** The server does not honour `Range` requests (it answered 200 with the whole file, or no usable Content-Range). */
  | 'RANGES_UNSUPPORTED'
  /** The resource is no longer the one opened: its ETag/Last-Modified or size changed, or a precondition failed. */
  | 'SOURCE_CHANGED'
  /** The server answered with an error status (`status` holds it). */
  | 'HTTP_STATUS'
  /** The request failed below HTTP (connection refused or dropped), after the allowed retries. */
  | 'NETWORK'
  /** Fewer bytes arrived than the range asked for. */
  | 'SHORT_READ'
  /** A response that contradicts the request: another range, more bytes than asked, an encoded body. */
  | 'BAD_RESPONSE'
  /** `offset`/`length` outside the source, or not non-negative safe integers. */
  | 'OUT_OF_RANGE'
  /** The caller's AbortSignal fired (`cause` holds its reason). */
  | 'ABORTED'
  /** A read after `close()`. */
  | 'CLOSED'
  /** The location given to open is not a usable absolute http(s) URL. */
  | 'BAD_URL';

export interface VhdSourceErrorDetails {
  /** The byte offset of the read that failed, when a read failed. */
  offset?: number;
  /** The HTTP status, when there was a response. */
  status?: number;
  cause?: unknown;
}

export class VhdSourceError extends Error {
  readonly code: VhdSourceErrorCode;
  /** The source's name: a URL or a path. */
  readonly source: string;
  readonly offset: number | undefined;
  readonly status: number | undefined;

  constructor(code: VhdSourceErrorCode, source: string, message: string, details: VhdSourceErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'VhdSourceError';
    this.code = code;
    this.source = source;
    this.offset = details.offset;
    this.status = details.status;
  }
}
