/**
 * The README's claim that 7-Zip reads every block size we write: chains of four levels (a dynamic base and three
 * differencing children, all in one folder, where 7-Zip on Linux finds parents) with blocks from 512 B to 256 KiB,
 * each level extracted by `7zz x -tvhd` and compared with an independent model of the chain.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { interop, run, testFolder } from '@vhdkit/test-support';
import { createDifferencingDisk, createDynamicDisk, openDisk } from '../src/index.js';
import { KiB, MiB, patternBytes } from './helpers/chain-images.js';
import { ChainModel, firstDifference } from './helpers/chain-model.js';

const sevenZip = interop('7zz');
const folder = testFolder('vhdkit-7zip-blocks-');

describe.skipIf(!sevenZip.available)('7-Zip reads chains with small blocks', { timeout: 60_000 }, () => {
  for (const blockSize of [512, 4 * KiB, 64 * KiB, 256 * KiB]) {
    it(`${blockSize}-byte blocks, four levels`, async () => {
      const sizeBytes = 2 * MiB;
      const caseFolder = await folder.nextFolder();
      const paths = ['base.vhd', 'child.vhd', 'grandchild.vhd', 'great.vhd'].map((name) => join(caseFolder, name));
      await createDynamicDisk(paths[0]!, sizeBytes, { blockSize });
      for (let layer = 1; layer < paths.length; layer++) await createDifferencingDisk(paths[layer]!, paths[layer - 1]!);
      const model = new ChainModel(sizeBytes, paths.length);
      const writes: [layer: number, offset: number, length: number][] = [
        [0, 1000, 300 * KiB],
        [1, 200 * KiB + 3, 5000],
        [1, MiB - 100, 700],
        [2, 513, 1500],
        [2, 1500 * KiB, 64 * KiB + 1],
        [3, 0, 100],
        [3, 2 * MiB - 600, 600],
      ];
      for (const [index, [layer, offset, length]] of writes.entries()) {
        const bytes = patternBytes(length, index + 1);
        const disk = await openDisk(paths[layer]!, { writable: true, timestampMismatch: 'accept' });
        await disk.write(bytes, offset);
        await disk.close();
        model.write(layer, offset, bytes);
      }
      for (const [top, path] of paths.entries()) {
        const extracted = run(sevenZip.command, ['x', '-tvhd', '-so', path]);
        expect(extracted.status, extracted.stderr).toBe(0);
        expect(extracted.stdout.length).toBe(sizeBytes);
        expect(firstDifference(extracted.stdout, model.view(top)), `level ${top}`).toBe(-1);
      }
    });
  }
});
