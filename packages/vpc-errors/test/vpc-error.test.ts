import { describe, expect, it } from 'vitest';
import { HRESULTS, isVpcError, lookupByName, VpcError, type HresultName } from '../src/index.js';

describe('VpcError', () => {
  it('carries the HRESULT, the symbolic code and an English message by default', () => {
    const error = new VpcError('ERROR_ALREADY_EXISTS');
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(VpcError);
    expect(isVpcError(error)).toBe(true);
    expect(error.name).toBe('VpcError');
    expect(error.code).toBe('ERROR_ALREADY_EXISTS');
    expect(error.hresult).toBe(0x800700b7);
    expect(error.language).toBe('en');
    expect(error.message).toBe(lookupByName('ERROR_ALREADY_EXISTS').messages.en);
    expect(error.detail).toBeUndefined();
    expect(error.cause).toBeUndefined();
    expect(String(error)).toBe(`VpcError: ${error.message}`);
    expect(error.stack?.startsWith(`VpcError: ${error.message}`)).toBe(true);
    expect(Object.keys(error)).not.toContain('name');
  });

  it('appends the detail to the message', () => {
    const error = VpcError.from('ERROR_PATH_NOT_FOUND', { detail: 'C:\\VMs\\base.vhd' });
    expect(error.detail).toBe('C:\\VMs\\base.vhd');
    expect(error.message).toBe(`${lookupByName('ERROR_PATH_NOT_FOUND').messages.en}: C:\\VMs\\base.vhd`);
  });

  it('speaks Spanish when asked, and can switch language keeping code, detail and cause', () => {
    const cause = new Error('disk gone');
    const spanish = VpcError.from('ERROR_DISK_FULL', { lang: 'es', detail: '/vm/a.vhd', cause });
    expect(spanish.language).toBe('es');
    expect(spanish.message).toBe(`${lookupByName('ERROR_DISK_FULL').messages.es}: /vm/a.vhd`);

    const english = spanish.inLanguage('en');
    expect(english.message).toBe(`${lookupByName('ERROR_DISK_FULL').messages.en}: /vm/a.vhd`);
    expect(english).toMatchObject({ code: 'ERROR_DISK_FULL', hresult: 0x80070070, detail: '/vm/a.vhd', language: 'en' });
    expect(english.cause).toBe(cause);
  });

  it('keeps the cause', () => {
    const cause = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    const error = VpcError.from('ERROR_DISK_FULL', { cause });
    expect(error.cause).toBe(cause);
  });

  it('serialises to {hresult, name, message}', () => {
    const error = VpcError.from('VM_E_IMAGE_SIZE_TOO_LARGE', { detail: '3000000 MB', cause: new Error('x') });
    expect(error.toJSON()).toEqual({ hresult: 0xa0040683, name: 'VM_E_IMAGE_SIZE_TOO_LARGE', message: error.message });
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      hresult: 2684618371,
      name: 'VM_E_IMAGE_SIZE_TOO_LARGE',
      message: `${lookupByName('VM_E_IMAGE_SIZE_TOO_LARGE').messages.en}: 3000000 MB`,
    });
  });

  it('is created from a value in unsigned or signed form', () => {
    expect(VpcError.from(0x80070003).code).toBe('ERROR_PATH_NOT_FOUND');
    expect(VpcError.from(-2147024893).code).toBe('ERROR_PATH_NOT_FOUND');
    expect(VpcError.from(HRESULTS.VM_E_PARENT_CHILD_ID_MISMATCH).hresult).toBe(0xa0040685);
  });

  it('refuses success codes, unknown values, unknown names and unknown languages', () => {
    expect(() => VpcError.from('S_OK')).toThrow(/success code/);
    expect(() => VpcError.from(0)).toThrow(RangeError);
    expect(() => VpcError.from(0x80004001)).toThrow(/0x80004001 is not in the Virtual PC catalogue/);
    expect(() => new VpcError('E_NOPE' as HresultName)).toThrow(/Unknown HRESULT name/);
    expect(() => VpcError.from('E_POINTER', { lang: 'de' as 'en' })).toThrow(/Unsupported language/);
  });

  it('can be created for every failure in the catalogue', () => {
    for (const [name, value] of Object.entries(HRESULTS) as [HresultName, number][]) {
      if (name === 'S_OK') continue;
      const error = VpcError.from(value, { lang: 'es' });
      expect(error.code).toBe(name);
      expect(error.message).toBe(lookupByName(name).messages.es);
    }
  });
});
