import { link, mkdir, readFile, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '@vhdkit/test-support';
import { VhdIoError } from '../src/index.js';
import { publishNewFile, temporaryPathFor, type PublishFileSystem } from '../src/publish.js';
import { listFolder } from './create-support.js';

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

const writeText = (text: string) => async (handle: FileHandle) => {
  await handle.write(text);
};

let folder: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  folder = await tempDir('vhd-diff-publish-');
});
afterAll(() => folder.cleanup());

describe('temporaryPathFor', () => {
  it('names a hidden, unique .tmp file in the destination folder, with its owner (host tag and pid)', () => {
    const first = temporaryPathFor('/srv/vm/disk.vhd');
    const second = temporaryPathFor('/srv/vm/disk.vhd');
    expect(dirname(first)).toBe('/srv/vm');
    expect(basename(first)).toMatch(new RegExp(`^\\.disk\\.vhd\\.[0-9a-f]{8}-${process.pid}\\.[0-9a-f]{12}\\.tmp$`));
    expect(first).not.toBe(second);
  });

  it('keeps the name within file-system limits for very long destination names', () => {
    expect(basename(temporaryPathFor(`/srv/${'n'.repeat(250)}.vhd`)).length).toBeLessThanOrEqual(255);
  });
});

describe('publishNewFile', () => {
  it('publishes the content under the name with hard links, leaving no temporary file', async () => {
    const target = join(folder.path, 'linked.txt');
    await publishNewFile(target, writeText('content'));
    expect(await readFile(target, 'utf8')).toBe('content');
    expect((await listFolder(folder.path)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('falls back to an exclusive placeholder + rename where hard links are unsupported', async () => {
    const target = join(folder.path, 'renamed.txt');
    const calls: string[] = [];
    const noLinks: PublishFileSystem = {
      link: async () => {
        calls.push('link');
        throw errno('EPERM');
      },
      rename: async (from, to) => {
        calls.push('rename');
        // The placeholder holds the name (and is empty) when the rename happens.
        expect(await readFile(to, 'utf8')).toBe('');
        await rename(from, to);
      },
    };
    await publishNewFile(target, writeText('via rename'), { fileSystem: noLinks });
    expect(calls).toEqual(['link', 'rename']);
    expect(await readFile(target, 'utf8')).toBe('via rename');
    expect((await listFolder(folder.path)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('the fallback never replaces a file that took the name meanwhile', async () => {
    const dir = join(folder.path, 'fallback-race');
    await mkdir(dir);
    const target = join(dir, 'd.txt');
    const noLinks: PublishFileSystem = {
      link: async () => {
        await writeFile(target, 'theirs'); // appears between our check and publication
        throw errno('ENOTSUP');
      },
      rename,
    };
    const error = await publishNewFile(target, writeText('ours'), { fileSystem: noLinks }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(VhdIoError);
    expect((error as VhdIoError).code).toBe('ALREADY_EXISTS');
    expect(await readFile(target, 'utf8')).toBe('theirs');
    expect(await listFolder(dir)).toEqual(['d.txt']);
  });

  it('a failing rename in the fallback removes its placeholder and the temporary file', async () => {
    const dir = join(folder.path, 'rename-fails');
    await mkdir(dir);
    const broken: PublishFileSystem = {
      link: async () => {
        throw errno('EPERM');
      },
      rename: async () => {
        throw errno('EIO');
      },
    };
    const error = await publishNewFile(join(dir, 'd.txt'), writeText('x'), { fileSystem: broken }).catch((reason: unknown) => reason);
    expect((error as VhdIoError).code).toBe('IO');
    expect(((error as VhdIoError).cause as NodeJS.ErrnoException).code).toBe('EIO');
    expect(await listFolder(dir)).toEqual([]);
  });

  it('any other link failure is an IO error, with nothing left behind', async () => {
    const dir = join(folder.path, 'link-fails');
    await mkdir(dir);
    const failing: PublishFileSystem = {
      link: async () => {
        throw errno('EIO');
      },
      rename,
    };
    const error = await publishNewFile(join(dir, 'd.txt'), writeText('x'), { fileSystem: failing }).catch((reason: unknown) => reason);
    expect((error as VhdIoError).code).toBe('IO');
    expect(await listFolder(dir)).toEqual([]);
  });

  it('link EEXIST (lost race) is ALREADY_EXISTS, the other file intact', async () => {
    const dir = join(folder.path, 'link-race');
    await mkdir(dir);
    const target = join(dir, 'd.txt');
    const racing: PublishFileSystem = {
      link: async (from, to) => {
        await writeFile(to, 'winner');
        await link(from, to);
      },
      rename,
    };
    const error = await publishNewFile(target, writeText('loser'), { fileSystem: racing }).catch((reason: unknown) => reason);
    expect((error as VhdIoError).code).toBe('ALREADY_EXISTS');
    expect(((error as VhdIoError).cause as NodeJS.ErrnoException).code).toBe('EEXIST');
    expect(await readFile(target, 'utf8')).toBe('winner');
    expect(await listFolder(dir)).toEqual(['d.txt']);
  });

  it('a failure while writing removes the temporary file', async () => {
    const dir = join(folder.path, 'write-fails');
    await mkdir(dir);
    const error = await publishNewFile(join(dir, 'd.txt'), async (handle) => {
      await handle.write('partial');
      throw errno('ENOSPC');
    }).catch((reason: unknown) => reason);
    expect((error as VhdIoError).code).toBe('IO');
    expect(((error as VhdIoError).cause as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(await listFolder(dir)).toEqual([]);
  });
});
