import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withSmallVolume } from '@vhdkit/test-support';
import { fatVariantFromBootSector } from '../src/volume/fat-boot-sector.js';
import { maxFileBytesOn } from '../src/volume/host-file-limits.js';
import { LinuxVolumeProbe, fatVariantFromVolumeSize } from '../src/volume/linux-volume-probe.js';
import { mountContaining, parseMountInfo } from '../src/volume/mountinfo.js';
import { STATFS_MAGIC, fileSystemKindFromStatfsType, volumeFactsFromStatfs } from '../src/volume/statfs-types.js';

const GIB = 1024 ** 3;

describe('statfs results → file system kind', () => {
  // Shaped like Node's fs.StatFs for each file system (type = linux/magic.h value the kernel reports).
  const rows = [
    { name: 'ISO 9660 CD', stats: { type: 0x9660, bsize: 2048, blocks: 331_000, bfree: 0, bavail: 0 }, kind: 'iso9660' },
    { name: 'UDF DVD', stats: { type: 0x15013346, bsize: 2048, blocks: 2_295_104, bfree: 0, bavail: 0 }, kind: 'udf' },
    { name: 'vfat stick', stats: { type: 0x4d44, bsize: 32768, blocks: 244_000, bfree: 200_000, bavail: 200_000 }, kind: 'fat' },
    { name: 'tmpfs', stats: { type: 0x01021994, bsize: 4096, blocks: 512, bfree: 512, bavail: 512 }, kind: 'tmpfs' },
    { name: 'ext4', stats: { type: 0xef53, bsize: 4096, blocks: 66_053_021, bfree: 60_309_769, bavail: 20_854_476 }, kind: 'ext' },
    { name: 'btrfs (above 2^31)', stats: { type: 0x9123683e, bsize: 4096, blocks: 10, bfree: 1, bavail: 1 }, kind: 'btrfs' },
    { name: 'btrfs sign-extended', stats: { type: 0x9123683e | 0, bsize: 4096, blocks: 10, bfree: 1, bavail: 1 }, kind: 'btrfs' },
    { name: 'exFAT', stats: { type: 0x2011bab0, bsize: 4096, blocks: 10, bfree: 1, bavail: 1 }, kind: 'exfat' },
    { name: 'unknown', stats: { type: 0x12345678, bsize: 4096, blocks: 10, bfree: 1, bavail: 1 }, kind: 'other' },
  ];
  it.each(rows)('$name', ({ stats, kind }) => {
    const facts = volumeFactsFromStatfs('/mnt/x', stats);
    expect(facts.fileSystem).toBe(kind);
    expect(facts.totalBytes).toBe(stats.blocks * stats.bsize);
    expect(facts.freeBytes).toBe(stats.bavail * stats.bsize);
    expect(facts.statfsType).toBe(stats.type >>> 0);
  });

  it('magic numbers are linux/magic.h values', () => {
    expect(STATFS_MAGIC.ISO9660).toBe(0x9660);
    expect(STATFS_MAGIC.UDF).toBe(0x15013346);
    expect(STATFS_MAGIC.MSDOS).toBe(0x4d44);
    expect(fileSystemKindFromStatfsType(0x4d44)).toBe('fat');
  });
});

/** A 512-byte FAT volume boot sector with the given BPB fields (Microsoft FAT specification offsets). */
function bootSector(fields: {
  bytesPerSector: number; sectorsPerCluster: number; reserved: number; fats: number; rootEntries: number;
  totalSectors16: number; sectorsPerFat16: number; totalSectors32: number; sectorsPerFat32?: number; label: 'FAT12' | 'FAT16' | 'FAT32';
}): Uint8Array {
  const sector = new Uint8Array(512);
  const view = new DataView(sector.buffer);
  sector.set([0xeb, 0x3c, 0x90]);
  view.setUint16(11, fields.bytesPerSector, true);
  view.setUint8(13, fields.sectorsPerCluster);
  view.setUint16(14, fields.reserved, true);
  view.setUint8(16, fields.fats);
  view.setUint16(17, fields.rootEntries, true);
  view.setUint16(19, fields.totalSectors16, true);
  view.setUint16(22, fields.sectorsPerFat16, true);
  view.setUint32(32, fields.totalSectors32, true);
  if (fields.sectorsPerFat32 !== undefined) view.setUint32(36, fields.sectorsPerFat32, true);
  const labelOffset = fields.label === 'FAT32' ? 0x52 : 0x36;
  sector.set(new TextEncoder().encode(`${fields.label}   `), labelOffset);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}


