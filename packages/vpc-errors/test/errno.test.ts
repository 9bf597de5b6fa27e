import { mkdtemp, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CANCELLATION_NAME,
  entryForErrno,
  ERRNO_TO_HRESULT_NAME,
  HRESULTS,
  hresultFromErrno,
  lookupByName,
  VpcError,
  vpcErrorFromNodeError,
} from '../src/index.js';

// The mapping as specified: errno code → catalogue name → value.
const ERRNO_TABLE: ReadonlyArray<readonly [string, string, number]> = [
  ['ENOENT', 'ERROR_FILE_NOT_FOUND', 0x80070002],
  ['ENOTDIR', 'ERROR_PATH_NOT_FOUND', 0x80070003],
  ['EEXIST', 'ERROR_ALREADY_EXISTS', 0x800700b7],
  ['ENOSPC', 'ERROR_DISK_FULL', 0x80070070],
  ['EDQUOT', 'ERROR_DISK_FULL', 0x80070070],
  ['EROFS', 'ERROR_WRITE_PROTECT', 0x80070013],
  ['EACCES', 'ERROR_ACCESS_DENIED', 0x80070005],
  ['EPERM', 'ERROR_ACCESS_DENIED', 0x80070005],
  ['EISDIR', 'ERROR_ACCESS_DENIED', 0x80070005],
  ['ENAMETOOLONG', 'ERROR_FILENAME_EXCED_RANGE', 0x800700ce],
  ['EFBIG', 'VM_E_FILE_TOO_LARGE_FOR_VOLUME', 0xa0040679],
  ['EBUSY', 'ERROR_SHARING_VIOLATION', 0x80070020],
  ['ETXTBSY', 'ERROR_SHARING_VIOLATION', 0x80070020],
  ['EIO', 'ERROR_IO_DEVICE', 0x8007045d],
  ['EINVAL', 'E_INVALIDARG', 0x80070057],
  ['ENOTSUP', 'ERROR_NOT_SUPPORTED', 0x80070032],
  ['EOPNOTSUPP', 'ERROR_NOT_SUPPORTED', 0x80070032],
  ['EMFILE', 'ERROR_TOO_MANY_OPEN_FILES', 0x80070004],
  ['ENFILE', 'ERROR_TOO_MANY_OPEN_FILES', 0x80070004],
  ['ENOMEM', 'E_OUTOFMEMORY', 0x8007000e],
  ['ELOOP', 'ERROR_CANT_RESOLVE_FILENAME', 0x80070781],
  ['ABORT_ERR', 'ERROR_CANCELLED', 0x800704c7],
];

describe('errno mapping table', () => {
  it('maps exactly the specified codes', () => {
    const mapped = Object.keys(ERRNO_TO_HRESULT_NAME);
    expect(mapped).toHaveLength(ERRNO_TABLE.length);
    expect(new Set(mapped)).toEqual(new Set(ERRNO_TABLE.map(([code]) => code)));
  });

  it.each(ERRNO_TABLE)('%s → %s', (code, name, value) => {
    expect(entryForErrno(code)?.name).toBe(name);
    expect(hresultFromErrno(code)).toBe(value);
  });

  it('sends cancellation to the canonical cancellation code', () => {
    expect(CANCELLATION_NAME).toBe('ERROR_CANCELLED');
    expect(entryForErrno('ABORT_ERR')?.name).toBe(CANCELLATION_NAME);
  });

  it('treats unknown codes as DISP_E_EXCEPTION, and inherited object keys as unknown', () => {
    for (const code of ['EPIPE', 'ECONNRESET', '', 'toString', 'constructor', '__proto__']) {
      expect(entryForErrno(code), code).toBeUndefined();
      expect(hresultFromErrno(code), code).toBe(0x80020009);
    }
  });
});

async function failureOf(operation: () => Promise<unknown>): Promise<unknown> {
  try {
    await operation();
  } catch (error) {
    return error;
  }
  throw new Error('the operation was expected to fail');
}

