/**
 * Which footer describes an image: the trailing one (512 bytes, or 511 from old Virtual PC), else the copy at
 * offset 0 when the end is damaged and the copy belongs to a dynamic or differencing image (docs/format.md#footer-choice).
 * Pure: callers hand in the bytes, so the random-access reader and the streaming parser share the rules.
 */
import { FOOTER_SIZE, hasDynamicHeader, SHORT_FOOTER_SIZE } from '../constants.js';
import { strictValue, VhdFormatError } from '../errors.js';
import type { FormatProblem, Lenient } from '../errors.js';
import { decodeFooterLenient } from '../footer.js';
import type { Footer } from '../footer.js';

/** A trailing footer that decoded (maybe with problems), where it starts in the image and its bytes. */
export interface TrailingFooter {
  decoded: Lenient<Footer>;
  /** Image offset of the footer's first byte (size − 512, or size − 511 for an old Virtual PC footer). */
  offset: number;
  /** As stored (511 bytes for a short footer). */
  bytes: Uint8Array;
}

/** The last 512 bytes, then the last 511 (old Virtual PC images lack the footer's final reserved byte). */
function trailingCandidates(tail: Uint8Array): Uint8Array[] {
  return tail.length >= FOOTER_SIZE ? [tail.subarray(tail.length - FOOTER_SIZE), tail.subarray(tail.length - SHORT_FOOTER_SIZE)] : [tail];
}

/**
 * Decodes the footer ending at `imageSize` from `tail` (the image's last min(512, size) bytes). Returns the first
 * candidate that decodes, or the first decoder error (a damaged 512-byte footer is reported as such, not as
 * "no 511-byte footer").
 */
export function decodeTrailingFooter(tail: Uint8Array, imageSize: number): TrailingFooter | { error: VhdFormatError } {
  let firstError: VhdFormatError | undefined;
  for (const candidate of trailingCandidates(tail)) {
    try {
      return { decoded: decodeFooterLenient(candidate), offset: imageSize - candidate.length, bytes: candidate };
    } catch (error) {
      if (!(error instanceof VhdFormatError)) throw error;
      firstError ??= error;
    }
  }
  return { error: firstError! };
}

/** Strict form: the first trailing candidate that decodes without errors, or the first candidate's error. */
export function decodeTrailingFooterStrict(tail: Uint8Array, imageSize: number): TrailingFooter | { error: VhdFormatError } {
  let firstError: VhdFormatError | undefined;
  for (const candidate of trailingCandidates(tail)) {
    try {
      const decoded = decodeFooterLenient(candidate);
      strictValue(decoded);
      return { decoded, offset: imageSize - candidate.length, bytes: candidate };
    } catch (error) {
      if (!(error instanceof VhdFormatError)) throw error;
      firstError ??= error;
    }
  }
  return { error: firstError! };
}

/**
 * Whether a decoded footer is damaged: any error but its version. A version is a label, not a value the reader
 * steers by, so an unknown one is reported but never makes the reader trade one footer for the other
 * (docs/format.md#footer-choice): the rule both the reader and the checker apply, and the hostile-input oracle models.
 */
export function isDamagedFooter(problems: readonly FormatProblem[]): boolean {
  return footerDamage(problems) !== undefined;
}

/** The first problem that makes a footer damaged (isDamagedFooter), to name in a report. */
export function footerDamage(problems: readonly FormatProblem[]): FormatProblem | undefined {
  return problems.find((problem) => problem.severity === 'error' && problem.code !== 'UNSUPPORTED_VERSION');
}

/** The copy at offset 0 when it is intact and belongs to an image that has one (dynamic or differencing). */
export function usableFooterCopy(bytes: Uint8Array): Lenient<Footer> | undefined {
  try {
    const copy = decodeFooterLenient(bytes);
    return isDamagedFooter(copy.problems) || !hasDynamicHeader(copy.value.diskType) ? undefined : copy;
  } catch (error) {
    if (error instanceof VhdFormatError) return undefined;
    throw error;
  }
}

export function hasErrors(problems: readonly FormatProblem[]): boolean {
  return problems.some((problem) => problem.severity === 'error');
}

/** Problems with offsets moved from structure-relative to image-relative. */
export function atOffset(problems: readonly FormatProblem[], base: number): FormatProblem[] {
  return problems.map((problem) => ({ ...problem, offset: base + problem.offset }));
}
