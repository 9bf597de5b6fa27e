/** Images read over HTTP fail with vhd-format's VhdSourceError: each code (and status) has its Win32 HRESULT. */
import { describe, expect, it } from 'vitest';
import { VhdIoError, VhdSourceError } from '@vhdkit/vhd-diff';
import type { VhdSourceErrorCode } from '@vhdkit/vhd-diff';
import type { HresultName } from '@vhdkit/vpc-errors';
import { messageFor } from '@vhdkit/vpc-errors';
import { VHD_SOURCE_CODE_TO_HRESULT_NAME, hresultNameFor, toVpcError } from '../src/errors/hresult-map.js';

const URL_NAME = 'https://example.test/disks/child.vhd';

function sourceError(code: VhdSourceErrorCode, status?: number): VhdSourceError {
  return new VhdSourceError(code, URL_NAME, `${URL_NAME}: ${code} (simulated)`, { offset: 512, ...(status === undefined ? {} : { status }) });
}

describe('VhdSourceError → HRESULT', () => {
  const rows: [VhdSourceErrorCode, number | undefined, HresultName][] = [
    ['HTTP_STATUS', 404, 'ERROR_FILE_NOT_FOUND'],
    ['HTTP_STATUS', 410, 'ERROR_FILE_NOT_FOUND'],
    ['HTTP_STATUS', 401, 'ERROR_ACCESS_DENIED'],
    ['HTTP_STATUS', 403, 'ERROR_ACCESS_DENIED'],
    ['HTTP_STATUS', 500, 'ERROR_IO_DEVICE'],
    ['HTTP_STATUS', 416, 'ERROR_IO_DEVICE'],
    ['RANGES_UNSUPPORTED', 200, 'ERROR_NOT_SUPPORTED'],
    ['BAD_URL', undefined, 'ERROR_INVALID_NAME'],
    ['SOURCE_CHANGED', 412, 'ERROR_SHARING_VIOLATION'],
    ['ABORTED', undefined, 'ERROR_CANCELLED'],
    ['NETWORK', undefined, 'ERROR_IO_DEVICE'],
    ['SHORT_READ', 206, 'ERROR_IO_DEVICE'],
    ['BAD_RESPONSE', 206, 'ERROR_IO_DEVICE'],
    ['CLOSED', undefined, 'ERROR_IO_DEVICE'],
    ['OUT_OF_RANGE', undefined, 'E_INVALIDARG'],
  ];

  it('the table covers every code', () => {
    expect(new Set(rows.map(([code]) => code))).toEqual(new Set(Object.keys(VHD_SOURCE_CODE_TO_HRESULT_NAME)));
  });

  it.each(rows)('%s (status %s) → %s, with an English and a Spanish detail naming the URL', (code, status, name) => {
    const error = sourceError(code, status);
    expect(hresultNameFor(error, { lang: 'en' })).toBe(name);
    // Wrapped by vhd-diff as a read's cause, it means the same.
    const wrapped = new VhdIoError('IO', `reading ${URL_NAME} failed`, { path: URL_NAME, cause: error });
    expect(hresultNameFor(wrapped, { lang: 'en' })).toBe(name);
    const en = toVpcError(error, { lang: 'en' });
    expect(en.code).toBe(name);
    expect(en.message).toBe(`${messageFor(name, 'en')}: ${error.message}`);
    const es = toVpcError(wrapped, { lang: 'es' });
    expect(es.code).toBe(name);
    expect(es.message.startsWith(`${messageFor(name, 'es')}: `)).toBe(true);
    expect(es.message).toContain(URL_NAME);
    expect(es.message).not.toContain('(simulated)');
  });

  it('a status is worded in Spanish with its number', () => {
    expect(toVpcError(sourceError('HTTP_STATUS', 403), { lang: 'es' }).message).toBe(`${messageFor('ERROR_ACCESS_DENIED', 'es')}: ${URL_NAME}: el servidor respondió 403`);
  });
});