const vfatStatfs = (blocks: number) => async () => ({ type: 0x4d44, bsize: 4096, blocks, bavail: blocks / 2 });

async function probeWithDevice(sector: Uint8Array | undefined, blocks: number) {
  const folder = await mkdtemp(path.join(tmpdir(), 'vpc-fatdev-'));
  try {
    const device = path.join(folder, 'device.img');
    if (sector !== undefined) await writeFile(device, sector);
    const mountInfo = path.join(folder, 'mountinfo');
    await writeFile(mountInfo, `22 1 254:0 / / rw - ext4 /dev/vda rw\n41 22 7:0 / ${folder} rw - vfat ${device} rw\n`);
    await mkdir(path.join(folder, 'mnt'));
    return await new LinuxVolumeProbe({ mountInfoPath: mountInfo, statfs: vfatStatfs(blocks) }).probe(path.join(folder, 'mnt'));
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

describe('FAT variant from the volume boot sector (cluster count, as the FAT specification decides)', () => {
  it('1.44 MB floppy → FAT12', () => {
    expect(fatVariantFromBootSector(bootSector({ bytesPerSector: 512, sectorsPerCluster: 1, reserved: 1, fats: 2, rootEntries: 224, totalSectors16: 2880, sectorsPerFat16: 9, totalSectors32: 0, label: 'FAT12' }))).toBe('fat12');
  });
  it('512 MiB with 8 KiB clusters → FAT16', () => {
    expect(fatVariantFromBootSector(bootSector({ bytesPerSector: 512, sectorsPerCluster: 16, reserved: 4, fats: 2, rootEntries: 512, totalSectors16: 0, sectorsPerFat16: 256, totalSectors32: 1_048_576, label: 'FAT16' }))).toBe('fat16');
  });
  it('2 GiB with 4 KiB clusters → FAT32', () => {
    expect(fatVariantFromBootSector(bootSector({ bytesPerSector: 512, sectorsPerCluster: 8, reserved: 32, fats: 2, rootEntries: 0, totalSectors16: 0, sectorsPerFat16: 0, totalSectors32: 4_194_304, sectorsPerFat32: 4088, label: 'FAT32' }))).toBe('fat32');
  });
  it('the label string does not decide: a FAT16 BPB labelled FAT32 is still FAT16', () => {
    expect(fatVariantFromBootSector(bootSector({ bytesPerSector: 512, sectorsPerCluster: 16, reserved: 4, fats: 2, rootEntries: 512, totalSectors16: 0, sectorsPerFat16: 256, totalSectors32: 1_048_576, label: 'FAT32' }))).toBe('fat16');
  });
  it('not a boot sector → undefined', () => {
    expect(fatVariantFromBootSector(new Uint8Array(512))).toBeUndefined();
    const noSignature = bootSector({ bytesPerSector: 512, sectorsPerCluster: 1, reserved: 1, fats: 2, rootEntries: 224, totalSectors16: 2880, sectorsPerFat16: 9, totalSectors32: 0, label: 'FAT12' });
    noSignature[511] = 0;
    expect(fatVariantFromBootSector(noSignature)).toBeUndefined();
    const badSectorSize = bootSector({ bytesPerSector: 500, sectorsPerCluster: 1, reserved: 1, fats: 2, rootEntries: 224, totalSectors16: 2880, sectorsPerFat16: 9, totalSectors32: 0, label: 'FAT12' });
    expect(fatVariantFromBootSector(badSectorSize)).toBeUndefined();
  });
  it('size fallback when the device cannot be read: above 4 GiB only FAT32 exists', () => {
    expect(fatVariantFromVolumeSize(8 * GIB)).toBe('fat32');
    expect(fatVariantFromVolumeSize(4 * GIB)).toBe('fat16');
    expect(fatVariantFromVolumeSize(GIB)).toBe('fat16');
  });
  it('host file limits', () => {
    expect(maxFileBytesOn('fat32')).toBe(4 * GIB - 1);
    expect(maxFileBytesOn('fat16')).toBe(2 * GIB - 1);
    expect(maxFileBytesOn('fat12')).toBe(2 * GIB - 1);
    expect(maxFileBytesOn('ext')).toBeUndefined();
    expect(maxFileBytesOn('ntfs')).toBeUndefined();
  });
});

describe('mountinfo', () => {
  const sample = [
    '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
    '40 22 0:35 / /tmp/space\\040dir rw,relatime shared:20 - tmpfs tmpfs rw,size=2048k',
    '41 22 7:0 / /media/usb rw,relatime - vfat /dev/loop0 rw,fmask=0022',
    '42 41 7:1 / /media/usb/inner rw - iso9660 /dev/loop1 ro',
  ].join('\n');
  const entries = parseMountInfo(sample);
  it('parses fields and unescapes octal', () => {
    expect(entries).toHaveLength(4);
    expect(entries[1]).toEqual({ mountPoint: '/tmp/space dir', fileSystemType: 'tmpfs', source: 'tmpfs' });
  });
  it.each([
    ['/media/usb/a/b', '/dev/loop0'],
    ['/media/usb', '/dev/loop0'],
    ['/media/usbx/a', '/dev/vda'],
    ['/media/usb/inner/x', '/dev/loop1'],
    ['/tmp/space dir/f', 'tmpfs'],
    ['/etc', '/dev/vda'],
  ])('%s is on %s', (target, source) => {
    expect(mountContaining(entries, target)?.source).toBe(source);
  });
});

describe('the real Linux probe', { timeout: 30_000 }, () => {
  it('reports the temp folder the way statfs(2) does', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'vpc-probe-'));
    try {
      const facts = await new LinuxVolumeProbe().probe(folder);
      const stats = await statfs(folder);
      expect(facts.statfsType).toBe(stats.type >>> 0);
      expect(facts.fileSystem).toBe(fileSystemKindFromStatfsType(stats.type));
      expect(facts.totalBytes).toBe(stats.blocks * stats.bsize);
      // Free space moves as other tests write; the probe's figure must be close to a fresh statfs.
      expect(Math.abs(facts.freeBytes - stats.bavail * stats.bsize)).toBeLessThan(GIB);
      // `stat -f` is an independent reader of the same syscall.
      const typeName = spawnSync('stat', ['-f', '-c', '%T', folder], { encoding: 'utf8' }).stdout.trim();
      if (typeName === 'ext2/ext3') expect(facts.fileSystem).toBe('ext');
      if (typeName === 'tmpfs') expect(facts.fileSystem).toBe('tmpfs');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('reports a real 2 MiB tmpfs mount', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'vpc-tmpfs-'));
    try {
      await withSmallVolume(folder, 2 * 1024 * 1024, async () => {
        await mkdir(path.join(folder, 'sub'));
        const facts = await new LinuxVolumeProbe().probe(path.join(folder, 'sub'));
        expect(facts.fileSystem).toBe('tmpfs');
        expect(facts.statfsType).toBe(STATFS_MAGIC.TMPFS);
        expect(facts.totalBytes).toBe(2 * 1024 * 1024);
        await writeFile(path.join(folder, 'sub', 'fill'), new Uint8Array(1024 * 1024));
        const after = await new LinuxVolumeProbe().probe(folder);
        expect(after.freeBytes).toBe(1024 * 1024);
      });
    } finally {
      // Already gone after the unmount; this removes it when the mount failed.
      await rm(folder, { recursive: true, force: true });
    }
  });

  describe('FAT volumes (vfat cannot be mounted here: statfs replayed, device and mountinfo are real files)', () => {
    const fat16Sector = bootSector({ bytesPerSector: 512, sectorsPerCluster: 16, reserved: 4, fats: 2, rootEntries: 512, totalSectors16: 0, sectorsPerFat16: 256, totalSectors32: 1_048_576, label: 'FAT16' });
    const fat32Sector = bootSector({ bytesPerSector: 512, sectorsPerCluster: 8, reserved: 32, fats: 2, rootEntries: 0, totalSectors16: 0, sectorsPerFat16: 0, totalSectors32: 4_194_304, sectorsPerFat32: 4088, label: 'FAT32' });

    it('reads FAT16 from the boot sector even on a large volume', async () => {
      expect((await probeWithDevice(fat16Sector, 4 * 1024 * 1024)).fileSystem).toBe('fat16');
    });
    it('reads FAT32 from the boot sector even on a small volume', async () => {
      expect((await probeWithDevice(fat32Sector, 1024)).fileSystem).toBe('fat32');
    });
    it('falls back to the volume size when the device is unreadable', async () => {
      expect((await probeWithDevice(undefined, 1024)).fileSystem).toBe('fat16');              // 4 MiB
      expect((await probeWithDevice(undefined, 2 * 1024 * 1024)).fileSystem).toBe('fat32');  // 8 GiB
    });
  });
});
