import { posix, win32 } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { windowsAbsolutePath, windowsRelativePath } from '../src/index.js';
import { locatorPathProblem } from '../src/paths.js';

describe('windowsRelativePath (the W2ru locator)', () => {
  it.each([
    ['parent beside the child', '/vm', '/vm/p.vhd', '.\\p.vhd'],
    ['parent in a subfolder', '/vm', '/vm/base/p.vhd', '.\\base\\p.vhd'],
    ['parent one folder up', '/vm/kids', '/vm/p.vhd', '..\\p.vhd'],
    ['parent in a sibling folder', '/vm/kids', '/vm/base/p.vhd', '..\\base\\p.vhd'],
    ['parent two folders up and down', '/a/b/c', '/a/x/y/p.vhd', '..\\..\\x\\y\\p.vhd'],
    ['trailing separator and dots are normalised', '/vm/./kids/', '/vm/kids/../p.vhd', '..\\p.vhd'],
  ])('POSIX: %s', (_label, fromFolder, toFile, expected) => {
    expect(windowsRelativePath(fromFolder, toFile)).toBe(expected);
  });

  it.each([
    ['same drive, same folder', 'C:\\vms', 'C:\\vms\\p.vhd', '.\\p.vhd'],
    ['same drive, sibling folder', 'C:\\vms\\kids', 'C:\\vms\\base\\p.vhd', '..\\base\\p.vhd'],
    ['drive letters compare case-insensitively', 'c:\\VMs', 'C:\\vms\\Base\\p.vhd', '.\\Base\\p.vhd'],
    ['forward slashes in Windows paths', 'C:/vms', 'C:/vms/p.vhd', '.\\p.vhd'],
    ['same UNC share', '\\\\srv\\share\\kids', '\\\\srv\\share\\p.vhd', '..\\p.vhd'],
    ['from the root of a UNC share', '\\\\srv\\share', '\\\\SRV\\share\\base\\p.vhd', '.\\base\\p.vhd'],
  ])('Windows: %s', (_label, fromFolder, toFile, expected) => {
    expect(windowsRelativePath(fromFolder, toFile)).toBe(expected);
  });

  it.each([
    ['different drive letters', 'C:\\vms', 'D:\\base\\p.vhd'],
    ['different UNC shares', '\\\\srv\\one', '\\\\srv\\two\\p.vhd'],
    ['a Windows folder and a POSIX file', 'C:\\vms', '/srv/p.vhd'],
    ['a POSIX folder and a Windows file', '/srv', 'D:\\p.vhd'],
  ])('no relative path across roots: %s', (_label, fromFolder, toFile) => {
    expect(windowsRelativePath(fromFolder, toFile)).toBeUndefined();
  });
});

describe('windowsAbsolutePath (the W2ku locator)', () => {
  it('writes a POSIX path with backslash separators (the Windows form of a rooted path)', () => {
    expect(windowsAbsolutePath('/srv/vm/p.vhd')).toBe('\\srv\\vm\\p.vhd');
    expect(windowsAbsolutePath('/srv/vm/../base/./p.vhd')).toBe('\\srv\\base\\p.vhd');
  });

  it('keeps Windows paths as Windows paths, normalised', () => {
    expect(windowsAbsolutePath('C:\\vms\\p.vhd')).toBe('C:\\vms\\p.vhd');
    expect(windowsAbsolutePath('C:/vms/x/../p.vhd')).toBe('C:\\vms\\p.vhd');
    expect(windowsAbsolutePath('\\\\srv\\share\\p.vhd')).toBe('\\\\srv\\share\\p.vhd');
  });

  it('resolves a relative POSIX path against the working folder', () => {
    expect(windowsAbsolutePath('p.vhd')).toBe(`${process.cwd()}/p.vhd`.split('/').join('\\'));
  });
});

describe('locatorPathProblem', () => {
  it('refuses POSIX names containing a backslash, which a locator would read as a separator', () => {
    expect(locatorPathProblem('/srv/odd\\name.vhd')).toMatch(/contains '\\'/);
    expect(locatorPathProblem('/srv/plain.vhd')).toBeUndefined();
    expect(locatorPathProblem('C:\\vms\\p.vhd')).toBeUndefined();
  });
});

describe('laws', () => {
  const segment = fc.constantFrom('a', 'b', 'vm', 'base', 'kids', 'x y', 'ü');
  const folder = fc.array(segment, { maxLength: 4 }).map((parts) => `/${parts.join('/')}`);
  const file = fc.tuple(folder, fc.constantFrom('p.vhd', 'parent.vhd', 'ä b.vhd')).map(([dir, name]) => posix.join(dir, name));

  it('POSIX: the relative locator, read back with \\ as /, leads from the folder to the file', () => {
    fc.assert(
      fc.property(folder, file, (fromFolder, toFile) => {
        const relative = windowsRelativePath(fromFolder, toFile)!;
        expect(relative).toMatch(/^(\.\\|\.\.\\)/);
        expect(relative).not.toContain('/');
        expect(posix.resolve(fromFolder, relative.replaceAll('\\', '/'))).toBe(toFile);
      }),
    );
  });

  it('Windows: the same on one drive, and undefined across drives', () => {
    const drive = fc.constantFrom('C:', 'D:');
    fc.assert(
      fc.property(drive, folder, drive, file, (fromDrive, fromFolder, toDrive, toFile) => {
        const from = win32.normalize(`${fromDrive}${fromFolder}`);
        const to = win32.normalize(`${toDrive}${toFile}`);
        const relative = windowsRelativePath(from, to);
        if (fromDrive === toDrive) {
          expect(win32.resolve(from, relative!)).toBe(to);
        } else {
          expect(relative).toBeUndefined();
        }
      }),
    );
  });

  it('the absolute locator of a POSIX path, read back with \\ as /, is the path', () => {
    fc.assert(
      fc.property(file, (path) => {
        expect(windowsAbsolutePath(path).replaceAll('\\', '/')).toBe(path);
      }),
    );
  });
});
