// Node errno codes → catalogue names: what Windows would have reported for the same host failure.
// These are the generic mappings; callers that know more pass `overrides` (see vpcErrorFromNodeError).
import { HRESULTS, lookupByName, type HresultEntry } from './catalogue.js';
import { CANCELLATION_NAME, type HresultName } from './codes.js';
import type { Language } from './messages.js';
import { VpcError } from './vpc-error.js';

/** Node errno codes and the HRESULT each maps to. */
export const ERRNO_TO_HRESULT_NAME = Object.freeze({
  // A missing file. The Virtual PC table reports a missing folder or parent as ERROR_PATH_NOT_FOUND;
  // the facade knows which path was missing and overrides (Node uses ENOENT for both).
  ENOENT: 'ERROR_FILE_NOT_FOUND',
  // A path component is a file: Windows fails the lookup with "path not found".
  ENOTDIR: 'ERROR_PATH_NOT_FOUND',
  EEXIST: 'ERROR_ALREADY_EXISTS',
  ENOSPC: 'ERROR_DISK_FULL',
  // Out of quota looks like a full disk to the user, as on Windows with NTFS quotas.
  EDQUOT: 'ERROR_DISK_FULL',
  EROFS: 'ERROR_WRITE_PROTECT',
  EACCES: 'ERROR_ACCESS_DENIED',
  EPERM: 'ERROR_ACCESS_DENIED',
  // Opening a folder as a file: CreateFile without FILE_FLAG_BACKUP_SEMANTICS returns access denied.
  EISDIR: 'ERROR_ACCESS_DENIED',
  // The host rejected a name it cannot store. The table's ERROR_BUFFER_OVERFLOW is for the 260-character
  // rule the facade checks itself before any I/O, so it is not reused for a host-side limit.
  ENAMETOOLONG: 'ERROR_FILENAME_EXCED_RANGE',
  // The file would exceed the largest file the host file system allows (FAT32's 4 GiB): the case the
  // Virtual PC table names VM_E_FILE_TOO_LARGE_FOR_VOLUME.
  EFBIG: 'VM_E_FILE_TOO_LARGE_FOR_VOLUME',
  EBUSY: 'ERROR_SHARING_VIOLATION',
  ETXTBSY: 'ERROR_SHARING_VIOLATION',
  EIO: 'ERROR_IO_DEVICE',
  EINVAL: 'E_INVALIDARG',
  ENOTSUP: 'ERROR_NOT_SUPPORTED',
  EOPNOTSUPP: 'ERROR_NOT_SUPPORTED',
  EMFILE: 'ERROR_TOO_MANY_OPEN_FILES',
  ENFILE: 'ERROR_TOO_MANY_OPEN_FILES',
  ENOMEM: 'E_OUTOFMEMORY',
  // Too many levels of symbolic links (a loop): Windows fails such a name with "cannot be resolved".
  ELOOP: 'ERROR_CANT_RESOLVE_FILENAME',
  // Node's AbortError (fs calls given an aborted AbortSignal).
  ABORT_ERR: CANCELLATION_NAME,
} as const satisfies Record<string, HresultName>);

/** An errno code with an entry in ERRNO_TO_HRESULT_NAME. */
export type MappedErrno = keyof typeof ERRNO_TO_HRESULT_NAME;

/** What unknown failures become: the table's "unexpected error". */
export const UNEXPECTED_ERROR_NAME = 'DISP_E_EXCEPTION' satisfies HresultName;

/** True for an errno code with an entry in ERRNO_TO_HRESULT_NAME. */
export function isMappedErrno(code: unknown): code is MappedErrno {
  return typeof code === 'string' && Object.hasOwn(ERRNO_TO_HRESULT_NAME, code);
}

/** The catalogue entry for an errno code, or undefined when the code has no mapping. */
export function entryForErrno(code: string): HresultEntry | undefined {
  return isMappedErrno(code) ? lookupByName(ERRNO_TO_HRESULT_NAME[code]) : undefined;
}

/** The HRESULT for an errno code; DISP_E_EXCEPTION for codes without a mapping. */
export function hresultFromErrno(code: string): number {
  return entryForErrno(code)?.hresult ?? HRESULTS[UNEXPECTED_ERROR_NAME];
}

/** Options of `vpcErrorFromNodeError`. */
export interface NodeErrorOptions {
  lang?: Language;
  /** Appended to the message; defaults to the error's `path` when it has one. */
  detail?: string;
  /** Per-call replacements, e.g. `{ ENOENT: 'ERROR_PATH_NOT_FOUND' }` for a missing parent. */
  overrides?: Partial<Record<string, HresultName>>;
}

/**
 * A VpcError for any thrown value: VpcErrors pass through unchanged, AbortErrors become the
 * cancellation code, mapped errno codes their entry, anything else DISP_E_EXCEPTION. The original
 * value is always kept as `cause`.
 */
export function vpcErrorFromNodeError(error: unknown, options: NodeErrorOptions = {}): VpcError {
  if (error instanceof VpcError) return error;
  const code = errnoCodeOf(error);
  const name = (code === undefined ? undefined : (options.overrides?.[code] ?? entryForErrno(code)?.name)) ?? UNEXPECTED_ERROR_NAME;
  return new VpcError(name, { cause: error, lang: options.lang, detail: options.detail ?? pathOf(error) });
}

function errnoCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code === 'string') return code;
  // DOMException('…', 'AbortError') — signal.reason of AbortController.abort() — carries a numeric code.
  if (name === 'AbortError') return 'ABORT_ERR';
  return undefined;
}

function pathOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { path } = error as { path?: unknown };
  return typeof path === 'string' ? path : undefined;
}
