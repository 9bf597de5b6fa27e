import type { VhdIoErrorCode, VhdSourceErrorCode } from '@vhdkit/vhd-diff';
import { VhdFormatError, VhdIoError, VhdSourceError } from '@vhdkit/vhd-diff';
import type { HresultName, Language } from '@vhdkit/vpc-errors';
import { CANCELLATION_NAME, ERRNO_TO_HRESULT_NAME, UNEXPECTED_ERROR_NAME, VpcError, isMappedErrno } from '@vhdkit/vpc-errors';
import { vhdIoErrorDetail, vhdSourceErrorDetail } from './details.js';

/**
 * The one code for a damaged image (VhdIoError 'CORRUPT', loops and absurd depths, and any VhdFormatError): the damage
 * is in an image file, so Win32's ERROR_FILE_CORRUPT; ERROR_DISK_CORRUPT speaks of a volume's structures and is not used.
 */
export const CORRUPT_IMAGE_NAME = 'ERROR_FILE_CORRUPT' satisfies HresultName;

/**
 * The one table from vhd-diff's `VhdIoError.code` to catalogue names. `'errno'`: the Node error on `cause.code`
 * decides (ENOSPC → ERROR_DISK_FULL, EEXIST → ERROR_ALREADY_EXISTS, …, via vpc-errors' errno table).
 *
 * A parent that is not a VHD gets VM_E_INVALID_HD_FILE; a broken chain gets Virtual PC's parent-link codes:
 * VM_E_PARENT_PATH_NOT_FOUND (an ancestor cannot be located), VM_E_PARENT_CHILD_ID_MISMATCH (unique ids differ),
 * VM_E_PARENT_MODIFIED (timestamps differ); loops and absurd depths are damage, ERROR_FILE_CORRUPT.
 * UNSUPPORTED is ERROR_NOT_SUPPORTED except for the reasons in VHD_IO_REASON_TO_HRESULT_NAME below.
 */
export const VHD_IO_CODE_TO_HRESULT_NAME = {
  IO: 'errno',
  ABORTED: CANCELLATION_NAME,
  ALREADY_EXISTS: 'ERROR_ALREADY_EXISTS',
  NOT_A_VHD: 'VM_E_INVALID_HD_FILE',
  UNSUPPORTED: 'ERROR_NOT_SUPPORTED',
  SIZE_TOO_LARGE: 'VM_E_IMAGE_SIZE_TOO_LARGE',
  SIZE_TOO_SMALL: 'VM_E_IMAGE_SIZE_TOO_SMALL',
  PARENT_NOT_FOUND: 'VM_E_PARENT_PATH_NOT_FOUND',
  PARENT_MISMATCH: 'VM_E_PARENT_CHILD_ID_MISMATCH',
  PARENT_TIMESTAMP_MISMATCH: 'VM_E_PARENT_MODIFIED',
  CHAIN_LOOP: 'ERROR_FILE_CORRUPT',
  CHAIN_TOO_DEEP: 'ERROR_FILE_CORRUPT',
  READ_ONLY: 'VM_E_FILE_READ_ONLY',
  OUT_OF_RANGE: 'E_INVALIDARG',
  CORRUPT: 'ERROR_FILE_CORRUPT',
} as const satisfies Record<VhdIoErrorCode, HresultName | 'errno'>;

/**
 * Where one code covers failures Virtual PC tells apart, vhd-diff's `params.reason` decides: an operation that
 * needs a differencing image (merge, set-parent) on a fixed or dynamic one is VM_E_WRONG_HD_IMAGE_TYPE, Virtual
 * PC's code for "this operation does not apply to this type of disk image", not a generic ERROR_NOT_SUPPORTED.
 * A child refused because its parent's chain already holds the most images a chain may (MAX_CHAIN_DEPTH) is
 * ERROR_NOT_SUPPORTED: nothing is damaged (the parent's chain opens), one more level is just not supported; the
 * catalogue has no Virtual PC code for it. A chain found deeper than that when opened stays ERROR_FILE_CORRUPT.
 */
export const VHD_IO_REASON_TO_HRESULT_NAME: Readonly<Partial<Record<string, HresultName>>> = {
  'not-differencing': 'VM_E_WRONG_HD_IMAGE_TYPE',
  // Compacting a fixed disk, or resizing a child away from its parent's size: not for this type of image.
  'compact-fixed': 'VM_E_WRONG_HD_IMAGE_TYPE',
  'resize-differencing': 'VM_E_WRONG_HD_IMAGE_TYPE',
  // Someone wrote to the image while it was being compacted (compaction then replaces nothing).
  'changed-during': 'ERROR_SHARING_VIOLATION',
  'parent-chain-full': 'ERROR_NOT_SUPPORTED',
};

/**
 * An image read over HTTP (vhd-format's VhdSourceError, re-exported by vhd-diff) in Win32 terms. `'status'`: the
 * HTTP status decides (HTTP_STATUS_TO_HRESULT_NAME); any other status, like every failure of the link itself, is
 * ERROR_IO_DEVICE. A file replaced under the reader is ERROR_SHARING_VIOLATION (someone else changed it), a server
 * that ignores `Range` ERROR_NOT_SUPPORTED, a location that is not an http(s) URL ERROR_INVALID_NAME.
 */
