import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  codeOf,
  Facility,
  facilityOf,
  formatHresult,
  hresultFromWin32,
  isCustomer,
  isFailure,
  isSuccess,
  severityOf,
  toUnsignedHresult,
} from '../src/index.js';

describe('hresultFromWin32 (winerror.h macro semantics)', () => {
  it.each([
    [3, 0x80070003],
    [183, 0x800700b7],
    [1223, 0x800704c7],
    [1392, 0x80070570],
    [0xffff, 0x8007ffff],
  ])('wraps Win32 code %i', (win32Code, expected) => {
    expect(hresultFromWin32(win32Code)).toBe(expected);
  });

  it('passes 0 (ERROR_SUCCESS) through as S_OK', () => {
    expect(hresultFromWin32(0)).toBe(0);
  });

  it('passes values that are negative as int32 (already HRESULTs) through unchanged', () => {
    expect(hresultFromWin32(0x80004003)).toBe(0x80004003);
    expect(hresultFromWin32(0xa0040683)).toBe(0xa0040683);
    expect(hresultFromWin32(-2147024713)).toBe(0x800700b7); // int32 form of 0x800700B7
  });

  it('keeps only the low 16 bits of positive codes above 0xFFFF', () => {
    expect(hresultFromWin32(0x1_0003)).toBe(0x80070003);
    expect(hresultFromWin32(0x7fff_ffff)).toBe(0x8007ffff);
  });

  it('for every positive 16-bit code gives a Win32-facility failure carrying that code', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0xffff }), (win32Code) => {
        const hr = hresultFromWin32(win32Code);
        expect(isFailure(hr)).toBe(true);
        expect(facilityOf(hr)).toBe(Facility.Win32);
        expect(codeOf(hr)).toBe(win32Code);
        expect(isCustomer(hr)).toBe(false);
      }),
    );
  });

  it.each([1.5, Number.NaN, 2 ** 32, -(2 ** 31) - 1])('rejects %d with a RangeError', (bad) => {
    expect(() => hresultFromWin32(bad)).toThrow(RangeError);
  });
});

describe('bit field decoding', () => {
  it('decodes a Virtual PC customer code 0xA0040683', () => {
    const hr = 0xa0040683;
    expect(severityOf(hr)).toBe(1);
    expect(isCustomer(hr)).toBe(true);
    expect(facilityOf(hr)).toBe(Facility.Itf);
    expect(codeOf(hr)).toBe(0x0683);
  });

  it('decodes DISP_E_EXCEPTION 0x80020009', () => {
    expect(facilityOf(0x80020009)).toBe(Facility.Dispatch);
    expect(codeOf(0x80020009)).toBe(9);
    expect(isCustomer(0x80020009)).toBe(false);
  });

  it('treats S_OK and S_FALSE as successes', () => {
    for (const hr of [0, 1]) {
      expect(isSuccess(hr)).toBe(true);
      expect(isFailure(hr)).toBe(false);
      expect(severityOf(hr)).toBe(0);
    }
  });

  it('reads the signed int32 form exactly like the unsigned form', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (unsigned) => {
        const signed = unsigned | 0;
        expect(toUnsignedHresult(signed)).toBe(unsigned);
        expect(severityOf(signed)).toBe(severityOf(unsigned));
        expect(facilityOf(signed)).toBe(facilityOf(unsigned));
        expect(codeOf(signed)).toBe(codeOf(unsigned));
        expect(isCustomer(signed)).toBe(isCustomer(unsigned));
      }),
    );
  });

  it('reassembles every value from its fields (S, R, C, N, facility, code)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (hr) => {
        const flagsRn = hr & 0x5800_0000; // R (30), N (28), and bit 27 — not decoded by these helpers
        const rebuilt =
          (severityOf(hr) * 2 ** 31 + (isCustomer(hr) ? 0x2000_0000 : 0) + flagsRn + facilityOf(hr) * 0x1_0000 + codeOf(hr)) >>> 0;
        expect(rebuilt).toBe(hr);
      }),
    );
  });

  it.each([0.5, Number.POSITIVE_INFINITY, 0x1_0000_0000, -0x8000_0001])('rejects %d', (bad) => {
    expect(() => facilityOf(bad)).toThrow(RangeError);
    expect(() => isFailure(bad)).toThrow(RangeError);
  });
});

describe('formatHresult', () => {
  it.each([
    [0, '0x00000000'],
    [1, '0x00000001'],
    [0x800700b7, '0x800700B7'],
    [-2147024713, '0x800700B7'],
    [-2147467261, '0x80004003'],
    [0xa0040951, '0xA0040951'],
    [0xffffffff, '0xFFFFFFFF'],
    [-1, '0xFFFFFFFF'],
    [0x8007000f, '0x8007000F'],
  ])('formats %d as %s', (hr, text) => {
    expect(formatHresult(hr)).toBe(text);
  });

  it('always gives 0x + 8 uppercase hex digits that parse back to the unsigned value', () => {
    fc.assert(
      fc.property(fc.integer({ min: -0x8000_0000, max: 0xffff_ffff }), (hr) => {
        const text = formatHresult(hr);
        expect(text).toMatch(/^0x[0-9A-F]{8}$/);
        expect(Number.parseInt(text.slice(2), 16)).toBe(hr >>> 0);
      }),
    );
  });

  it('rejects non-integers and values outside 32 bits', () => {
    expect(() => formatHresult(2.5)).toThrow(RangeError);
    expect(() => formatHresult(2 ** 32)).toThrow(/Not a 32-bit HRESULT/);
  });
});
