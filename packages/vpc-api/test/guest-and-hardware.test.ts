import { describe, expect, it } from 'vitest';
import { MAX_VIRTUAL_SIZE } from '@vhdkit/vhd-format';
import { parseSizeArgument } from '../src/cli/size-argument.js';
import { cliLanguage, languageFlagIn } from '../src/cli/language.js';
import { guestVolumeFormatFromFirstSector } from '../src/guest/guest-volume-format.js';
import { sizeProblem } from '../src/guest/size-rules.js';
import { hardwareVirtualizationFromCpuInfo } from '../src/hardware/virtualization.js';

const MIB = 1024 * 1024;

/** An MBR with the given partition type bytes (0 = empty entry). */
function mbrWith(types: number[], options: { signature?: boolean; status?: number } = {}): Uint8Array {
  const sector = new Uint8Array(512);
  types.forEach((type, index) => {
    const entry = 0x1be + index * 16;
    sector[entry] = index === 0 ? (options.status ?? 0x80) : 0x00;
    sector[entry + 4] = type;
  });
  if (options.signature !== false) {
    sector[510] = 0x55;
    sector[511] = 0xaa;
  }
  return sector;
}

describe('guest volume format from sector 0', () => {
  it.each([
    { name: 'FAT12 (0x01) counts with FAT16', types: [0x01], families: ['fat16'] },
    { name: 'FAT16 <32M (0x04)', types: [0x04], families: ['fat16'] },
    { name: 'FAT16 (0x06)', types: [0x06], families: ['fat16'] },
    { name: 'FAT16 LBA (0x0E)', types: [0x0e], families: ['fat16'] },
    { name: 'FAT32 CHS (0x0B)', types: [0x0b], families: ['fat32'] },
    { name: 'FAT32 LBA (0x0C)', types: [0x0c], families: ['fat32'] },
    { name: 'NTFS (0x07)', types: [0x07], families: [undefined] },
    { name: 'GPT protective (0xEE)', types: [0xee], families: [undefined] },
    { name: 'FAT32 in the second entry', types: [0x83, 0x0c], families: [undefined, 'fat32'] },
  ])('$name', ({ types, families }) => {
    const format = guestVolumeFormatFromFirstSector(mbrWith(types));
    expect(format.partitioned).toBe(true);
    expect(format.partitions.map((partition) => partition.family)).toEqual(families);
    expect(format.partitions.map((partition) => partition.typeByte)).toEqual(types);
  });

  it('unpartitioned: zeros, no 0x55AA, bad status byte, or a bare FAT boot sector', () => {
    expect(guestVolumeFormatFromFirstSector(new Uint8Array(512))).toEqual({ partitioned: false, partitions: [] });
    expect(guestVolumeFormatFromFirstSector(mbrWith([0x06], { signature: false })).partitioned).toBe(false);
    expect(guestVolumeFormatFromFirstSector(mbrWith([0x06], { status: 0x12 })).partitioned).toBe(false);
    const superfloppy = mbrWith([0x06]);
    superfloppy.set([0xeb, 0x58, 0x90]);
    superfloppy.set(new TextEncoder().encode('FAT32   '), 0x52);
    expect(guestVolumeFormatFromFirstSector(superfloppy).partitioned).toBe(false);
    expect(guestVolumeFormatFromFirstSector(new Uint8Array(100)).partitioned).toBe(false);
  });
});

