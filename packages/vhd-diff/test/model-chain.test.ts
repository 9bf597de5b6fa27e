import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diskTypeName } from '@vhdkit/vhd-format';
import { interop, run, tempDir } from '@vhdkit/test-support';
import { convert, createDifferencingDisk, createDynamicDisk, createFixedDisk, merge, openDisk, readImageMetadata } from '../src/index.js';
import { KiB, MiB, patternBytes } from './helpers/chain-images.js';
import { ChainModel, firstDifference } from './helpers/chain-model.js';
import { readWholeDisk } from './helpers/disk-io.js';

const qemu = interop('qemu-img');

type Operation =
  | { kind: 'write'; layer: number; offsetFraction: number; length: number; seed: number }
  | { kind: 'child' }
  | { kind: 'merge' }
  | { kind: 'convert'; type: 'fixed' | 'dynamic' };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('write' as const), layer: fc.nat(3), offsetFraction: fc.double({ min: 0, max: 1, noNaN: true }), length: fc.integer({ min: 1, max: 700 * KiB }), seed: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'child' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'merge' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('convert' as const), type: fc.constantFrom('fixed' as const, 'dynamic' as const) }) },
);

const scenario = fc.record({
  sizeBytes: fc.integer({ min: 6 * 1024, max: 16 * 1024 }).map((sectors) => sectors * 512), // 3–8 MiB
  blockSize: fc.constantFrom(512 * KiB, 2 * MiB),
  baseType: fc.constantFrom('dynamic' as const, 'fixed' as const),
  children: fc.integer({ min: 1, max: 3 }),
  operations: fc.array(operation, { minLength: 1, maxLength: 10 }),
  /** Every run converts at least once (at the end, if no step did) and ends merging the whole chain into its base. */
  closingConvertType: fc.constantFrom('fixed' as const, 'dynamic' as const),
});

/** Parents change under their children here on purpose, so their recorded timestamps go stale. */
const LENIENT = { timestampMismatch: 'accept' } as const;

/**
 * What `qemu-img convert -O raw` reads from a standalone image. Images this toolkit made (creator 'vhdk') are opened by
 * the footer's current size: QEMU would otherwise take the smaller CHS size for creators it does not know.
 */
async function qemuRaw(path: string): Promise<Uint8Array> {
  const { footer } = await readImageMetadata(path);
  const image = footer.creatorApplication === 'vhdk'
    ? ['--image-opts', `driver=vpc,force_size_calc=current_size,file.driver=file,file.filename=${path}`]
    : ['-f', 'vpc', path];
  const raw = `${path}.raw`;
  const result = run(qemu.command, ['convert', '-O', 'raw', ...image, raw]);
  expect(result.status, result.stderr).toBe(0);
  try {
    return await readFile(raw);
  } finally {
    await rm(raw);
  }
}

function describeMismatch(model: ChainModel, layer: number, offset: number): string {
  return `layer ${layer} differs at byte ${offset} (sector ${Math.floor(offset / 512)}, owned by layers ${model.owners(Math.floor(offset / 512)).join(',') || 'none'})`;
}

describe('a chain behaves like its model', () => {
  it('after random unaligned writes in random layers (over a dynamic or fixed base), new children, merges and fixed or dynamic converts', async () => {
    let runIndex = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async ({ sizeBytes, blockSize, baseType, children, operations, closingConvertType }) => {
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
          const apply = async (step: Operation): Promise<void> => {
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
              if (paths.length === 1 && qemu.available) {
                // The base is standalone again (fixed or dynamic): an independent reader must see the merged bytes too.
                expect(firstDifference(await qemuRaw(paths[0]!), model.view(0)), `qemu-img raw of the ${baseType} base after a merge`).toBe(-1);
              }
            } else if (step.kind === 'convert') {
              const destination = join(folder.path, `flat${converted++}.vhd`);
              const created = await convert(paths[top]!, destination, { type: step.type, ...LENIENT });
              expect(created.diskType).toBe(step.type);
              expect(diskTypeName((await readImageMetadata(destination)).footer.diskType)).toBe(step.type);
              const expected = model.view(top);
              const flat = await readWholeDisk(destination, LENIENT);
              expect(firstDifference(flat, expected), `converted ${step.type} image`).toBe(-1);
              if (qemu.available) expect(firstDifference(await qemuRaw(destination), expected), `qemu-img raw of the converted ${step.type} image`).toBe(-1);
              await rm(destination);
            }
            for (let layer = 0; layer < paths.length; layer++) {
              const difference = firstDifference(await readWholeDisk(paths[layer]!, LENIENT), model.view(layer));
              expect(difference, describeMismatch(model, layer, difference)).toBe(-1);
            }
          };
          for (const step of operations) await apply(step);
          if (converted === 0) await apply({ kind: 'convert', type: closingConvertType });
          while (paths.length > 1) await apply({ kind: 'merge' });
        } finally {
          await folder.cleanup();
        }
      }),
      // 10 runs: each ends with a full merge and qemu-img reads, about 3 s apiece on a busy 2-core machine.
      { numRuns: Number(process.env.VHD_MODEL_RUNS ?? 10) },
    );
  }, 120_000);
});
