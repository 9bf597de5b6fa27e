import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeBat, decodeBatInPlace } from '@vhdkit/vhd-format';
import { createDynamicDisk, openDisk, readImageMetadata } from '../src/index.js';
import { swapWordsNatively } from '../src/swap-words.js';

const folder = await mkdtemp(join(tmpdir(), 'vhdkit-swap-'));
afterAll(() => rm(folder, { recursive: true, force: true }));

describe('the native word swap handed to vhd-format', () => {
  it('swaps exactly like the loop, on a view into a larger buffer, leaving its neighbours alone (property)', () => {
    fc.assert(
      fc.property(fc.uint32Array({ maxLength: 1024 }), fc.nat(3), (words, offsetWords) => {
        const backing = new Uint32Array(words.length + offsetWords + 1).fill(0x11223344);
        const view = new Uint32Array(backing.buffer, offsetWords * 4, words.length);
        view.set(words);
        swapWordsNatively(view);
        expect([...view]).toEqual([...decodeBatInPlace(Uint32Array.from(words))]);
        expect([...backing.subarray(0, offsetWords), backing[words.length + offsetWords]]).toEqual(Array(offsetWords + 1).fill(0x11223344));
      }),
    );
  });

  it('decodes the table readImageMetadata and openDisk return, entry for entry as the file stores it', async () => {
    const path = join(folder, 'blocks.vhd');
    await createDynamicDisk(path, 64 * 2 ** 20);
    const disk = await openDisk(path, { writable: true });
    for (const offset of [5 * 2 ** 21, 0, 17 * 2 ** 21]) await disk.write(new Uint8Array(512).fill(7), offset);
    await disk.close();
    const file = await readFile(path);
    const metadata = await readImageMetadata(path);
    const { tableOffset, maxTableEntries } = metadata.header!;
    const expected = [...decodeBat(file.subarray(Number(tableOffset), Number(tableOffset) + maxTableEntries * 4), maxTableEntries)];
    expect([...metadata.bat!]).toEqual(expected);
    expect(expected.filter((entry) => entry !== 0xffffffff)).toHaveLength(3);
    const reopened = await openDisk(path);
    const read = new Uint8Array(512);
    await reopened.read(read, 17 * 2 ** 21);
    await reopened.close();
    expect(read.every((byte) => byte === 7)).toBe(true);
  });
});