describe('size rules', () => {
  const fat16 = guestVolumeFormatFromFirstSector(mbrWith([0x06]));
  const fat32 = guestVolumeFormatFromFirstSector(mbrWith([0x0c]));
  it.each([
    { name: '3 MiB is the minimum', size: 3 * MIB, guest: undefined, expected: undefined },
    { name: 'one sector under 3 MiB', size: 3 * MIB - 512, guest: undefined, expected: 'too-small' },
    { name: 'exactly 2,088,960 MiB, the maximum, is accepted', size: MAX_VIRTUAL_SIZE, guest: undefined, expected: undefined },
    { name: 'one sector over 2,088,960 MiB is too large', size: MAX_VIRTUAL_SIZE + 512, guest: undefined, expected: 'too-large' },
    { name: 'one sector under 2,088,960 MiB', size: MAX_VIRTUAL_SIZE - 512, guest: undefined, expected: undefined },
    { name: 'FAT16 guest at 2000 MiB', size: 2000 * MIB, guest: fat16, expected: 'too-large' },
    { name: 'FAT16 guest just under 2000 MiB', size: 2000 * MIB - 512, guest: fat16, expected: undefined },
    { name: 'FAT32 guest under 514 MiB', size: 514 * MIB - 512, guest: fat32, expected: 'too-small' },
    { name: 'FAT32 guest at 514 MiB', size: 514 * MIB, guest: fat32, expected: undefined },
    { name: 'unformatted disk of 4000 MiB', size: 4000 * MIB, guest: guestVolumeFormatFromFirstSector(new Uint8Array(512)), expected: undefined },
  ])('$name', ({ size, guest, expected }) => {
    expect(sizeProblem(size, guest)?.kind).toBe(expected);
  });
});

describe('hardware virtualization from /proc/cpuinfo', () => {
  const intel = 'processor\t: 0\nflags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr vmx smx est\n';
  const amd = 'processor\t: 0\nflags\t\t: fpu vme svm extapic cr8_legacy\n';
  const guest = 'processor\t: 0\nflags\t\t: fpu vme de pse hypervisor lahf_lm\nprocessor\t: 1\nflags\t\t: fpu vme de pse hypervisor\n';
  const arm = 'processor\t: 0\nFeatures\t: fp asimd evtstrm aes\n';
  it.each([
    ['Intel VT-x', intel, 'present'],
    ['AMD-V', amd, 'present'],
    ['a VM without nested virtualization', guest, 'absent'],
    ['vmx only as part of another word', 'flags\t: vmxnot svmish\n', 'absent'],
    ['no x86 flags line (ARM)', arm, 'unknown'],
  ])('%s → %s', (_name, text, expected) => {
    expect(hardwareVirtualizationFromCpuInfo(text)).toBe(expected);
  });
});

describe('CLI arguments', () => {
  it.each([
    ['512', 512],
    ['64M', 64 * MIB],
    ['64m', 64 * MIB],
    ['1.5G', 1.5 * 1024 * MIB],
    ['2T', 2 * 1024 ** 4],
    ['3MiB', 3 * MIB],
    ['10K', 10240],
    ['', undefined],
    ['-5', undefined],
    ['12X', undefined],
    ['1e3', undefined],
    ['0x10', undefined],
    // Byte counts are whole bytes: a decimal that names a fraction of a byte is refused, never rounded.
    ['1.5', undefined],
    ['0.4', undefined],
    ['7.9', undefined],
    ['0.1K', undefined],
    ['0.5K', 512],
    ['2.25M', 2.25 * MIB],
    ['1.0', 1],
    [String(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER],
    ['8T', 8 * 1024 ** 4],
    ['9007199254740992', undefined],
  ])('size %j → %j', (text, bytes) => {
    expect(parseSizeArgument(text)).toBe(bytes);
  });
  it('language: --lang wins, then LANG', () => {
    expect(cliLanguage('es', { LANG: 'en_US.UTF-8' })).toBe('es');
    expect(cliLanguage(undefined, { LANG: 'es_ES.UTF-8' })).toBe('es');
    expect(cliLanguage(undefined, { LANG: 'C.UTF-8' })).toBe('en');
    expect(cliLanguage('en', { LANG: 'es_MX' })).toBe('en');
    expect(languageFlagIn(['info', '--lang', 'es'])).toBe('es');
    expect(languageFlagIn(['--lang=es'])).toBe('es');
  });
});
