import { execFileSync } from 'node:child_process';
import { mkdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, withSmallVolume } from '@vhdkit/test-support';
import {
  VhdIoError,
  createDifferencingDisk,
  createDynamicDisk,
  createFixedDisk,
  readImageMetadata,
  type CreateOptions,
  type WriteProgress,
} from '../src/index.js';
import { fingerprint, listFolder } from './create-support.js';
import { expectVhdIoError } from './helpers/disk-io.js';

const MiB = 1024 * 1024;
const HUGE = 2040 * 1024 * MiB;

let folder: { path: string; cleanup: () => Promise<void> };
let parentPath: string;
beforeAll(async () => {
  folder = await tempDir('vhd-diff-safety-');
  parentPath = join(folder.path, 'parent.vhd');
  // 2040 GiB: a 4 MiB BAT, so the child is written in many chunks and there is a "middle" to abort in.
  await createDynamicDisk(parentPath, HUGE);
});
afterAll(() => folder.cleanup());

async function freshFolder(name: string): Promise<string> {
  const dir = join(folder.path, name);
  await mkdir(dir);
  return dir;
}

type Creator = (path: string, options: CreateOptions) => Promise<unknown>;
const creators: { name: string; create: Creator }[] = [
  { name: 'createDifferencingDisk', create: (path, options) => createDifferencingDisk(path, parentPath, options) },
  { name: 'createDynamicDisk', create: (path, options) => createDynamicDisk(path, HUGE, options) },
  { name: 'createFixedDisk', create: (path, options) => createFixedDisk(path, HUGE, options) },
];

describe('progress', () => {
  it.each(creators)('$name reports from 0 to the total, increasing, ending at the file\'s written bytes', async ({ name, create }) => {
    const dir = await freshFolder(`progress-${name}`);
    const reports: WriteProgress[] = [];
    await create(join(dir, 'd.vhd'), { onProgress: (progress) => reports.push({ ...progress }) });
    const total = reports[0]!.totalBytes;
    expect(reports[0]).toEqual({ bytesWritten: 0, totalBytes: total });
    expect(reports.at(-1)).toEqual({ bytesWritten: total, totalBytes: total });
    expect(reports.every((report) => report.totalBytes === total)).toBe(true);
    for (let index = 1; index < reports.length; index++) {
      expect(reports[index]!.bytesWritten).toBeGreaterThan(reports[index - 1]!.bytesWritten);
      // Bounded chunks: never more than 64 KiB between two reports.
      expect(reports[index]!.bytesWritten - reports[index - 1]!.bytesWritten).toBeLessThanOrEqual(64 * 1024);
    }
    const metadata = await readImageMetadata(join(dir, 'd.vhd'), { bat: false });
    // A fixed disk writes only its footer (the data area is a hole); the others write every byte.
    expect(total).toBe(name === 'createFixedDisk' ? 512 : metadata.fileSize);
  });
});

describe('abort', () => {
  it.each(creators)('$name: an already-aborted signal refuses at once', async ({ name, create }) => {
    const dir = await freshFolder(`pre-abort-${name}`);
    const reason = new Error('user gave up');
    const error = await expectVhdIoError(create(join(dir, 'd.vhd'), { signal: AbortSignal.abort(reason) }));
    expect(error.code).toBe('ABORTED');
    expect(error.cause).toBe(reason);
    expect(await listFolder(dir)).toEqual([]);
  });

  const points: { label: string; when: (progress: WriteProgress) => boolean }[] = [
    { label: 'before the first byte', when: (progress) => progress.bytesWritten === 0 },
    { label: 'after the first chunk', when: (progress) => progress.bytesWritten > 0 },
    { label: 'in the middle of the BAT', when: (progress) => progress.bytesWritten >= progress.totalBytes / 2 },
    { label: 'after the last byte, before publishing', when: (progress) => progress.bytesWritten === progress.totalBytes },
  ];
  for (const { name, create } of creators) {
    it.each(points)(`${name}: aborting $label leaves no file and no temporary file`, async ({ label, when }) => {
      const dir = await freshFolder(`abort-${name}-${label.replaceAll(' ', '-')}`);
      const controller = new AbortController();
      let abortedAt: WriteProgress | undefined;
      const error = await expectVhdIoError(
        create(join(dir, 'd.vhd'), {
          signal: controller.signal,
          onProgress: (progress) => {
            if (!abortedAt && when(progress)) {
              abortedAt = { ...progress };
              controller.abort();
            }
          },
        }),
      );
      expect(abortedAt).toBeDefined();
      expect(error.code).toBe('ABORTED');
      expect(error.path).toBe(resolve(dir, 'd.vhd'));
      expect(await listFolder(dir)).toEqual([]);
    });
  }

  it('an exception thrown by the progress callback propagates unchanged and cleans up', async () => {
    const dir = await freshFolder('throwing-progress');
    const failure = new TypeError('callback bug');
    const error = await createDifferencingDisk(join(dir, 'd.vhd'), parentPath, {
      onProgress: (progress) => {
        if (progress.bytesWritten > 100_000) throw failure;
      },
    }).catch((reason: unknown) => reason);
    expect(error).toBe(failure);
    expect(await listFolder(dir)).toEqual([]);
  });
});

