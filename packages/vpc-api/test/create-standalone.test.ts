import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { interop, testFolder } from '@vhdkit/test-support';
import { readImageMetadata } from '@vhdkit/vhd-diff';
import { MAX_VIRTUAL_SIZE, diskTypeName, sizeFromGeometry } from '@vhdkit/vhd-format';
import type { HresultName } from '@vhdkit/vpc-errors';
import { HRESULTS, VpcError, formatHresult } from '@vhdkit/vpc-errors';
import { VirtualPC } from '../src/virtual-pc.js';
import type { VolumeFacts } from '../src/volume/volume-probe.js';
import { MIB, failureLine, runVpc, simulatedProbe, tree } from './helpers.js';

const GIB = 1024 * MIB;
const qemuImg = interop('qemu-img');

interface Row {
  name: string;
  type: 'fixed' | 'dynamic';
  /** Path relative to the row's folder (absolute for the API unless `relative`). */
  file: string;
  relative?: boolean;
  size: number | string;
  cliSize?: string;
  blockSize?: number;
  volume?: Partial<VolumeFacts>;
  setup?: (folder: string) => Promise<void>;
  code: HresultName;
  /** The CLI resolves a relative path against its working directory, so its outcome can differ. */
  cliCode?: HresultName;
}

const rows: Row[] = [
  { name: 'dynamic 64 MiB', type: 'dynamic', file: 'd.vhd', size: 64 * MIB, cliSize: '64M', code: 'S_OK' },
  { name: 'dynamic with 512 KiB blocks in new folders', type: 'dynamic', file: 'a/b/d.vhd', size: 100 * MIB, cliSize: '100M', blockSize: 512 * 1024, code: 'S_OK' },
  { name: 'fixed 16 MiB', type: 'fixed', file: 'f.vhd', size: 16 * MIB, cliSize: '16M', code: 'S_OK' },
  { name: 'fixed, size rounded up to a sector', type: 'fixed', file: 'f.vhd', size: 3 * MIB + 1, cliSize: String(3 * MIB + 1), code: 'S_OK' },
  { name: 'dynamic 2040 GiB minus one sector (sparse)', type: 'dynamic', file: 'big.vhd', size: MAX_VIRTUAL_SIZE - 512, cliSize: String(MAX_VIRTUAL_SIZE - 512), code: 'S_OK' },
  { name: 'relative path', type: 'dynamic', file: 'r.vhd', relative: true, size: 8 * MIB, cliSize: '8M', code: 'ERROR_BAD_PATHNAME', cliCode: 'S_OK' },
  { name: 'invalid character', type: 'fixed', file: 'a?b.vhd', size: 8 * MIB, cliSize: '8M', code: 'ERROR_INVALID_NAME' },
  { name: 'too long', type: 'fixed', file: 'n'.repeat(255), size: 8 * MIB, cliSize: '8M', code: 'ERROR_BUFFER_OVERFLOW' },
  { name: 'under 3 MB', type: 'dynamic', file: 'd.vhd', size: 3 * MIB - 512, cliSize: String(3 * MIB - 512), code: 'VM_E_IMAGE_SIZE_TOO_SMALL' },
  // Microsoft: E_INVALIDARG when "the size parameter is less than or equal to 0"; positive but under 3 MB is too small.
  { name: 'zero', type: 'fixed', file: 'f.vhd', size: 0, cliSize: '0', code: 'E_INVALIDARG' },
  { name: 'zero, dynamic', type: 'dynamic', file: 'd.vhd', size: 0, cliSize: '0', code: 'E_INVALIDARG' },
  { name: 'negative', type: 'dynamic', file: 'd.vhd', size: -512, cliSize: '-512', code: 'E_INVALIDARG' },
  { name: 'infinite', type: 'fixed', file: 'f.vhd', size: Number.POSITIVE_INFINITY, cliSize: 'Infinity', code: 'E_INVALIDARG' },
  { name: 'one byte', type: 'fixed', file: 'f.vhd', size: 1, cliSize: '1', code: 'VM_E_IMAGE_SIZE_TOO_SMALL' },
  // The maximum, 2,088,960 MB (2040 GiB), is accepted; anything that rounds up past it is refused.
  { name: 'dynamic of exactly 2,088,960 MB', type: 'dynamic', file: 'd.vhd', size: MAX_VIRTUAL_SIZE, cliSize: '2040G', code: 'S_OK' },
  { name: 'fixed of exactly 2,088,960 MB (sparse)', type: 'fixed', file: 'f.vhd', size: MAX_VIRTUAL_SIZE, cliSize: '2088960M', code: 'S_OK' },
  { name: 'one byte over the maximum minus a sector rounds up to the maximum', type: 'fixed', file: 'f.vhd', size: MAX_VIRTUAL_SIZE - 511, cliSize: String(MAX_VIRTUAL_SIZE - 511), code: 'S_OK' },
  { name: 'one byte over 2,088,960 MB', type: 'dynamic', file: 'd.vhd', size: MAX_VIRTUAL_SIZE + 1, cliSize: String(MAX_VIRTUAL_SIZE + 1), code: 'VM_E_IMAGE_SIZE_TOO_LARGE' },
  { name: '2041 GiB', type: 'fixed', file: 'f.vhd', size: MAX_VIRTUAL_SIZE + GIB, cliSize: '2041G', code: 'VM_E_IMAGE_SIZE_TOO_LARGE' },
  { name: 'size not a number', type: 'fixed', file: 'f.vhd', size: 'lots', cliSize: 'lots', code: 'E_INVALIDARG' },
  { name: 'block size not a power of two', type: 'dynamic', file: 'd.vhd', size: 8 * MIB, cliSize: '8M', blockSize: 3000, code: 'E_INVALIDARG' },
  {
    name: 'file exists', type: 'dynamic', file: 'd.vhd', size: 8 * MIB, cliSize: '8M', code: 'ERROR_ALREADY_EXISTS',
    setup: async (folder) => writeFile(path.join(folder, 'd.vhd'), 'keep me'),
  },
  {
    name: 'folder is a file', type: 'fixed', file: 'x/f.vhd', size: 8 * MIB, cliSize: '8M', code: 'ERROR_PATH_NOT_FOUND',
    setup: async (folder) => writeFile(path.join(folder, 'x'), 'a file'),
  },
  { name: 'ISO 9660 volume', type: 'fixed', file: 'f.vhd', size: 8 * MIB, cliSize: '8M', volume: { fileSystem: 'iso9660' }, code: 'ERROR_INVALID_DRIVE' },
  { name: 'fixed 4 GiB on FAT32', type: 'fixed', file: 'f.vhd', size: 4 * GIB, cliSize: '4G', volume: { fileSystem: 'fat32' }, code: 'VM_E_FILE_TOO_LARGE_FOR_VOLUME' },
  { name: 'fixed 4 GiB − 1 KiB fits FAT32 (with its footer)', type: 'fixed', file: 'f.vhd', size: 4 * GIB - 1024, cliSize: String(4 * GIB - 1024), volume: { fileSystem: 'fat32' }, code: 'S_OK' },
  { name: 'dynamic 3 GiB on FAT32', type: 'dynamic', file: 'd.vhd', size: 3 * GIB, cliSize: '3G', volume: { fileSystem: 'fat32' }, code: 'S_OK' },
  { name: 'dynamic 2 GiB on FAT16', type: 'dynamic', file: 'd.vhd', size: 2 * GIB, cliSize: '2G', volume: { fileSystem: 'fat16' }, code: 'VM_E_FILE_TOO_LARGE_FOR_VOLUME' },
  { name: 'dynamic on a full volume', type: 'dynamic', file: 'd.vhd', size: 8 * MIB, cliSize: '8M', volume: { freeBytes: 1024 }, code: 'ERROR_DISK_FULL' },
];

