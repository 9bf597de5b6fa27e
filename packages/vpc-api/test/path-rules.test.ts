import { describe, expect, it } from 'vitest';
import { messageFor } from '@vhdkit/vpc-errors';
import { checkPathPair, checkSinglePath } from '../src/create/path-checks.js';
import { MAX_PATH_UTF16_UNITS, invalidCharacterProblem, isAbsolutePath, resolvePair } from '../src/paths/path-rules.js';
import type { PathStyle } from '../src/paths/path-style.js';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe('relative paths resolve against the folder of the other path, never the working directory', () => {
  const rows: { style: PathStyle; image: string; parent: string; expectImage: string; expectParent: string }[] = [
    { style: 'posix', image: 'diffs/child.vhd', parent: '/vms/base.vhd', expectImage: '/vms/diffs/child.vhd', expectParent: '/vms/base.vhd' },
    { style: 'posix', image: '/vms/child.vhd', parent: '../base/base.vhd', expectImage: '/vms/child.vhd', expectParent: '/base/base.vhd' },
    { style: 'posix', image: '../up/child.vhd', parent: '/vms/a/base.vhd', expectImage: '/vms/up/child.vhd', expectParent: '/vms/a/base.vhd' },
    { style: 'posix', image: '/vms/a/b/child.vhd', parent: '../../base.vhd', expectImage: '/vms/a/b/child.vhd', expectParent: '/vms/base.vhd' },
    { style: 'posix', image: './child.vhd', parent: '/vms/base.vhd', expectImage: '/vms/child.vhd', expectParent: '/vms/base.vhd' },
    { style: 'posix', image: '/vms//x/../child.vhd', parent: '/vms/./base.vhd', expectImage: '/vms/child.vhd', expectParent: '/vms/base.vhd' },
    { style: 'win32', image: 'diffs\\child.vhd', parent: 'C:\\vms\\base.vhd', expectImage: 'C:\\vms\\diffs\\child.vhd', expectParent: 'C:\\vms\\base.vhd' },
    { style: 'win32', image: 'C:\\vms\\child.vhd', parent: '..\\base\\base.vhd', expectImage: 'C:\\vms\\child.vhd', expectParent: 'C:\\base\\base.vhd' },
    { style: 'win32', image: 'child.vhd', parent: '\\\\server\\share\\vms\\base.vhd', expectImage: '\\\\server\\share\\vms\\child.vhd', expectParent: '\\\\server\\share\\vms\\base.vhd' },
    { style: 'win32', image: 'D:\\x\\child.vhd', parent: '..\\..\\..\\base.vhd', expectImage: 'D:\\x\\child.vhd', expectParent: 'D:\\base.vhd' },
  ];
  it.each(rows)('$style: ($image, $parent)', ({ style, image, parent, expectImage, expectParent }) => {
    expect(resolvePair(image, parent, style)).toEqual({ imagePath: expectImage, parentPath: expectParent });
    expect(checkPathPair(image, parent, style, 'en')).toEqual({ imagePath: expectImage, parentPath: expectParent });
  });

  it('does not depend on process.cwd()', () => {
    const before = resolvePair('child.vhd', '/vms/base.vhd', 'posix');
    const cwd = process.cwd();
    process.chdir('/tmp');
    try {
      expect(resolvePair('child.vhd', '/vms/base.vhd', 'posix')).toEqual(before);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('path rules in the documented order', () => {
  const long = `/${'a'.repeat(MAX_PATH_UTF16_UNITS - 1)}`; // exactly 260 units
  const rows: { name: string; style: PathStyle; image: unknown; parent: unknown; code: string | undefined }[] = [
    { name: 'null image', style: 'posix', image: null, parent: '/v/p.vhd', code: 'E_POINTER' },
    { name: 'undefined parent', style: 'posix', image: '/v/c.vhd', parent: undefined, code: 'E_POINTER' },
    { name: 'E_POINTER before an empty other path', style: 'posix', image: '', parent: null, code: 'E_POINTER' },
    { name: 'empty image', style: 'posix', image: '', parent: '/v/p.vhd', code: 'ERROR_BAD_PATHNAME' },
    { name: 'empty parent', style: 'win32', image: 'C:\\c.vhd', parent: '', code: 'ERROR_BAD_PATHNAME' },
    { name: 'a number is not a path', style: 'posix', image: 42, parent: '/v/p.vhd', code: 'ERROR_BAD_PATHNAME' },
    { name: 'both relative', style: 'posix', image: 'c.vhd', parent: 'p.vhd', code: 'ERROR_BAD_PATHNAME' },
    { name: 'both relative beats invalid characters', style: 'posix', image: 'c*.vhd', parent: 'p.vhd', code: 'ERROR_BAD_PATHNAME' },
    { name: 'win32 drive-relative', style: 'win32', image: 'C:c.vhd', parent: 'C:\\p.vhd', code: 'ERROR_BAD_PATHNAME' },
    { name: 'win32 both relative', style: 'win32', image: 'c.vhd', parent: '..\\p.vhd', code: 'ERROR_BAD_PATHNAME' },
    { name: 'win32 slash is invalid', style: 'win32', image: 'C:\\vms/c.vhd', parent: 'C:\\p.vhd', code: 'ERROR_INVALID_NAME' },
    { name: 'win32 colon after the drive', style: 'win32', image: 'C:\\vms\\a:b.vhd', parent: 'C:\\p.vhd', code: 'ERROR_INVALID_NAME' },
    { name: 'posix colon', style: 'posix', image: '/vms/a:b.vhd', parent: '/p.vhd', code: 'ERROR_INVALID_NAME' },
    { name: 'posix backslash', style: 'posix', image: '/vms/a\\b.vhd', parent: '/p.vhd', code: 'ERROR_INVALID_NAME' },
    { name: 'question mark in the parent', style: 'posix', image: '/c.vhd', parent: '/p?.vhd', code: 'ERROR_INVALID_NAME' },
    ...['"', '*', '?', '<', '>', '|', '\u0000', '\u0001', '\u001f'].map((character) => ({
      name: `forbidden ${JSON.stringify(character)}`, style: 'posix' as const, image: `/vms/a${character}b.vhd`, parent: '/p.vhd', code: 'ERROR_INVALID_NAME',
    })),
    { name: '260 units after resolution', style: 'posix', image: long, parent: '/p.vhd', code: 'ERROR_BUFFER_OVERFLOW' },
    { name: '259 units is fine', style: 'posix', image: long.slice(0, -1), parent: '/p.vhd', code: undefined },
    { name: 'resolution makes it long', style: 'posix', image: 'b'.repeat(250), parent: '/vmsfolder/p.vhd', code: 'ERROR_BUFFER_OVERFLOW' },
    { name: 'UTF-16 units, not bytes: 250 × "€" fits', style: 'posix', image: `/${'€'.repeat(250)}`, parent: '/p.vhd', code: undefined },
    { name: 'astral characters count twice', style: 'posix', image: `/${'😀'.repeat(130)}`, parent: '/p.vhd', code: 'ERROR_BUFFER_OVERFLOW' },
    // A trailing separator names a folder: Windows refuses a file through it (ERROR_INVALID_NAME).
    { name: 'posix image ending in /', style: 'posix', image: '/d/newdir/', parent: '/d/p.vhd', code: 'ERROR_INVALID_NAME' },
    { name: 'posix parent ending in /', style: 'posix', image: '/d/c.vhd', parent: '/d/p.vhd/', code: 'ERROR_INVALID_NAME' },
    { name: 'relative image ending in /', style: 'posix', image: 'newdir/', parent: '/d/p.vhd', code: 'ERROR_INVALID_NAME' },
    { name: 'win32 image ending in \\', style: 'win32', image: 'C:\\vms\\c.vhd\\', parent: 'C:\\p.vhd', code: 'ERROR_INVALID_NAME' },
    { name: 'win32 parent ending in \\', style: 'win32', image: 'C:\\vms\\c.vhd', parent: 'C:\\p.vhd\\', code: 'ERROR_INVALID_NAME' },
    { name: 'win32 UNC share root', style: 'win32', image: '\\\\server\\share\\', parent: 'C:\\p.vhd', code: 'ERROR_INVALID_NAME' },
    { name: 'both relative beats a trailing separator', style: 'posix', image: 'c/', parent: 'p.vhd', code: 'ERROR_BAD_PATHNAME' },
    { name: 'invalid name beats too long', style: 'posix', image: `${long}*`, parent: '/p.vhd', code: 'ERROR_INVALID_NAME' },
  ];
  it.each(rows)('$name → $code', ({ style, image, parent, code }) => {
    expect(codeOf(() => checkPathPair(image, parent, style, 'en'))).toBe(code);
  });

  it('a single path (fixed/dynamic) must be absolute', () => {
    expect(codeOf(() => checkSinglePath('disk.vhd', 'posix', 'en'))).toBe('ERROR_BAD_PATHNAME');
    expect(codeOf(() => checkSinglePath(undefined, 'posix', 'en'))).toBe('E_POINTER');
    expect(codeOf(() => checkSinglePath('/a|b.vhd', 'posix', 'en'))).toBe('ERROR_INVALID_NAME');
    expect(checkSinglePath('/a/./b.vhd', 'posix', 'en')).toBe('/a/b.vhd');
    expect(codeOf(() => checkSinglePath('/d/newdir/', 'posix', 'en'))).toBe('ERROR_INVALID_NAME');
    expect(codeOf(() => checkSinglePath('C:\\vms\\c.vhd\\', 'win32', 'en'))).toBe('ERROR_INVALID_NAME');
    expect(codeOf(() => checkSinglePath('/', 'posix', 'en'))).toBe('ERROR_INVALID_NAME');
    expect(checkSinglePath('C:\\a\\..\\b.vhd', 'win32', 'en')).toBe('C:\\b.vhd');
  });

  it('messages name the character and its position, in the chosen language', () => {
    try {
      checkPathPair('/vms/a*b.vhd', '/p.vhd', 'posix', 'es');
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toContain('"*" en la posición 6');
      expect((error as { hresult: number }).hresult).toBe(0x8007007b);
    }
  });

  it('drive letters are roots only under win32', () => {
    expect(isAbsolutePath('C:\\x', 'win32')).toBe(true);
    expect(isAbsolutePath('C:x', 'win32')).toBe(false);
    expect(invalidCharacterProblem('C:\\x', 'win32')).toBeUndefined();
    expect(invalidCharacterProblem('C:\\x', 'posix')).toEqual({ kind: 'invalid-character', character: ':', index: 1 });
  });
});

describe('a VirtualPC reading the other platform\'s paths', { timeout: 30_000 }, () => {
  it('applies every path rule, then refuses file work with ERROR_NOT_SUPPORTED', async () => {
    const { VirtualPC } = await import('../src/virtual-pc.js');
    const foreign = process.platform === 'win32' ? 'posix' : 'win32';
    const vpc = new VirtualPC({ pathStyle: foreign });
    if (foreign === 'win32') {
      await expect(vpc.createDifferencingVirtualHardDisk('C:\\vms/c.vhd', 'C:\\vms\\p.vhd')).rejects.toMatchObject({ code: 'ERROR_INVALID_NAME' });
      await expect(vpc.createDifferencingVirtualHardDisk('c.vhd', 'p.vhd')).rejects.toMatchObject({ code: 'ERROR_BAD_PATHNAME' });
      // C:\vms\c.vhd\ names a folder, not the file C:\vms\c.vhd (resolution would drop the separator).
      await expect(vpc.createDifferencingVirtualHardDisk('C:\\vms\\c.vhd\\', 'C:\\vms\\p.vhd')).rejects.toMatchObject({ code: 'ERROR_INVALID_NAME' });
      await expect(vpc.createDifferencingVirtualHardDisk('C:\\vms\\c.vhd', 'C:\\vms\\p.vhd\\')).rejects.toMatchObject({ code: 'ERROR_INVALID_NAME' });
      await expect(vpc.createFixedVirtualHardDisk('C:\\vms\\f.vhd\\', 8 * 1024 * 1024)).rejects.toMatchObject({ code: 'ERROR_INVALID_NAME' });
      await expect(vpc.createDifferencingVirtualHardDisk('diffs\\c.vhd', 'C:\\vms\\p.vhd')).rejects.toMatchObject({ code: 'ERROR_NOT_SUPPORTED' });
      await expect(vpc.createFixedVirtualHardDisk('C:\\vms\\f.vhd', 8 * 1024 * 1024)).rejects.toMatchObject({ code: 'ERROR_NOT_SUPPORTED' });
      // Resolution happened first: the message names the resolved child path; in Spanish, too.
      await expect(vpc.createDifferencingVirtualHardDisk('diffs\\c.vhd', 'C:\\vms\\p.vhd')).rejects.toMatchObject({
        message: `${messageFor('ERROR_NOT_SUPPORTED', 'en')}: win32 path C:\\vms\\diffs\\c.vhd on ${process.platform}`,
      });
      const spanish = new VirtualPC({ pathStyle: foreign, language: 'es' });
      await expect(spanish.createFixedVirtualHardDisk('C:\\vms\\f.vhd', 8 * 1024 * 1024)).rejects.toMatchObject({
        message: `${messageFor('ERROR_NOT_SUPPORTED', 'es')}: ruta win32 C:\\vms\\f.vhd en ${process.platform}`,
      });
    }
    expect(vpc.pathStyle).toBe(foreign);
  });
});