describe('vpcErrorFromNodeError on real file-system failures', () => {
  let folder: string;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'vpc-errors-'));
    await writeFile(join(folder, 'file.vhd'), 'x');
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('ENOENT → ERROR_FILE_NOT_FOUND with the path as detail and the Node error as cause', async () => {
    const missing = join(folder, 'missing.vhd');
    const nodeError = await failureOf(() => readFile(missing));
    const error = vpcErrorFromNodeError(nodeError);
    expect(error.code).toBe('ERROR_FILE_NOT_FOUND');
    expect(error.hresult).toBe(0x80070002);
    expect(error.detail).toBe(missing);
    expect(error.message).toBe(`${lookupByName('ERROR_FILE_NOT_FOUND').messages.en}: ${missing}`);
    expect(error.cause).toBe(nodeError);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('ENOENT for a missing parent can be reported as the table’s ERROR_PATH_NOT_FOUND through overrides', async () => {
    const nodeError = await failureOf(() => readFile(join(folder, 'no-such-folder', 'parent.vhd')));
    const error = vpcErrorFromNodeError(nodeError, { overrides: { ENOENT: 'ERROR_PATH_NOT_FOUND' }, lang: 'es' });
    expect(error.code).toBe('ERROR_PATH_NOT_FOUND');
    expect(error.language).toBe('es');
    expect(error.message.startsWith(lookupByName('ERROR_PATH_NOT_FOUND').messages.es)).toBe(true);
  });

  it('EEXIST (exclusive create over an existing file) → ERROR_ALREADY_EXISTS', async () => {
    const nodeError = await failureOf(() => open(join(folder, 'file.vhd'), 'wx'));
    expect(vpcErrorFromNodeError(nodeError).hresult).toBe(HRESULTS.ERROR_ALREADY_EXISTS);
  });

  it('ENOTDIR (a file used as a folder) → ERROR_PATH_NOT_FOUND', async () => {
    const nodeError = await failureOf(() => readFile(join(folder, 'file.vhd', 'child.vhd')));
    expect((nodeError as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    expect(vpcErrorFromNodeError(nodeError).code).toBe('ERROR_PATH_NOT_FOUND');
  });

  it('EISDIR (a folder read as a file) → ERROR_ACCESS_DENIED', async () => {
    const subfolder = join(folder, 'sub');
    await mkdir(subfolder);
    const nodeError = await failureOf(() => readFile(subfolder));
    expect((nodeError as NodeJS.ErrnoException).code).toBe('EISDIR');
    expect(vpcErrorFromNodeError(nodeError).code).toBe('ERROR_ACCESS_DENIED');
  });

  it('an fs call aborted through an AbortSignal → ERROR_CANCELLED', async () => {
    const controller = new AbortController();
    controller.abort();
    const nodeError = await failureOf(() => readFile(join(folder, 'file.vhd'), { signal: controller.signal }));
    expect((nodeError as Error).name).toBe('AbortError');
    const error = vpcErrorFromNodeError(nodeError);
    expect(error.code).toBe(CANCELLATION_NAME);
    expect(error.hresult).toBe(0x800704c7);
  });

  it('a DOMException AbortError (signal.reason) → ERROR_CANCELLED', () => {
    const controller = new AbortController();
    controller.abort();
    expect(vpcErrorFromNodeError(controller.signal.reason).code).toBe('ERROR_CANCELLED');
  });
});

describe('vpcErrorFromNodeError on other values', () => {
  it('returns a VpcError unchanged', () => {
    const original = VpcError.from('VM_E_INVALID_HD_FILE');
    expect(vpcErrorFromNodeError(original)).toBe(original);
  });

  it('turns unknown errors and non-errors into DISP_E_EXCEPTION, keeping the cause', () => {
    for (const thrown of [new TypeError('boom'), Object.assign(new Error('pipe'), { code: 'EPIPE' }), 'text', 42, null, undefined]) {
      const error = vpcErrorFromNodeError(thrown);
      expect(error.code).toBe('DISP_E_EXCEPTION');
      expect(error.hresult).toBe(0x80020009);
      expect(error.cause).toBe(thrown);
      expect(error.detail).toBeUndefined();
    }
  });

  it('prefers an explicit detail over the error’s path', () => {
    const nodeError = Object.assign(new Error('no space'), { code: 'ENOSPC', path: '/tmp/a.vhd' });
    const error = vpcErrorFromNodeError(nodeError, { detail: 'child.vhd' });
    expect(error.code).toBe('ERROR_DISK_FULL');
    expect(error.detail).toBe('child.vhd');
  });
});
