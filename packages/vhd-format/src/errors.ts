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
  | 'NOT_DYNAMIC';

/** A fault in VHD bytes (or in values handed to an encoder). `offset` is the byte offset of the fault. */
export class VhdFormatError extends Error {
  readonly code: VhdFormatErrorCode;
  readonly offset: number;

  constructor(code: VhdFormatErrorCode, offset: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'VhdFormatError';
    this.code = code;
    this.offset = offset;
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
