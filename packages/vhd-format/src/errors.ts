/** Typed format errors and the problem lists of lenient decoding. */

export type VhdFormatErrorCode =
  | 'BAD_COOKIE'
  | 'BAD_CHECKSUM'
  | 'UNSUPPORTED_VERSION'
  | 'BAD_DISK_TYPE'
  | 'TABLE_OUT_OF_RANGE'
  | 'BAD_BLOCK_SIZE'
  | 'TRUNCATED'
  | 'BAD_SIZE'
  | 'BAD_DATA_OFFSET'
  | 'BAD_LOCATOR'
  | 'BAD_GEOMETRY'
  | 'BLOCK_OUT_OF_ORDER'
  | 'NOT_DYNAMIC'
  /** No usable footer at the end of the image nor a usable copy at offset 0 (`cause`: the decoder's error). */
  | 'NO_FOOTER'
  /** The bytes at the dynamic header offset are not a usable header (`cause`: the decoder's error). */
  | 'BAD_HEADER'
  /** A BAT entry places its block (bitmap and data) outside the data area or over metadata. */
  | 'BLOCK_OUT_OF_RANGE'
  /** A source read was refused or came back short (the image changed or shrank under the reader). */
  | 'SHORT_READ'
  /** Chain opening: no candidate location held the parent (VhdChainError). */
  | 'PARENT_NOT_FOUND'
  /** Chain opening: the parent's unique id is not the one the child records. */
  | 'PARENT_MISMATCH'
  /** Chain opening: the parent changed after the child was made (recorded time ≠ parent's modification time). */
  | 'PARENT_TIMESTAMP_MISMATCH'
  /** Chain opening: an image appears twice in its own chain. */
  | 'CHAIN_LOOP'
  /** Chain opening: more images than the depth limit. */
  | 'CHAIN_TOO_DEEP';

/** Options of a VhdFormatError beyond the standard `cause`. */
export interface VhdFormatErrorOptions extends ErrorOptions {
  /** The structure field at fault, as named in the field tables (e.g. 'blockSize', 'tableOffset'). */
  field?: string;
  /** The offending value when it is a number (e.g. a size above the limit), for callers that word the refusal. */
  value?: number;
}

/**
 * A fault in VHD bytes (or in values handed to an encoder). `offset` is the byte offset of the fault (within the
 * image when the image reader raised it); `field` names the field when one is at fault.
 */
export class VhdFormatError extends Error {
  readonly code: VhdFormatErrorCode;
  readonly offset: number;
  readonly field?: string;
  readonly value?: number;

  constructor(code: VhdFormatErrorCode, offset: number, message: string, options?: VhdFormatErrorOptions) {
    super(message, options);
    this.name = 'VhdFormatError';
    this.code = code;
    this.offset = offset;
    if (options?.field !== undefined) this.field = options.field;
    if (options?.value !== undefined) this.value = options.value;
  }
}

/**
 * Something wrong found while decoding. 'error': strict decoding throws it; 'warning': tolerated damage
 * or an unusual value that readers accept, reported only by lenient decoding.
 */
export interface FormatProblem {
  code: VhdFormatErrorCode;
  offset: number;
  message: string;
  severity: 'error' | 'warning';
}

/** A decoded value together with every problem found in it. */
export interface Lenient<T> {
  value: T;
  problems: FormatProblem[];
}

/** Collects problems while a decoder runs (offsets relative to the structure being decoded). */
export class ProblemList {
  readonly problems: FormatProblem[] = [];

  error(code: VhdFormatErrorCode, offset: number, message: string): void {
    this.problems.push({ code, offset, message, severity: 'error' });
  }

  warning(code: VhdFormatErrorCode, offset: number, message: string): void {
    this.problems.push({ code, offset, message, severity: 'warning' });
  }
}

/** Strict mode: the first error-severity problem becomes a thrown VhdFormatError; warnings pass. */
export function strictValue<T>(result: Lenient<T>): T {
  const firstError = result.problems.find((problem) => problem.severity === 'error');
  if (firstError) throw new VhdFormatError(firstError.code, firstError.offset, firstError.message);
  return result.value;
}
