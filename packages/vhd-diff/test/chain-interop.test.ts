import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interop, run, tempDir } from '@vhdkit/test-support';
import { createDifferencingDisk, createDynamicDisk, openDisk } from '../src/index.js';
import { KiB, MiB, patternBytes } from './helpers/chain-images.js';
import { ChainModel, firstDifference } from './helpers/chain-model.js';

const pyvhdi = interop('pyvhdi');

/**
 * Opens a chain with libvhdi (bottom first on the command line, block size first) and prints the top's bytes,
 * read one block at a time: libvhdi 20210425 reads every block after the first of a single read that spans
 * several blocks of a differencing image from the parent (observed; reads within one block are unaffected).
 */
const READ_CHAIN = `
import sys, pyvhdi
block_size = int(sys.argv[1])
files = []
for path in sys.argv[2:]:
    image = pyvhdi.file()
    image.open(path)
    if files:
        image.set_parent(files[-1])
    files.append(image)  # keep every parent referenced while the child is read
top = files[-1]
size = top.get_media_size()
for offset in range(0, size, block_size):
    sys.stdout.buffer.write(top.read_buffer_at_offset(min(block_size, size - offset), offset))
`;

/**
 * What libvhdi 20210425 (Debian 12's python3-libvhdi) returns. Its bitmap decoder tests a sector's bit as
 * `byte >> (7 - bit)` without masking, so the "bit" is non-zero when any earlier sector of the same bitmap
 * byte is set: inside an allocated block of a differencing file, a clear sector that follows a set sector in
 * its 8-sector group is read from the child's own (zero) data instead of the parent. Clear sectors before the
 * first set bit of their byte, whole clear bytes, full bytes and unallocated blocks read correctly.
 */
function libvhdiView(model: ChainModel, top: number, blockSize: number): { bytes: Uint8Array; buggySectors: number } {
  const sectorsPerBlock = blockSize / 512;
  const bytes = model.view(top);
  let buggySectors = 0;
  for (let sector = 0; sector * 512 < model.sizeBytes; sector++) {
    for (let layer = top; layer > 0; layer--) {
      const { owned } = model.layers[layer]!;
      if (owned[sector]) break;
      const blockStart = sector - (sector % sectorsPerBlock);
      const allocated = owned.subarray(blockStart, blockStart + sectorsPerBlock).some((flag) => flag === 1);
      if (!allocated) continue;
      const byteStart = sector & ~7;
      if (owned.subarray(byteStart, sector).some((flag) => flag === 1)) {
        bytes.fill(0, sector * 512, (sector + 1) * 512);
        buggySectors++;
        break;
      }
    }
  }
  return { bytes, buggySectors };
}

describe.skipIf(!pyvhdi.available)('libvhdi (pyvhdi) reads our chains', { timeout: 60_000 }, () => {
  let folder: { path: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    folder = await tempDir('vhdkit-pyvhdi-');
  });
  afterAll(async () => {
    await folder.cleanup();
  });

  it('agrees with the model everywhere except where its partial-bitmap bug applies, and there as predicted', async () => {
    const sizeBytes = 4 * MiB;
    const blockSize = 512 * KiB;
    const paths = ['base.vhd', 'child.vhd', 'grandchild.vhd'].map((name) => join(folder.path, name));
    await createDynamicDisk(paths[0]!, sizeBytes, { blockSize });
    await createDifferencingDisk(paths[1]!, paths[0]!);
    await createDifferencingDisk(paths[2]!, paths[1]!);
    const model = new ChainModel(sizeBytes, 3);
    const writes: [number, number, number][] = [
      [0, 0, sizeBytes], // a full base
      [1, 512, 512], // one sector: the rest of its bitmap byte is affected
      [1, 12 * 512, 512],
      [1, 14 * 512 + 3, 10], // set, clear, set, clear in one byte
      [1, 40 * 512, 8 * 512], // a whole byte: unaffected
      [1, 600 * KiB + 700, 5000],
      [2, 513 * KiB, 1],
      [2, 3 * MiB + 4096, 300 * KiB],
      [2, 100, 100],
    ];
    for (const [index, [layer, offset, length]] of writes.entries()) {
      const bytes = patternBytes(length, index + 1);
      const disk = await openDisk(paths[layer]!, { writable: true, timestampMismatch: 'accept' });
      await disk.write(bytes, offset);
      await disk.close();
      model.write(layer, offset, bytes);
    }
    for (let top = 1; top <= 2; top++) {
      const result = run(pyvhdi.command, ['-c', READ_CHAIN, String(blockSize), ...paths.slice(0, top + 1)]);
      expect(result.status, result.stderr).toBe(0);
      const { bytes: predicted, buggySectors } = libvhdiView(model, top, blockSize);
      expect(buggySectors).toBeGreaterThan(0);
      expect(firstDifference(result.stdout, predicted)).toBe(-1);
      // Outside the affected sectors libvhdi and the model (and so our reader) agree.
      const ours = await openDisk(paths[top]!, { timestampMismatch: 'accept' });
      const read = new Uint8Array(sizeBytes);
      await ours.read(read, 0);
      await ours.close();
      expect(firstDifference(read, model.view(top))).toBe(-1);
    }
  });
});
