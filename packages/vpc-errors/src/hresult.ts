// HRESULT bit layout (MS-ERREF §2.1):
//   bit 31 S (severity: 1 = failure) · bit 30 R · bit 29 C (customer-defined) · bit 28 N
//   bits 16–26 facility (11 bits) · bits 0–15 code.
// Values are handled as unsigned 32-bit numbers (0x80070003, not -2147024893); every helper also
// accepts the signed int32 form that C# `int` or `HRESULT` casts produce.

const SEVERITY_BIT = 0x8000_0000;
const CUSTOMER_BIT = 0x2000_0000;
const FACILITY_MASK = 0x7ff;
const CODE_MASK = 0xffff;
const WIN32_HRESULT_BASE = 0x8007_0000;

/** Facilities of the codes in this catalogue (winerror.h names). */
export const Facility = { Null: 0, Rpc: 1, Dispatch: 2, Storage: 3, Itf: 4, Win32: 7 } as const;
export type Facility = (typeof Facility)[keyof typeof Facility];

/** 0 = success, 1 = failure (the S bit). */
export type Severity = 0 | 1;

/**
 * The unsigned form of an HRESULT given as uint32 or int32.
 * @throws RangeError when `hr` is not an integer in [-2^31, 2^32).
 */
export function toUnsignedHresult(hr: number): number {
  if (!Number.isInteger(hr) || hr < -0x8000_0000 || hr > 0xffff_ffff) {
    throw new RangeError(`Not a 32-bit HRESULT: ${String(hr)}`);
  }
  return hr >>> 0;
}

/** True when the severity bit is set (accepts the unsigned and the signed int32 form). */
export function isFailure(hr: number): boolean {
  return (toUnsignedHresult(hr) & SEVERITY_BIT) !== 0;
}

/** True when the severity bit is clear. */
export function isSuccess(hr: number): boolean {
  return !isFailure(hr);
}

/** The severity bit: 1 for failure, 0 for success. */
export function severityOf(hr: number): Severity {
  return isFailure(hr) ? 1 : 0;
}

/** Bits 16–26. Returns a plain number because facilities outside `Facility` exist. */
export function facilityOf(hr: number): number {
  return (toUnsignedHresult(hr) >>> 16) & FACILITY_MASK;
}

/** Bits 0–15: the Win32 error code for facility 7, the facility-specific code otherwise. */
export function codeOf(hr: number): number {
  return toUnsignedHresult(hr) & CODE_MASK;
}

/** The C bit, set in the Virtual PC `VM_E_*` codes (0xA004xxxx). */
export function isCustomer(hr: number): boolean {
  return (toUnsignedHresult(hr) & CUSTOMER_BIT) !== 0;
}

/**
 * The `HRESULT_FROM_WIN32` macro of winerror.h: a value that is 0 or negative when read as int32
 * (success, or already an HRESULT) passes through; anything else becomes 0x8007xxxx with the low
 * 16 bits of the code.
 * @throws RangeError when `win32Code` is not a 32-bit integer.
 */
export function hresultFromWin32(win32Code: number): number {
  const unsigned = toUnsignedHresult(win32Code);
  if ((unsigned | 0) <= 0) return unsigned;
  return (WIN32_HRESULT_BASE | (unsigned & CODE_MASK)) >>> 0;
}

/** '0x800700B7': uppercase hex, always 8 digits, for both uint32 and int32 input. */
export function formatHresult(hr: number): string {
  return `0x${toUnsignedHresult(hr).toString(16).toUpperCase().padStart(8, '0')}`;
}
