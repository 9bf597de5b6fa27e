import { describe, expect, it } from 'vitest';
import {
  catalogue,
  codeOf,
  facilityOf,
  formatHresult,
  HRESULTS,
  isCustomer,
  isHresultName,
  LANGUAGES,
  lookupByName,
  lookupByValue,
  messageFor,
  type HresultName,
} from '../src/index.js';

// Codes beyond the Virtual PC method table, as published in winerror.h and the Virtual PC
// "HRESULT Codes Specific to Windows Virtual PC" list: [name, value, wrapped Win32 code or null, source].
const EXTRA_CODES: ReadonlyArray<readonly [string, number, number | null, string]> = [
  ['VM_E_INVALID_HD_FILE', 0xa0040682, null, 'virtual-pc-code'],
  ['VM_E_PARENT_CHILD_ID_MISMATCH', 0xa0040685, null, 'virtual-pc-code'],
  ['VM_E_PARENT_MODIFIED', 0xa0040687, null, 'virtual-pc-code'],
  ['VM_E_PARENT_PATH_NOT_FOUND', 0xa0040677, null, 'virtual-pc-code'],
  ['VM_E_WRONG_HD_IMAGE_TYPE', 0xa004067b, null, 'virtual-pc-code'],
  ['VM_E_FILE_READ_ONLY', 0xa004067a, null, 'virtual-pc-code'],
  ['ERROR_FILE_NOT_FOUND', 0x80070002, 2, 'win32-mapping'],
  ['ERROR_TOO_MANY_OPEN_FILES', 0x80070004, 4, 'win32-mapping'],
  ['ERROR_ACCESS_DENIED', 0x80070005, 5, 'win32-mapping'],
  ['E_OUTOFMEMORY', 0x8007000e, 14, 'win32-mapping'],
  ['ERROR_WRITE_PROTECT', 0x80070013, 19, 'win32-mapping'],
  ['ERROR_SHARING_VIOLATION', 0x80070020, 32, 'win32-mapping'],
  ['ERROR_HANDLE_DISK_FULL', 0x80070027, 39, 'win32-mapping'],
  ['ERROR_NOT_SUPPORTED', 0x80070032, 50, 'win32-mapping'],
  ['E_INVALIDARG', 0x80070057, 87, 'win32-mapping'],
  ['ERROR_FILENAME_EXCED_RANGE', 0x800700ce, 206, 'win32-mapping'],
  ['ERROR_FILE_TOO_LARGE', 0x800700df, 223, 'win32-mapping'],
  ['ERROR_IO_DEVICE', 0x8007045d, 1117, 'win32-mapping'],
  ['ERROR_CANCELLED', 0x800704c7, 1223, 'win32-mapping'],
  ['ERROR_FILE_CORRUPT', 0x80070570, 1392, 'win32-mapping'],
  ['ERROR_CANT_RESOLVE_FILENAME', 0x80070781, 1921, 'win32-mapping'],
  ['E_ABORT', 0x80004004, null, 'win32-mapping'],
  ['E_PENDING', 0x8000000a, null, 'win32-mapping'],
];

