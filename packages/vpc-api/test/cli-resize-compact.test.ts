import { stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testFolder } from '@vhdkit/test-support';
import { createDifferencingDisk, createDynamicDisk, createFixedDisk, openDisk, readImageMetadata } from '@vhdkit/vhd-diff';
import { VirtualPC } from '../src/index.js';
import { MIB, failureLine, runVpc } from './helpers.js';

const folder = testFolder('vpc-resize-compact-');

async function writeAt(image: string, bytes: Uint8Array, offset: number): Promise<void> {
  const disk = await openDisk(image, { writable: true });
  await disk.write(bytes, offset);
  await disk.close();
}

describe('vpc resize', () => {
  it('grows a dynamic disk (--json reports the move), refuses a shrink over data with E_INVALIDARG in both languages', { timeout: 30_000 }, async () => {
    const image = path.join(await folder.nextFolder(), 'grow.vhd');
    await createDynamicDisk(image, 2 * MIB, { blockSize: 4096 });
    await writeAt(image, new Uint8Array(8192).fill(7), 0);
    const grown = runVpc(['resize', image, '--size', '64M', '--json']);
    expect(grown.status, grown.stderr).toBe(0);
    const result = JSON.parse(grown.stdout) as { oldSize: number; newSize: number; blocksMoved: number };
    expect(result).toMatchObject({ oldSize: 2 * MIB, newSize: 64 * MIB });
    expect(result.blocksMoved).toBeGreaterThan(0);
    expect((await readImageMetadata(image, { strict: true })).footer.currentSize).toBe(64 * MIB);

    const refused = runVpc(['resize', image, '--size', '4096']);
    expect(refused.status).toBe(1);
    expect(failureLine(refused)).toMatchObject({ hresult: '0x80070057', name: 'E_INVALIDARG' });
    expect(failureLine(refused)!.message).toContain('4096 bytes past the new end hold data');
    const spanish = runVpc(['--lang', 'es', 'resize', image, '--size', '4096']);
    expect(failureLine(spanish)!.message).toContain('después del nuevo final tienen datos');
    expect(runVpc(['resize', image, '--size', '10X']).status).toBe(1);
    const text = runVpc(['resize', image, '--size', '128M']);
    expect(text.stdout).toMatch(/^Resized .*grow\.vhd from 67108864 to 134217728 bytes/);
  });

  it('refuses to move a differencing disk away from its parent\'s size (VM_E_WRONG_HD_IMAGE_TYPE)', { timeout: 30_000 }, async () => {
    const dir = await folder.nextFolder();
    const parent = path.join(dir, 'p.vhd');
    await createDynamicDisk(parent, 4 * MIB);
    await createDifferencingDisk(path.join(dir, 'c.vhd'), parent);
    const refused = runVpc(['resize', path.join(dir, 'c.vhd'), '--size', '8M']);
    expect(failureLine(refused)).toMatchObject({ name: 'VM_E_WRONG_HD_IMAGE_TYPE' });
  });
});

describe('vpc compact', () => {
  it('releases zero blocks (--json), and refuses a fixed disk with VM_E_WRONG_HD_IMAGE_TYPE', { timeout: 30_000 }, async () => {
    const dir = await folder.nextFolder();
    const image = path.join(dir, 'd.vhd');
    await createDynamicDisk(image, 8 * MIB, { blockSize: 512 * 1024 });
    await writeAt(image, new Uint8Array(2 * MIB), 0);
    await writeAt(image, new Uint8Array(1000).fill(1), 5 * MIB);
    const sizeBefore = (await stat(image)).size;
    const compacted = runVpc(['compact', image, '--json']);
    expect(compacted.status, compacted.stderr).toBe(0);
    expect(JSON.parse(compacted.stdout)).toMatchObject({ blocksBefore: 5, blocksAfter: 1, fileSizeBefore: sizeBefore, fileSizeAfter: (await stat(image)).size });

    const fixed = path.join(dir, 'f.vhd');
    await createFixedDisk(fixed, MIB);
    const refused = runVpc(['compact', fixed]);
    expect(refused.status).toBe(1);
    expect(failureLine(refused)).toMatchObject({ name: 'VM_E_WRONG_HD_IMAGE_TYPE' });
    expect(failureLine(runVpc(['--lang', 'es', 'compact', fixed]))!.message).toContain('solo se pueden compactar');
  });
});

describe('VirtualPC.resizeVirtualHardDisk and compactVirtualHardDisk', () => {
  it('return VMTasks: accepted, then the result; refusals and work failures reject with their HRESULT', { timeout: 30_000 }, async () => {
    const dir = await folder.nextFolder();
    const image = path.join(dir, 'api.vhd');
    await createDynamicDisk(image, 4 * MIB, { blockSize: 512 * 1024 });
    await writeAt(image, new Uint8Array(MIB), 0);
    const vpc = new VirtualPC();

    const resizing = vpc.resizeVirtualHardDisk(image, 16 * MIB);
    await resizing.accepted;
    expect(await resizing).toMatchObject({ oldSize: 4 * MIB, newSize: 16 * MIB, diskType: 'dynamic' });
    expect(resizing.isComplete).toBe(true);
    expect((await readImageMetadata(image)).footer.currentSize).toBe(16 * MIB);

    const compacting = vpc.compactVirtualHardDisk(image);
    const percents: number[] = [];
    compacting.on('progress', ({ percentCompleted }) => percents.push(percentCompleted));
    expect(await compacting).toMatchObject({ blocksBefore: 2, blocksAfter: 0 });
    expect(percents.at(-1)).toBe(100);

    const badSize = vpc.resizeVirtualHardDisk(image, -1);
    await expect(badSize.accepted).rejects.toMatchObject({ code: 'E_INVALIDARG' });
    await expect(badSize.completion).rejects.toMatchObject({ code: 'E_INVALIDARG' });
    const fixed = path.join(dir, 'fixed.vhd');
    await createFixedDisk(fixed, MIB);
    const wrongType = vpc.compactVirtualHardDisk(fixed);
    await wrongType.accepted;
    await expect(wrongType.completion).rejects.toMatchObject({ code: 'VM_E_WRONG_HD_IMAGE_TYPE' });
    const shrink = vpc.resizeVirtualHardDisk(path.join(dir, 'missing.vhd'), MIB);
    await expect(shrink.completion).rejects.toMatchObject({ code: 'ERROR_FILE_NOT_FOUND' });
  });
});
