import { spawnSync } from 'node:child_process';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { interop, testFolder } from '@vhdkit/test-support';
import { createFixedDisk, readImageMetadata } from '@vhdkit/vhd-diff';
import { MAX_VIRTUAL_SIZE, encodeFooter, geometryFromSize, uniqueIdToString } from '@vhdkit/vhd-format';
import { VpcError } from '@vhdkit/vpc-errors';
import { VirtualPC } from '../src/virtual-pc.js';
import { expectUnchanged, failureLine, runVpc, snapshot, tree } from './helpers.js';

// The size rule at its edge: 2,088,960 MB (2040 GiB, 2,190,433,320,960 bytes) is the maximum, so a parent of exactly
// that size — what `qemu-img create -f vpc -o subformat=dynamic x 2040G` makes — is accepted; one sector more is not.

const qemuImg = interop('qemu-img');
const folder = testFolder('vpc-size-limit-').nextFolder;

/** A fixed image whose footer says `sizeBytes` (above what vhd-diff creates): a sparse data area, then the footer. */
async function fixedImageOfSize(file: string, sizeBytes: number): Promise<string> {
  await createFixedDisk(file, 4 * 1024 * 1024);
  const { footer } = await readImageMetadata(file);
  const bytes = encodeFooter({ ...footer, currentSize: sizeBytes, originalSize: sizeBytes, geometry: geometryFromSize(MAX_VIRTUAL_SIZE) });
  const handle = await open(file, 'r+');
  try {
    await handle.truncate(sizeBytes);
    await handle.write(bytes, 0, bytes.length, sizeBytes);
  } finally {
    await handle.close();
  }
  return file;
}

/** A sparse 2040 GiB dynamic parent made by qemu-img, in a new folder. */
async function qemuParent(): Promise<{ dir: string; parent: string }> {
  const dir = await folder();
  const parent = path.join(dir, 'qemu-2040g.vhd');
  const made = spawnSync('qemu-img', ['create', '-q', '-f', 'vpc', '-o', 'subformat=dynamic', parent, '2040G'], { encoding: 'utf8' });
  expect(made.status, made.stderr).toBe(0);
  // qemu stores exactly 2040 GiB as the current size (its geometry is saturated at 65535/16/255).
  const { footer } = await readImageMetadata(parent);
  expect(footer.currentSize).toBe(MAX_VIRTUAL_SIZE);
  expect(footer.currentSize).toBe(2_190_433_320_960);
  expect(footer.geometry).toEqual({ cylinders: 65535, heads: 16, sectorsPerTrack: 255 });
  return { dir, parent };
}

describe.skipIf(!qemuImg.available)('a 2040 GiB parent made by qemu-img', { timeout: 60_000 }, () => {
  it('is accepted by the API: the child has its size and points at it', async () => {
    const { dir, parent } = await qemuParent();
    const before = await snapshot(parent);
    const task = new VirtualPC().createDifferencingVirtualHardDisk(path.join(dir, 'child.vhd'), parent);
    const disk = await task.completion;
    expect(disk.virtualSize).toBe(MAX_VIRTUAL_SIZE);
    const child = await readImageMetadata(path.join(dir, 'child.vhd'));
    expect(child.footer.currentSize).toBe(MAX_VIRTUAL_SIZE);
    expect(uniqueIdToString(child.header!.parentUniqueId)).toBe(uniqueIdToString((await readImageMetadata(parent)).footer.uniqueId));
    await expectUnchanged(before);
    // qemu-img reads the child and its chain back at the full size.
    const info = spawnSync('qemu-img', ['info', '--output=json', '--backing-chain', '-f', 'vpc', path.join(dir, 'child.vhd')], { encoding: 'utf8' });
    expect(info.status, info.stderr).toBe(0);
    expect((JSON.parse(info.stdout) as { 'virtual-size': number }[])[0]!['virtual-size']).toBe(MAX_VIRTUAL_SIZE);
  });

  it('is accepted by the CLI', async () => {
    const { dir, parent } = await qemuParent();
    const run = runVpc(['--json', 'create-diff', 'child.vhd', path.basename(parent)], { cwd: dir });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ type: 'differencing', virtualSize: MAX_VIRTUAL_SIZE, parent: { path: parent } });
  });
});

describe('one sector above 2040 GiB', { timeout: 60_000 }, () => {
  it('a parent is refused with VM_E_IMAGE_SIZE_TOO_LARGE through the API and the CLI, nothing created', async () => {
    const dir = await folder();
    const parent = await fixedImageOfSize(path.join(dir, 'over.vhd'), MAX_VIRTUAL_SIZE + 512);
    // Not hashed (2 TiB of sparse zeros): its size, modification time and footer stay as they were.
    const before = await shallowSnapshot(parent);
    const treeBefore = await tree(dir);
    const refused = await new VirtualPC()
      .createDifferencingVirtualHardDisk(path.join(dir, 'child.vhd'), parent)
      .then(() => undefined, (error: unknown) => error);
    expect(refused).toBeInstanceOf(VpcError);
    expect(refused).toMatchObject({ code: 'VM_E_IMAGE_SIZE_TOO_LARGE', hresult: 0xa0040683 });
    expect((refused as VpcError).message).toContain(`${MAX_VIRTUAL_SIZE + 512} bytes; must be at most ${MAX_VIRTUAL_SIZE} bytes`);
    const run = runVpc(['create-diff', 'child.vhd', 'over.vhd'], { cwd: dir });
    expect(run.status).toBe(1);
    expect(failureLine(run)).toMatchObject({ hresult: '0xA0040683', name: 'VM_E_IMAGE_SIZE_TOO_LARGE' });
    expect(await tree(dir)).toEqual(treeBefore);
    expect(await shallowSnapshot(parent)).toEqual(before);
  });
});

async function shallowSnapshot(file: string): Promise<{ size: number; mtimeMs: number; footer: string }> {
  const facts = await stat(file);
  const handle = await open(file, 'r');
  try {
    const footer = Buffer.alloc(512);
    await handle.read(footer, 0, 512, facts.size - 512);
    return { size: facts.size, mtimeMs: facts.mtimeMs, footer: footer.toString('hex') };
  } finally {
    await handle.close();
  }
}