describe('never replacing a file', () => {
  it('8 concurrent creations of one path: exactly one wins, the others get ALREADY_EXISTS', async () => {
    const dir = await freshFolder('race');
    const target = join(dir, 'child.vhd');
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => createDifferencingDisk(target, parentPath)));
    const winners = results.filter((result) => result.status === 'fulfilled');
    const losers = results.filter((result) => result.status === 'rejected');
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(7);
    for (const loser of losers) {
      expect(loser.reason).toBeInstanceOf(VhdIoError);
      expect((loser.reason as VhdIoError).code).toBe('ALREADY_EXISTS');
    }
    const metadata = await readImageMetadata(target, { strict: true });
    expect(metadata.footer.uniqueId).toEqual(winners[0]!.value.uniqueId);
    expect(metadata.fileSize).toBe(winners[0]!.value.fileSize);
    expect(await listFolder(dir)).toEqual(['child.vhd']);
  });

  it.each(creators)('$name refuses an existing file and leaves it byte for byte', async ({ name, create }) => {
    const dir = await freshFolder(`existing-${name}`);
    await writeFile(join(dir, 'd.vhd'), 'precious data');
    const error = await expectVhdIoError(create(join(dir, 'd.vhd'), {}));
    expect(error.code).toBe('ALREADY_EXISTS');
    expect(await readFile(join(dir, 'd.vhd'), 'utf8')).toBe('precious data');
    expect(await listFolder(dir)).toEqual(['d.vhd']);
  });

  it('refuses a dangling symbolic link at the path (and creates nothing at its target)', async () => {
    const dir = await freshFolder('symlink');
    await symlink(join(dir, 'target.vhd'), join(dir, 'd.vhd'));
    const error = await expectVhdIoError(createDifferencingDisk(join(dir, 'd.vhd'), parentPath));
    expect(error.code).toBe('ALREADY_EXISTS');
    expect(await readlink(join(dir, 'd.vhd'))).toBe(join(dir, 'target.vhd'));
    expect(await listFolder(dir)).toEqual(['d.vhd']);
  });

  it('a file that appears while the child is being written wins; ours is dropped with ALREADY_EXISTS', async () => {
    const dir = await freshFolder('late-arrival');
    let planted = false;
    const error = await expectVhdIoError(
      createDifferencingDisk(join(dir, 'd.vhd'), parentPath, {
        onProgress: (progress) => {
          if (!planted && progress.bytesWritten > 0) {
            planted = true;
            execFileSync('sh', ['-c', `printf other > "${join(dir, 'd.vhd')}"`]);
          }
        },
      }),
    );
    expect(error.code).toBe('ALREADY_EXISTS');
    expect(await readFile(join(dir, 'd.vhd'), 'utf8')).toBe('other');
    expect(await listFolder(dir)).toEqual(['d.vhd']);
  });

  it('the parent is unchanged by all of the above', async () => {
    const before = await fingerprint(parentPath);
    await createDifferencingDisk(join(await freshFolder('unchanged'), 'c.vhd'), parentPath);
    expect(await fingerprint(parentPath)).toEqual(before);
  });
});

/** A 1 MiB tmpfs: too small for the 4 MiB BAT of a 2040 GiB image, so writing fails with ENOSPC. */
async function withTinyVolume(use: (dir: string) => Promise<void>): Promise<void> {
  await withSmallVolume(await freshFolder(`tiny-${Math.random().toString(16).slice(2)}`), 2 ** 20, use);
}

describe('a failing write', () => {
  it.each(creators.filter(({ name }) => name !== 'createFixedDisk'))(
    '$name on a full volume: IO with ENOSPC as the cause, nothing left behind',
    async ({ create }) => {
      await withTinyVolume(async (dir) => {
        const error = await expectVhdIoError(create(join(dir, 'd.vhd'), {}));
        expect(error.code).toBe('IO');
        expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOSPC');
        expect(await listFolder(dir)).toEqual([]);
      });
    },
  );

  it('createFixedDisk fits on a tiny volume: only the footer takes space', async () => {
    await withTinyVolume(async (dir) => {
      const created = await createFixedDisk(join(dir, 'd.vhd'), HUGE);
      expect(created.fileSize).toBe(HUGE + 512);
      expect(await listFolder(dir)).toEqual(['d.vhd']);
    });
  });
});
