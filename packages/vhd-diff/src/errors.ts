/**
 * The one error type vhd-diff throws. `code` is stable (the facade maps it to an HRESULT in one table);
 * `path` names the file concerned; `cause` keeps the underlying Node or format error (Node's errno stays on `cause.code`).
 */
export type VhdIoErrorCode =
  | 'IO'
  | 'ABORTED'
  | 'ALREADY_EXISTS'
  | 'NOT_A_VHD'
  | 'UNSUPPORTED'
  | 'SIZE_TOO_LARGE'
  | 'SIZE_TOO_SMALL'
  | 'PARENT_NOT_FOUND'
  | 'PARENT_MISMATCH'
  | 'PARENT_TIMESTAMP_MISMATCH'
  | 'CHAIN_LOOP'
  | 'CHAIN_TOO_DEEP'
  | 'READ_ONLY'
  | 'OUT_OF_RANGE'
  | 'CORRUPT';

/**
 * The facts an English message quotes, for callers that word failures themselves (vpc-api localizes them).
 * `reason` tells apart the failures that share a code (e.g. 'not-differencing' among the UNSUPPORTED ones).
 */
export interface VhdIoErrorParams {
  readonly reason: string;
  readonly [fact: string]: string | number;
}

/** What a VhdIoError carries besides its code and message. */
export interface VhdIoErrorOptions {
  path?: string;
  cause?: unknown;
  params?: VhdIoErrorParams;
}

/** Every failure of this package: a stable `code`, the `path` concerned and the underlying error as `cause`. */
export class VhdIoError extends Error {
  readonly code: VhdIoErrorCode;
  readonly path?: string;
  /** Present where the thrower recorded them; the message stays the English rendering. */
  readonly params?: VhdIoErrorParams;

  constructor(code: VhdIoErrorCode, message: string, options: VhdIoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VhdIoError';
    this.code = code;
    if (options.path !== undefined) this.path = options.path;
    if (options.params !== undefined) this.params = options.params;
  }
}

/** A Node fs error: has a string errno code such as 'ENOENT'. */
export function isErrnoError(error: unknown): error is NodeJS.ErrnoException & { code: string } {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}

/**
 * Wraps a failure from `fs` as VhdIoError 'IO' (cause = the Node error, so `cause.code` is the errno).
 * VhdIoErrors pass through unchanged, so wrapping at several levels is harmless.
 */
export function toVhdIoError(error: unknown, action: string, path: string): VhdIoError {
  if (error instanceof VhdIoError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new VhdIoError('IO', `${action} ${path} failed: ${detail}`, { path, cause: error });
}

/** The error thrown when an AbortSignal fires; the signal's reason is kept as the cause. */
export function abortedError(signal: AbortSignal, path: string): VhdIoError {
  return new VhdIoError('ABORTED', `operation on ${path} was cancelled`, { path, cause: signal.reason });
}

export function throwIfAborted(signal: AbortSignal | undefined, path: string): void {
  if (signal?.aborted) throw abortedError(signal, path);
}