describe('catalogue', () => {
  it('holds the 15 table rows plus the extra codes, nothing else', () => {
    expect(catalogue).toHaveLength(15 + EXTRA_CODES.length);
    expect(Object.keys(HRESULTS)).toEqual(catalogue.map((entry) => entry.name));
  });

  it.each(EXTRA_CODES)('%s has its published value', (name, value, win32Code, source) => {
    const entry = lookupByName(name);
    expect(entry).toMatchObject({ name, hresult: value, source });
    expect(entry?.win32Code).toBe(win32Code ?? undefined);
  });

  it('has unique names and unique values', () => {
    expect(new Set(catalogue.map((entry) => entry.name)).size).toBe(catalogue.length);
    expect(new Set(catalogue.map((entry) => entry.hresult)).size).toBe(catalogue.length);
  });

  it('stores values as unsigned 32-bit integers', () => {
    for (const entry of catalogue) {
      expect(Number.isInteger(entry.hresult)).toBe(true);
      expect(entry.hresult).toBeGreaterThanOrEqual(0);
      expect(entry.hresult).toBeLessThanOrEqual(0xffffffff);
    }
  });

  it('gives win32Code exactly for facility-7 values, equal to their low 16 bits', () => {
    for (const entry of catalogue) {
      if (facilityOf(entry.hresult) === 7) expect(entry.win32Code, entry.name).toBe(codeOf(entry.hresult));
      else expect(entry.win32Code, entry.name).toBeUndefined();
    }
  });

  it('marks every VM_E_ code, and only those, as customer-defined 0xA004xxxx values', () => {
    for (const entry of catalogue) {
      const isVirtualPcCode = entry.name.startsWith('VM_E_');
      expect(isCustomer(entry.hresult), entry.name).toBe(isVirtualPcCode);
      if (isVirtualPcCode) expect(entry.hresult >>> 16, entry.name).toBe(0xa004);
    }
  });

  it('has non-empty English and Spanish messages that differ, without trailing punctuation', () => {
    expect(LANGUAGES).toEqual(['en', 'es']);
    for (const entry of catalogue) {
      expect(entry.messages.en.trim(), entry.name).not.toBe('');
      expect(entry.messages.es.trim(), entry.name).not.toBe('');
      expect(entry.messages.es, entry.name).not.toBe(entry.messages.en);
      // VpcError appends ': detail', so a final period would read badly.
      expect(entry.messages.en, entry.name).not.toMatch(/[.:]$/);
      expect(entry.messages.es, entry.name).not.toMatch(/[.:]$/);
    }
  });

  it('has a distinct message for every entry in each language', () => {
    for (const language of LANGUAGES) {
      const texts = catalogue.map((entry) => entry.messages[language]);
      expect(new Set(texts).size, language).toBe(catalogue.length);
    }
  });

  it('is frozen, entries and messages included', () => {
    expect(Object.isFrozen(catalogue)).toBe(true);
    expect(Object.isFrozen(HRESULTS)).toBe(true);
    for (const entry of catalogue) {
      expect(Object.isFrozen(entry)).toBe(true);
      expect(Object.isFrozen(entry.messages)).toBe(true);
    }
    expect(() => {
      (HRESULTS as Record<string, number>).E_POINTER = 0;
    }).toThrow(TypeError);
    expect(HRESULTS.E_POINTER).toBe(0x80004003);
  });
});

describe('lookups', () => {
  it('round-trip name → entry → value → entry → name for every entry', () => {
    for (const entry of catalogue) {
      expect(lookupByName(entry.name)).toBe(entry);
      expect(lookupByValue(entry.hresult)).toBe(entry);
      expect(lookupByValue(entry.hresult | 0)).toBe(entry); // signed int32 form
      expect(lookupByValue(HRESULTS[entry.name])?.name).toBe(entry.name);
    }
  });

  it('return undefined outside the catalogue', () => {
    expect(lookupByName('E_NOTIMPL')).toBeUndefined();
    expect(lookupByName('toString')).toBeUndefined();
    expect(lookupByValue(0x80004001)).toBeUndefined();
    expect(isHresultName('ERROR_DISK_FULL')).toBe(true);
    expect(isHresultName('__proto__')).toBe(false);
    expect(isHresultName(0x80070070)).toBe(false);
  });

  it('reject values that are not 32-bit integers', () => {
    expect(() => lookupByValue(0x1_0000_0000)).toThrow(RangeError);
  });
});

describe('messageFor', () => {
  it('returns the catalogue text by name and by value, English by default', () => {
    const entry = lookupByName('ERROR_ALREADY_EXISTS');
    expect(messageFor('ERROR_ALREADY_EXISTS')).toBe(entry.messages.en);
    expect(messageFor(0x800700b7, 'es')).toBe(entry.messages.es);
    expect(messageFor(-2147024713, 'es')).toBe(entry.messages.es);
  });

  it('describes a value outside the catalogue by its hex form', () => {
    expect(messageFor(0x80004001)).toBe(`Unknown error (HRESULT ${formatHresult(0x80004001)})`);
    expect(messageFor(0x80004001, 'es')).toBe('Error desconocido (HRESULT 0x80004001)');
  });

  it('rejects an unknown name and an unsupported language', () => {
    expect(() => messageFor('E_BOGUS' as HresultName)).toThrow(/Unknown HRESULT name: E_BOGUS/);
    expect(() => messageFor('E_POINTER', 'fr' as 'en')).toThrow(RangeError);
  });
});
