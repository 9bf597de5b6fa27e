/** The README's example outputs and stated limits are true of the code. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as format from '../src/index.js';
import { loadSharedFixtures } from './support/fixtures.js';

const readme = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md'), 'utf8');
const decodingSection = readme.slice(readme.indexOf('## Decoding a footer and a header'), readme.indexOf('## Choices worth knowing'));
const exampleOutputs = [...decodingSection.matchAll(/\/\/ → (.+)$/gm)].map((match) => match[1]);
const { available, fixtures } = loadSharedFixtures();

describe('README', () => {
  it.skipIf(!available)('the footer/header example prints what the code gives for the Windows-made child', () => {
    const { bytes } = fixtures.find((fixture) => fixture.facts.file === 'dfvfs-fat-differential.vhd')!;
    const footer = format.decodeFooter(bytes.subarray(bytes.length - 512));
    const headerOffset = Number(footer.dataOffset);
    const header = format.decodeDynamicHeader(bytes.subarray(headerOffset, headerOffset + 1024), { fileSize: bytes.length });
    expect(exampleOutputs).toEqual([
      [format.diskTypeName(footer.diskType), footer.currentSize, format.uniqueIdToString(footer.uniqueId)].join(' '),
      [header.blockSize, header.maxTableEntries, header.parentUnicodeName].join(' '),
    ]);
  });

  it('every error code it lists exists, and the code list is complete', () => {
    const listed = readme.match(/`BAD_COOKIE`[^.]*`NOT_DYNAMIC`/)![0].match(/`([A-Z_]+)`/g)!.map((code) => code.slice(1, -1));
    const codes: format.VhdFormatErrorCode[] = [
      'BAD_COOKIE', 'BAD_CHECKSUM', 'UNSUPPORTED_VERSION', 'BAD_DISK_TYPE', 'TABLE_OUT_OF_RANGE', 'BAD_BLOCK_SIZE', 'TRUNCATED',
      'BAD_SIZE', 'BAD_DATA_OFFSET', 'BAD_LOCATOR', 'BAD_GEOMETRY', 'BLOCK_OUT_OF_ORDER', 'NOT_DYNAMIC',
    ];
    expect(listed).toEqual(codes);
  });

  it('the limits it states are the constants', () => {
    expect(readme).toContain(`at most ${format.MAX_TABLE_ENTRIES.toLocaleString('en')} BAT entries`);
    expect(format.MAX_BLOCK_SIZE).toBe(256 * 1024 * 1024);
    expect(format.MIN_BLOCK_SIZE).toBe(512);
    expect(format.MAX_LOCATOR_DATA_BYTES).toBe(64 * 1024);
    expect(format.MAX_PARENT_NAME_UNITS).toBe(256);
  });

  it('the unique id byte-order example matches uniqueIdToString', () => {
    const bytes = Uint8Array.of(0x55, 0x1a, 0xa2, 0x5f, 0x94, 0xf3, 0x4d, 0xaa, 0, 0, 0, 0, 0, 0, 0, 0);
    expect(readme).toContain(`as \`${format.uniqueIdToString(bytes).slice(0, 19)}…\``);
  });
});