export const VHD_SOURCE_CODE_TO_HRESULT_NAME = {
  RANGES_UNSUPPORTED: 'ERROR_NOT_SUPPORTED',
  SOURCE_CHANGED: 'ERROR_SHARING_VIOLATION',
  HTTP_STATUS: 'status',
  NETWORK: 'ERROR_IO_DEVICE',
  SHORT_READ: 'ERROR_IO_DEVICE',
  BAD_RESPONSE: 'ERROR_IO_DEVICE',
  OUT_OF_RANGE: 'E_INVALIDARG',
  ABORTED: CANCELLATION_NAME,
  CLOSED: 'ERROR_IO_DEVICE',
  BAD_URL: 'ERROR_INVALID_NAME',
} as const satisfies Record<VhdSourceErrorCode, HresultName | 'status'>;

/** HTTP statuses with a Win32 meaning of their own: the file is not there, or we may not read it. */
export const HTTP_STATUS_TO_HRESULT_NAME: Readonly<Partial<Record<number, HresultName>>> = {
  401: 'ERROR_ACCESS_DENIED',
  403: 'ERROR_ACCESS_DENIED',
  404: 'ERROR_FILE_NOT_FOUND',
  410: 'ERROR_FILE_NOT_FOUND',
};

/** The source failure a thrown value is or wraps (vhd-diff may wrap a read's failure as its cause). */
export function sourceErrorOf(error: unknown): VhdSourceError | undefined {
  if (error instanceof VhdSourceError) return error;
  return error instanceof VhdIoError && error.cause instanceof VhdSourceError ? error.cause : undefined;
}

function nameForSourceError(error: VhdSourceError): HresultName {
  const mapped = VHD_SOURCE_CODE_TO_HRESULT_NAME[error.code];
  if (mapped !== 'status') return mapped;
  return (error.status === undefined ? undefined : HTTP_STATUS_TO_HRESULT_NAME[error.status]) ?? 'ERROR_IO_DEVICE';
}

/** What `toVpcError` needs to word a failure. */
export interface FailureContext {
  lang: Language;
  /** Appended to the catalogue message (usually the path concerned). */
  detail?: string;
  /** Per-call errno meanings, e.g. `{ ENOENT: 'ERROR_PATH_NOT_FOUND' }` where a missing path means a missing folder. */
  errnoOverrides?: Partial<Record<string, HresultName>>;
}

function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function nameForErrno(errno: string | undefined, context: FailureContext): HresultName {
  if (errno === undefined) return UNEXPECTED_ERROR_NAME;
  return context.errnoOverrides?.[errno] ?? (isMappedErrno(errno) ? ERRNO_TO_HRESULT_NAME[errno] : UNEXPECTED_ERROR_NAME);
}

/** The catalogue name a thrown value stands for. */
export function hresultNameFor(error: unknown, context: FailureContext): HresultName {
  if (error instanceof VpcError) return error.code;
  const sourceError = sourceErrorOf(error);
  if (sourceError) return nameForSourceError(sourceError);
  if (error instanceof VhdIoError) {
    const reason = error.params?.reason;
    const byReason = reason === undefined ? undefined : VHD_IO_REASON_TO_HRESULT_NAME[reason];
    if (byReason !== undefined) return byReason;
    const mapped = VHD_IO_CODE_TO_HRESULT_NAME[error.code];
    return mapped === 'errno' ? nameForErrno(errnoOf(error.cause), context) : mapped;
  }
  // A format fault that reached the facade unwrapped is still a damaged image, never an "unexpected" error.
  if (error instanceof VhdFormatError) return CORRUPT_IMAGE_NAME;
  if ((error as { name?: unknown } | null)?.name === 'AbortError') return CANCELLATION_NAME;
  return nameForErrno(errnoOf(error), context);
}

/** The context of a failure in the caller's language: vhd-diff failures through the detail table. */
export function failureDetail(error: unknown, lang: Language): string {
  const sourceError = sourceErrorOf(error);
  if (sourceError) return vhdSourceErrorDetail(sourceError, lang);
  if (error instanceof VhdIoError) return vhdIoErrorDetail(error, lang);
  return error instanceof Error ? error.message : String(error);
}

/**
 * Any thrown value as a VpcError: VpcErrors pass through (in the requested language), everything else keeps the
 * original as `cause`; unknown failures are DISP_E_EXCEPTION.
 */
export function toVpcError(error: unknown, context: FailureContext): VpcError {
  if (error instanceof VpcError) return error.language === context.lang ? error : error.inLanguage(context.lang);
  const detail = context.detail ?? failureDetail(error, context.lang);
  return new VpcError(hresultNameFor(error, context), { cause: error, lang: context.lang, detail });
}

/** A refusal found by the facade's own checks. */
export function refusal(name: HresultName, lang: Language, detail?: string, cause?: unknown): VpcError {
  return new VpcError(name, { lang, detail, cause });
}
