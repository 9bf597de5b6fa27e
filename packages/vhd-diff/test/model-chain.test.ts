import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { interop, run, tempDir } from '@vhdkit/test-support';
import { convert, createDifferencingDisk, createDynamicDisk, createFixedDisk, merge, openDisk } from '../src/index.js';
import { KiB, MiB, patternBytes } from './helpers/chain-images.js';
import { ChainModel, firstDifference } from './helpers/chain-model.js';
import { readWholeDisk } from './helpers/disk-io.js';

const qemu = interop('qemu-img');

type Operation =
  | { kind: 'write'; layer: number; offsetFraction: number; length: number; seed: number }
  | { kind: 'child' }
  | { kind: 'merge' }
  | { kind: 'convert' };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('write' as const), layer: fc.nat(3), offsetFraction: fc.double({ min: 0, max: 1, noNaN: true }), length: fc.integer({ min: 1, max: 700 * KiB }), seed: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'child' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'merge' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'convert' as const }) },
);

const scenario = fc.record({
  sizeBytes: fc.integer({ min: 6 * 1024, max: 16 * 1024 }).map((sectors) => sectors * 512), // 3–8 MiB
  blockSize: fc.constantFrom(512 * KiB, 2 * MiB),
  baseType: fc.constantFrom('dynamic' as const, 'fixed' as const),
  children: fc.integer({ min: 1, max: 3 }),
  operations: fc.array(operation, { minLength: 1, maxLength: 10 }),
});

/** Parents change under their children here on purpose, so their recorded timestamps go stale. */
const LENIENT = { timestampMismatch: 'accept' } as const;

function describeMismatch(model: ChainModel, layer: number, offset: number): string {
  return `layer ${layer} differs at byte ${offset} (sector ${Math.floor(offset / 512)}, owned by layers ${model.owners(Math.floor(offset / 512)).join(',') || 'none'})`;
}

describe('a chain behaves like its model', () => {
  it('after random unaligned writes in random layers (over a dynamic or fixed base), new children, merges and converts', async () => {
    let runIndex = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async ({ sizeBytes, blockSize, baseType, children, operations }) => {
        const folder = await tempDir('vhdkit-model-');
        try {
          const paths = [join(folder.path, `${runIndex++}-base.vhd`)];
          if (baseType === 'fixed') await createFixedDisk(paths[0]!, sizeBytes);
          else await createDynamicDisk(paths[0]!, sizeBytes, { blockSize });
          for (let index = 1; index <= children; index++) {
            paths.push(join(folder.path, `layer${index}.vhd`));
            await createDifferencingDisk(paths[index]!, paths[index - 1]!);
          }
          const model = new ChainModel(sizeBytes, paths.length);
          let converted = 0;
          for (const step of operations) {
            const top = paths.length - 1;
            if (step.kind === 'write') {
              const layer = Math.min(step.layer, top);
              const length = Math.min(step.length, sizeBytes);
              const offset = Math.floor(step.offsetFraction * (sizeBytes - length));
              const bytes = patternBytes(length, step.seed);
              const disk = await openDisk(paths[layer]!, { ...LENIENT, writable: true });
              await disk.write(bytes, offset);
              await disk.close();
              model.write(layer, offset, bytes);
            } else if (step.kind === 'child' && paths.length < 5) {
              paths.push(join(folder.path, `layer${paths.length}-${converted}.vhd`));
              await createDifferencingDisk(paths.at(-1)!, paths.at(-2)!);
              model.addLayer();
            } else if (step.kind === 'merge' && top > 0) {
              const result = await merge(paths[top]!, LENIENT);
              expect(result.parentPath).toBe(paths[top - 1]);
              model.mergeDown(top);
              paths.pop();
            } else if (step.kind === 'convert') {
              const destination = join(folder.path, `flat${converted++}.vhd`);
              const created = await convert(paths[top]!, destination, { type: 'dynamic', ...LENIENT });
              expect(created.diskType).toBe('dynamic');
              const expected = model.view(top);
              const flat = await readWholeDisk(destination, LENIENT);
              expect(firstDifference(flat, expected), 'converted image').toBe(-1);
              if (qemu.available) {
                const raw = `${destination}.raw`;
                const result = run(qemu.command, ['convert', '-O', 'raw', '--image-opts', `driver=vpc,force_size_calc=current_size,file.driver=file,file.filename=${destination}`, raw]);
                expect(result.status, result.stderr).toBe(0);
                expect(firstDifference(await readFile(raw), expected), 'qemu-img raw of the converted image').toBe(-1);
              }
            }
            for (let layer = 0; layer < paths.length; layer++) {
              const difference = firstDifference(await readWholeDisk(paths[layer]!, LENIENT), model.view(layer));
              expect(difference, describeMismatch(model, layer, difference)).toBe(-1);
            }
          }
        } finally {
          await folder.cleanup();
        }
      }),
      { numRuns: Number(process.env.VHD_MODEL_RUNS ?? 12) },
    );
  }, 120_000);
});
