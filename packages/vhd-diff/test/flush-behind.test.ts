import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { testFolder } from '@vhdkit/test-support';
import { FlushBehind } from '../src/flush-behind.js';

const folder = testFolder('vhdkit-flush-behind-');

/** A handle whose datasync calls are counted and finished by the test. */
function countingHandle(): { handle: FileHandle; started: () => number; finish: (error?: Error) => void } {
  const pending: { resolve: () => void; reject: (error: Error) => void }[] = [];
  let started = 0;
  const handle = {
    datasync: () =>
      new Promise<void>((resolve, reject) => {
        started++;
        pending.push({ resolve, reject });
      }),
  } as unknown as FileHandle;
  return {
    handle,
    started: () => started,
    finish: (error) => {
      const next = pending.shift()!;
      if (error) next.reject(error);
      else next.resolve();
    },
  };
}

describe('FlushBehind', () => {
  it('starts one flush per threshold of bytes written, never two at once', async () => {
    const { handle, started, finish } = countingHandle();
    const flushBehind = new FlushBehind(handle, 100);
    flushBehind.wrote(99);
    expect(started()).toBe(0);
    flushBehind.wrote(1);
    expect(started()).toBe(1);
    flushBehind.wrote(500); // the first is still running
    expect(started()).toBe(1);
    finish();
    await Promise.resolve();
    await Promise.resolve();
    flushBehind.wrote(100);
    expect(started()).toBe(2);
    const settled = flushBehind.settle();
    finish();
    await settled;
  });

  it('settle() fails with what an early flush failed with, even once it is over', async () => {
    const { handle, finish } = countingHandle();
    const flushBehind = new FlushBehind(handle, 10);
    flushBehind.wrote(10);
    const failure = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    finish(failure);
    await expect(flushBehind.settle()).rejects.toBe(failure);
    await expect(flushBehind.settle()).rejects.toBe(failure);
  });

  it('flushes a real file while it is written, and the file keeps every byte', async () => {
    const path = folder.nextPath('bulk.bin');
    const handle = await open(path, 'wx');
    try {
      const flushBehind = new FlushBehind(handle, 64 * 1024);
      const chunk = new Uint8Array(64 * 1024).fill(0x5a);
      for (let index = 0; index < 8; index++) {
        await handle.write(chunk, 0, chunk.length, index * chunk.length);
        flushBehind.wrote(chunk.length);
      }
      await flushBehind.settle();
      expect((await handle.stat()).size).toBe(8 * chunk.length);
    } finally {
      await handle.close();
    }
  });
});
