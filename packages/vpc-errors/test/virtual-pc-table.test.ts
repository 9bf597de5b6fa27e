// The return-value table of IVMVirtualPC::CreateDifferencingVirtualHardDisk, written out as the spec.
import { describe, expect, it } from 'vitest';
import { catalogue, HRESULTS, lookupByName } from '../src/index.js';

// [symbolic name, value as documented, wrapped Win32 code or null]
const VIRTUAL_PC_TABLE: ReadonlyArray<readonly [string, number, number | null]> = [
  ['S_OK', 0x00000000, null],
  ['E_POINTER', 0x80004003, null],
  ['ERROR_PATH_NOT_FOUND', 0x80070003, 3],
  ['ERROR_INVALID_DRIVE', 0x8007000f, 15],
  ['ERROR_INVALID_NAME', 0x8007007b, 123],
  ['ERROR_BAD_PATHNAME', 0x800700a1, 161],
  ['ERROR_BUFFER_OVERFLOW', 0x8007006f, 111],
  ['ERROR_ALREADY_EXISTS', 0x800700b7, 183],
  ['ERROR_DISK_FULL', 0x80070070, 112],
  ['VM_E_IMAGE_SIZE_TOO_LARGE', 0xa0040683, null],
  ['VM_E_IMAGE_SIZE_TOO_SMALL', 0xa0040684, null],
  ['VM_E_FILE_TOO_LARGE_FOR_VOLUME', 0xa0040679, null],
  ['VM_E_APP_SHUTTING_DOWN', 0xa0040209, null],
  ['VM_E_HARDWARE_VIRTUALIZATION_DISABLED', 0xa0040951, null],
  ['DISP_E_EXCEPTION', 0x80020009, null],
];

describe('the Virtual PC CreateDifferencingVirtualHardDisk table', () => {
  it('has exactly the documented 15 rows, in order, marked as table rows', () => {
    const tableRows = catalogue.filter((entry) => entry.source === 'virtual-pc-table');
    expect(tableRows.map((entry) => entry.name)).toEqual(VIRTUAL_PC_TABLE.map(([name]) => name));
    expect(tableRows).toHaveLength(15);
  });

  it.each(VIRTUAL_PC_TABLE)('%s has its documented value', (name, value, win32Code) => {
    const entry = lookupByName(name);
    expect(entry?.hresult).toBe(value);
    expect(HRESULTS[name as keyof typeof HRESULTS]).toBe(value);
    expect(entry?.win32Code).toBe(win32Code ?? undefined);
    expect(entry?.source).toBe('virtual-pc-table');
  });
});

// The same rows checked against the HRESULT bit layout, computed here with plain bit arithmetic.
const severity = (hr: number): number => hr >>> 31;
const customer = (hr: number): number => (hr >>> 29) & 1;
const facility = (hr: number): number => (hr >>> 16) & 0x7ff;
const low16 = (hr: number): number => hr & 0xffff;

describe('table values against the HRESULT bit layout', () => {
  it('S_OK is all zero bits', () => {
    expect(HRESULTS.S_OK).toBe(0);
  });

  it.each([
    ['ERROR_PATH_NOT_FOUND', 3],
    ['ERROR_INVALID_DRIVE', 15],
    ['ERROR_INVALID_NAME', 123],
    ['ERROR_BAD_PATHNAME', 161],
    ['ERROR_BUFFER_OVERFLOW', 111],
    ['ERROR_ALREADY_EXISTS', 183],
    ['ERROR_DISK_FULL', 112],
  ] as const)('%s is a failure in facility 7 (Win32) with code %i', (name, win32Code) => {
    const hr = HRESULTS[name];
    expect(severity(hr)).toBe(1);
    expect(customer(hr)).toBe(0);
    expect(facility(hr)).toBe(7);
    expect(low16(hr)).toBe(win32Code);
  });

  it.each([
    'VM_E_IMAGE_SIZE_TOO_LARGE',
    'VM_E_IMAGE_SIZE_TOO_SMALL',
    'VM_E_FILE_TOO_LARGE_FOR_VOLUME',
    'VM_E_APP_SHUTTING_DOWN',
    'VM_E_HARDWARE_VIRTUALIZATION_DISABLED',
  ] as const)('%s is a customer failure in facility 4 (ITF)', (name) => {
    const hr = HRESULTS[name];
    expect(severity(hr)).toBe(1);
    expect(customer(hr)).toBe(1);
    expect(facility(hr)).toBe(4);
  });

  it('E_POINTER is facility 0 (NULL) and DISP_E_EXCEPTION facility 2 (DISPATCH), neither customer-defined', () => {
    expect([severity(HRESULTS.E_POINTER), customer(HRESULTS.E_POINTER), facility(HRESULTS.E_POINTER)]).toEqual([1, 0, 0]);
    expect(low16(HRESULTS.E_POINTER)).toBe(0x4003);
    expect([
      severity(HRESULTS.DISP_E_EXCEPTION),
      customer(HRESULTS.DISP_E_EXCEPTION),
      facility(HRESULTS.DISP_E_EXCEPTION),
    ]).toEqual([1, 0, 2]);
    expect(low16(HRESULTS.DISP_E_EXCEPTION)).toBe(9);
  });
});
