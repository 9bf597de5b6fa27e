import { execFileSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { testFolder } from '@vhdkit/test-support';
import { check, createDifferencingDisk, createDynamicDisk, openDisk, readImageMetadata, repair } from '../src/index.js';
import { MiB } from './helpers/chain-images.js';
import { expectVhdIoError } from './helpers/disk-io.js';

const folder = testFolder('vhd-diff-hostile-');

/** A named pipe nobody writes to: a blocking open() of it would wait forever in the thread pool. */
function makeFifo(name: string): string {
  const path = folder.nextPath(name);
  execFileSync('mkfifo', [path]);
  return path;
}

describe('special files are refused at once, never waited on', () => {
  it('a FIFO as the image: metadata, open (read-only and writable), check and repair say NOT_A_VHD', async () => {
    const fifo = makeFifo('image.vhd');
    for (const attempt of [
      () => readImageMetadata(fifo),
      () => openDisk(fifo),
      () => openDisk(fifo, { writable: true }),
      () => check(fifo),
      () => repair(fifo),
    ]) {
      const error = await expectVhdIoError(attempt(), 'NOT_A_VHD');
      expect(error.params?.reason).toBe('not-a-file');
    }
  });

  it('a FIFO as the parent: creation refuses it and leaves no child; an explicit parent path refuses it too', async () => {
    const fifo = makeFifo('parent.vhd');
    const dir = await folder.nextFolder();
    await expectVhdIoError(createDifferencingDisk(`${dir}/child.vhd`, fifo), 'NOT_A_VHD');
    expect(await readdir(dir)).toEqual([]);

    const parent = folder.nextPath('real-parent.vhd');
    await createDynamicDisk(parent, 8 * MiB);
    const child = folder.nextPath('child.vhd');
    await createDifferencingDisk(child, parent);
    await expectVhdIoError(openDisk(child, { parentPath: fifo, timestampMismatch: 'accept' }), 'NOT_A_VHD');
  });

  it('a character device (/dev/zero) is not an image either', async () => {
    await expectVhdIoError(readImageMetadata('/dev/zero'), 'NOT_A_VHD');
    await expectVhdIoError(openDisk('/dev/zero', { writable: true }), 'NOT_A_VHD');
  });
});
