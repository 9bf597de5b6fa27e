/** Every real image in ../shared/fixtures: decoded facts equal expected.json; re-encoding is byte-exact. */
import { describe, expect, it } from 'vitest';
import {
  batByteSize,
  decodeBat,
  decodeDynamicHeader,
  decodeDynamicHeaderLenient,
  decodeFooter,
  decodeFooterLenient,
  decodeLocatorPath,
  diskTypeName,
  encodeBat,
  encodeDynamicHeader,
  encodeFooter,
  footerChecksumValid,
  headerChecksumValid,
  isUnusedLocator,
  locatorDataSpaceBytes,
  planDynamicLayout,
  uniqueIdToString,
  UNUSED_BAT_ENTRY,
  VhdFormatError,
  FOOTER_SIZE,
  DYNAMIC_HEADER_SIZE,
} from '../src/index.js';
import { hex32, loadSharedFixtures, sorted } from './support/fixtures.js';

const { available, fixtures } = loadSharedFixtures();

describe.skipIf(!available)('shared fixtures', () => {
  it('has the four real images', () => {
    expect(sorted(fixtures.map((fixture) => fixture.facts.file))).toEqual([
      'dfvfs-ext2.vhd',
      'dfvfs-fat-differential.vhd',
      'dfvfs-image-differential.vhd',
      'dfvfs-image.vhd',
    ]);
  });

  describe.each(fixtures.map((fixture) => [fixture.facts.file, fixture] as const))('%s', (_file, { facts, bytes }) => {
    const footerBytes = bytes.subarray(bytes.length - FOOTER_SIZE);
    const footer = decodeFooterLenient(footerBytes);
    const headerBytes = bytes.subarray(facts.dataOffset, facts.dataOffset + DYNAMIC_HEADER_SIZE);
    const header = decodeDynamicHeaderLenient(headerBytes, { fileSize: bytes.length });

    it('footer facts equal expected.json', () => {
      const value = footer.value;
      expect(value.cookie).toBe('conectix');
      expect(diskTypeName(value.diskType)).toBe(facts.diskType);
      expect(value.creatorApplication).toBe(facts.creatorApplication);
      expect(hex32(value.creatorVersion)).toBe(facts.creatorVersion);
      expect(value.creatorHostOs).toBe(facts.creatorHostOs);
      expect(value.originalSize).toBe(facts.originalSize);
      expect(value.currentSize).toBe(facts.currentSize);
      expect(value.geometry).toEqual(facts.geometry);
      expect(value.timestamp).toBe(facts.timestamp);
      expect(uniqueIdToString(value.uniqueId)).toBe(facts.uniqueId);
      expect(hex32(value.checksum)).toBe(facts.footerChecksum);
      expect(value.dataOffset).toBe(BigInt(facts.dataOffset));
      expect(footerChecksumValid(footerBytes)).toBe(facts.footerChecksumValid);
    });

    it('the footer copy at offset 0 is identical to the footer', () => {
      expect(facts.footerCopyAtStart).toBe(true);
      expect(bytes.subarray(0, FOOTER_SIZE)).toEqual(footerBytes);
    });

    it('header facts equal expected.json', () => {
      const value = header.value;
      expect(value.cookie).toBe(facts.headerCookie);
      expect(value.tableOffset).toBe(facts.tableOffset);
      expect(hex32(value.headerVersion)).toBe(facts.headerVersion);
      expect(value.maxTableEntries).toBe(facts.maxTableEntries);
      expect(value.blockSize).toBe(facts.blockSize);
      expect(hex32(value.checksum)).toBe(facts.headerChecksum);
      expect(headerChecksumValid(headerBytes)).toBe(facts.headerChecksumValid);
      if (facts.diskType === 'differencing') {
        expect(uniqueIdToString(value.parentUniqueId)).toBe(facts.parentUniqueId);
        expect(value.parentTimestamp).toBe(facts.parentTimestamp);
        expect(value.parentUnicodeName).toBe(facts.parentUnicodeName);
      } else {
        expect(value.parentUniqueId).toEqual(new Uint8Array(16));
        expect(value.parentUnicodeName).toBe('');
      }
    });

    it('parent locators and their paths equal expected.json', () => {
      const used = header.value.parentLocators.filter((entry) => !isUnusedLocator(entry));
      expect(header.value.parentLocators).toHaveLength(8);
      const decoded = used.map((entry) => ({
        platformCode: entry.platformCode,
        dataSpace: locatorDataSpaceBytes(entry),
        dataLength: entry.platformDataLength,
        dataOffset: entry.platformDataOffset,
        path: decodeLocatorPath(entry.platformCode, bytes.subarray(entry.platformDataOffset, entry.platformDataOffset + entry.platformDataLength)),
      }));
      expect(decoded).toEqual(facts.parentLocators ?? []);
    });

    it('the BAT holds the expected number of allocated blocks, each inside the file', () => {
      const bat = decodeBat(bytes.subarray(header.value.tableOffset), header.value.maxTableEntries);
      const allocated = [...bat].filter((entry) => entry !== UNUSED_BAT_ENTRY);
      expect(allocated).toHaveLength(facts.allocatedBlocks!);
      for (const sector of allocated) expect(sector * 512 + 512 + header.value.blockSize).toBeLessThanOrEqual(bytes.length - FOOTER_SIZE);
    });

    it('encode(decode(footer)) is byte-identical, and computing the checksum gives a valid footer', () => {
      expect(encodeFooter(footer.value, { checksum: 'keep' })).toEqual(footerBytes);
      const recomputed = encodeFooter(footer.value);
      expect(footerChecksumValid(recomputed)).toBe(true);
      expect(recomputed.subarray(0, 64)).toEqual(footerBytes.subarray(0, 64));
    });

    it('encode(decode(header)) is byte-identical, locator area included', () => {
      const encoded = encodeDynamicHeader(header.value, { checksum: 'keep' });
      expect(encoded).toEqual(headerBytes);
      expect(encoded.subarray(576, 768)).toEqual(bytes.subarray(facts.dataOffset + 576, facts.dataOffset + 768));
    });

    it('encode(decode(BAT)) is byte-identical over the whole padded table sector(s)', () => {
      const { tableOffset, maxTableEntries } = header.value;
      const region = bytes.subarray(tableOffset, tableOffset + batByteSize(maxTableEntries));
      expect(encodeBat(decodeBat(region, maxTableEntries), region.length)).toEqual(region);
    });

    it('lenient decoding reports exactly the anomalies expected.json notes', () => {
      const footerProblems = footer.problems.map((problem) => `${problem.code}@${problem.offset}`);
      const headerProblems = header.problems.map((problem) => `${problem.code}@${problem.offset}`);
      expect(footerProblems).toEqual(facts.footerChecksumValid ? [] : ['BAD_CHECKSUM@64']);
      expect(headerProblems).toEqual(facts.headerChecksumValid ? [] : ['BAD_CHECKSUM@36']);
    });

    it('strict decoding accepts valid structures and throws BAD_CHECKSUM for the damaged ones', () => {
      if (facts.footerChecksumValid) expect(decodeFooter(footerBytes)).toEqual(footer.value);
      else expect(() => decodeFooter(footerBytes)).toThrow(expect.objectContaining({ name: 'VhdFormatError', code: 'BAD_CHECKSUM', offset: 64 }));
      if (facts.headerChecksumValid) expect(decodeDynamicHeader(headerBytes)).toEqual(header.value);
      else expect(() => decodeDynamicHeader(headerBytes)).toThrow(VhdFormatError);
    });
  });

  it('planDynamicLayout reproduces the Windows-made child layout byte for byte', () => {
    const { bytes } = fixtures.find((fixture) => fixture.facts.file === 'dfvfs-fat-differential.vhd')!;
    const header = decodeDynamicHeader(bytes.subarray(512, 1536));
    const [w2ku, w2ru] = header.parentLocators;
    const layout = planDynamicLayout({
      virtualSize: 4 * 1024 * 1024,
      blockSize: header.blockSize,
      locators: [
        { platformCode: 'W2ku', dataBytes: w2ku!.platformDataLength },
        { platformCode: 'W2ru', dataBytes: w2ru!.platformDataLength },
      ],
    });
    expect(layout.tableOffset).toBe(header.tableOffset);
    expect(layout.locators).toEqual([
      { platformCode: 'W2ku', dataOffset: w2ku!.platformDataOffset, dataSpace: w2ku!.platformDataSpace, dataBytes: 84 },
      { platformCode: 'W2ru', dataOffset: w2ru!.platformDataOffset, dataSpace: w2ru!.platformDataSpace, dataBytes: 32 },
    ]);
    expect(layout).toMatchObject({ tableOffset: 8192, tableByteSize: 4096, firstBlockOffset: 81408, bitmapByteSize: 512 });
    // The fixture's only block sits exactly where the layout puts the first block.
    const bat = decodeBat(bytes.subarray(header.tableOffset), header.maxTableEntries);
    expect(bat[0]! * 512).toBe(layout.firstBlockOffset);
    // The BAT region is padded with 0xFF up to the layout's size, and nothing else sits in it.
    const region = bytes.subarray(layout.tableOffset, layout.tableOffset + layout.tableByteSize);
    expect(region.subarray(header.maxTableEntries * 4).every((byte) => byte === 0xff)).toBe(true);
    expect(encodeBat(bat, layout.tableByteSize)).toEqual(region);
    // Between regions there are only zeros (1536..4096 and after each locator's data).
    const zeros = (from: number, to: number) => bytes.subarray(from, to).every((byte) => byte === 0);
    expect(zeros(1536, 4096)).toBe(true);
    expect(zeros(4096 + 84, 8192)).toBe(true);
    expect(zeros(12288 + 32, layout.firstBlockOffset)).toBe(true);
  });
});