const folders = testFolder('vpc-standalone-');

async function prepare(row: Row) {
  const folder = await folders.nextFolder();
  await row.setup?.(folder);
  return { folder, before: await tree(folder) };
}

async function expectCreated(file: string, row: Row): Promise<void> {
  const metadata = await readImageMetadata(file);
  expect(diskTypeName(metadata.footer.diskType)).toBe(row.type);
  expect(metadata.footer.currentSize).toBe(Math.ceil(Number(row.size) / 512) * 512);
  if (row.type === 'dynamic') expect(metadata.header!.blockSize).toBe(row.blockSize ?? 2 * MIB);
  if (qemuImg.available) {
    const info = spawnSync('qemu-img', ['info', '--output=json', '-f', 'vpc', file], { encoding: 'utf8' });
    expect(info.status, info.stderr).toBe(0);
    // qemu derives a VPC image's size from its CHS geometry, except when the geometry is saturated (65535/16/255,
    // disks over ~127 GiB): then it uses the footer's current size.
    const { cylinders, heads, sectorsPerTrack } = metadata.footer.geometry;
    const saturated = cylinders === 65535 && heads === 16 && sectorsPerTrack === 255;
    expect(JSON.parse(info.stdout)['virtual-size']).toBe(saturated ? metadata.footer.currentSize : sizeFromGeometry(metadata.footer.geometry));
  }
}

describe('createFixedVirtualHardDisk / createDynamicVirtualHardDisk through the API', { timeout: 30_000 }, () => {
  for (const row of rows) it(`${row.type}: ${row.name} → ${row.code}`, async () => {
    const { folder, before } = await prepare(row);
    const vpc = new VirtualPC(row.volume === undefined ? {} : { volumeProbe: simulatedProbe(row.volume) });
    const file = row.relative === true ? row.file : path.join(folder, row.file);
    let outcome: HresultName = 'S_OK';
    try {
      const disk =
        row.type === 'fixed'
          ? await vpc.createFixedVirtualHardDisk(file, row.size as number)
          : await vpc.createDynamicVirtualHardDisk(file, row.size as number, row.blockSize === undefined ? {} : { blockSize: row.blockSize });
      expect(disk.path).toBe(file);
      expect(disk.diskType).toBe(row.type);
      await expectCreated(file, row);
    } catch (error) {
      expect(error).toBeInstanceOf(VpcError);
      outcome = (error as VpcError).code;
      expect((error as VpcError).hresult).toBe(HRESULTS[outcome]);
    }
    expect(outcome).toBe(row.code);
    if (outcome !== 'S_OK') expect(await tree(folder)).toEqual(before);
  });
});

describe('vpc create through the CLI', { timeout: 30_000 }, () => {
  for (const row of rows) it(`${row.type}: ${row.name} → ${row.code}`, async () => {
    const { folder, before } = await prepare(row);
    const expected = row.cliCode ?? row.code;
    const file = row.relative === true ? row.file : path.join(folder, row.file);
    const args = ['create', file, '--size', row.cliSize!, '--type', row.type];
    if (row.blockSize !== undefined) args.push('--block-size', String(row.blockSize));
    const run = runVpc(args, { cwd: folder, ...(row.volume === undefined ? {} : { volume: row.volume }) });
    if (expected === 'S_OK') {
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Created ${row.type} disk `));
      await expectCreated(path.resolve(folder, file), row);
    } else {
      expect(run.status).toBe(1);
      const line = failureLine(run);
      expect(line, run.stderr).toMatchObject({ name: expected, hresult: formatHresult(HRESULTS[expected]) });
      expect(run.stdout).toBe('');
      expect(await tree(folder)).toEqual(before);
    }
  });
});
