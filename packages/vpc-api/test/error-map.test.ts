import { describe, expect, it } from 'vitest';
import type { VhdIoErrorCode } from '@vhdkit/vhd-diff';
import { VhdIoError } from '@vhdkit/vhd-diff';
import { VhdFormatError } from '@vhdkit/vhd-format';
import type { HresultName } from '@vhdkit/vpc-errors';
import { HRESULTS, VpcError, messageFor } from '@vhdkit/vpc-errors';
import { VHD_IO_CODE_TO_HRESULT_NAME, VHD_IO_REASON_TO_HRESULT_NAME, hresultNameFor, toVpcError } from '../src/errors/hresult-map.js';

function errno(code: string): Error {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

describe('the one mapping table', () => {
  const rows: [VhdIoErrorCode, HresultName][] = [
    ['ABORTED', 'ERROR_CANCELLED'],
    ['ALREADY_EXISTS', 'ERROR_ALREADY_EXISTS'],
    ['NOT_A_VHD', 'VM_E_INVALID_HD_FILE'],
    ['UNSUPPORTED', 'ERROR_NOT_SUPPORTED'],
    ['SIZE_TOO_LARGE', 'VM_E_IMAGE_SIZE_TOO_LARGE'],
    ['SIZE_TOO_SMALL', 'VM_E_IMAGE_SIZE_TOO_SMALL'],
    ['PARENT_NOT_FOUND', 'VM_E_PARENT_PATH_NOT_FOUND'],
    ['PARENT_MISMATCH', 'VM_E_PARENT_CHILD_ID_MISMATCH'],
    ['PARENT_TIMESTAMP_MISMATCH', 'VM_E_PARENT_MODIFIED'],
    ['CHAIN_LOOP', 'ERROR_FILE_CORRUPT'],
    ['CHAIN_TOO_DEEP', 'ERROR_FILE_CORRUPT'],
    ['READ_ONLY', 'VM_E_FILE_READ_ONLY'],
    ['OUT_OF_RANGE', 'E_INVALIDARG'],
    ['CORRUPT', 'ERROR_FILE_CORRUPT'],
  ];
  it.each(rows)('VhdIoError %s → %s', (code, name) => {
    const error = new VhdIoError(code, 'x', { path: '/p.vhd' });
    expect(hresultNameFor(error, { lang: 'en' })).toBe(name);
    const mapped = toVpcError(error, { lang: 'en' });
    expect(mapped.hresult).toBe(HRESULTS[name]);
    expect(mapped.cause).toBe(error);
  });

  it('a non-differencing image given to merge or set-parent is VM_E_WRONG_HD_IMAGE_TYPE, other UNSUPPORTED stay ERROR_NOT_SUPPORTED', () => {
    expect(VHD_IO_REASON_TO_HRESULT_NAME['not-differencing']).toBe('VM_E_WRONG_HD_IMAGE_TYPE');
    const wrongType = new VhdIoError('UNSUPPORTED', 'x', { params: { reason: 'not-differencing', operation: 'merge', path: '/d.vhd', diskType: 'fixed' } });
    expect(toVpcError(wrongType, { lang: 'en' }).hresult).toBe(0xa004067b);
    const otherReason = new VhdIoError('UNSUPPORTED', 'x', { params: { reason: 'something-else' } });
    expect(hresultNameFor(otherReason, { lang: 'en' })).toBe('ERROR_NOT_SUPPORTED');
  });

  it('covers every VhdIoError code', () => {
    expect(Object.keys(VHD_IO_CODE_TO_HRESULT_NAME).length).toBe(rows.length + 1); // + IO, decided by errno
  });

  it.each([
    ['ENOSPC', 'ERROR_DISK_FULL'],
    ['EDQUOT', 'ERROR_DISK_FULL'],
    ['EEXIST', 'ERROR_ALREADY_EXISTS'],
    ['EACCES', 'ERROR_ACCESS_DENIED'],
    ['EROFS', 'ERROR_WRITE_PROTECT'],
    ['EWHATEVER', 'DISP_E_EXCEPTION'],
  ] as [string, HresultName][])('IO with errno %s on cause.code → %s', (code, name) => {
    expect(hresultNameFor(new VhdIoError('IO', 'x', { cause: errno(code) }), { lang: 'en' })).toBe(name);
  });

  it('IO without an errno is unexpected; per-call overrides win over the generic errno table', () => {
    expect(hresultNameFor(new VhdIoError('IO', 'x'), { lang: 'en' })).toBe('DISP_E_EXCEPTION');
    expect(hresultNameFor(errno('ENOENT'), { lang: 'en' })).toBe('ERROR_FILE_NOT_FOUND');
    expect(hresultNameFor(errno('ENOENT'), { lang: 'en', errnoOverrides: { ENOENT: 'ERROR_PATH_NOT_FOUND' } })).toBe('ERROR_PATH_NOT_FOUND');
  });

  it('AbortError → ERROR_CANCELLED; anything else → DISP_E_EXCEPTION with the cause kept', () => {
    expect(hresultNameFor(new DOMException('stop', 'AbortError'), { lang: 'en' })).toBe('ERROR_CANCELLED');
    const bug = new TypeError('undefined is not a function');
    const mapped = toVpcError(bug, { lang: 'es' });
    expect(mapped.code).toBe('DISP_E_EXCEPTION');
    expect(mapped.cause).toBe(bug);
    expect(mapped.message.startsWith(messageFor('DISP_E_EXCEPTION', 'es'))).toBe(true);
  });

  it('VpcErrors pass through, switched to the requested language', () => {
    const original = new VpcError('ERROR_DISK_FULL', { detail: '/vms' });
    expect(toVpcError(original, { lang: 'en' })).toBe(original);
    const spanish = toVpcError(original, { lang: 'es' });
    expect(spanish.code).toBe('ERROR_DISK_FULL');
    expect(spanish.message).toBe(`${messageFor('ERROR_DISK_FULL', 'es')}: /vms`);
  });
});

describe('damaged images', () => {
  it('a VhdFormatError that reaches the facade unwrapped is ERROR_FILE_CORRUPT, never DISP_E_EXCEPTION', () => {
    const fault = new VhdFormatError('BAD_BLOCK_SIZE', 32, 'block size 1000 is not a power of two');
    expect(hresultNameFor(fault, { lang: 'en' })).toBe('ERROR_FILE_CORRUPT');
    expect(toVpcError(fault, { lang: 'es' })).toMatchObject({ code: 'ERROR_FILE_CORRUPT', hresult: 0x80070570 });
    // A plain RangeError is not known to come from the image: it stays the "unexpected" code (a bug).
    expect(hresultNameFor(new RangeError('offset out of range'), { lang: 'en' })).toBe('DISP_E_EXCEPTION');
  });
});
