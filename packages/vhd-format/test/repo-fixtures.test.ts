/**
 * The QEMU-made images tools/make-fixtures commits into fixtures/: footer facts, byte-exact round trips,
 * and the virtual disk the streaming parser reassembles equals zeros plus the recorded write patterns.
 */
import { existsSync, readFileSync } from 'node:fs';
import { repoFixturePath, repoFixtures, sha256Bytes } from '@vhdkit/test-support';
import type { RepoFixtureFacts } from '@vhdkit/test-support';
import { describe, expect, it } from 'vitest';
import {
  batByteSize,
  decodeBat,
  decodeDynamicHeader,
  decodeFooter,
  diskTypeName,
  encodeBat,
  encodeDynamicHeader,
  encodeFooter,
  FIXED_DATA_OFFSET,
  parseVhdStream,
  SectorBitmap,
} from '../src/index.js';
import { chunked } from './support/image-builder.js';

const generated = repoFixtures();

/** The disk QEMU was asked to write: zeros, then each pattern in order. */
function modelDisk(facts: RepoFixtureFacts): Uint8Array {
  const disk = new Uint8Array(facts.virtualSize);
  for (const { offset, length, byte } of facts.pattern) disk.fill(byte, offset, offset + length);
  return disk;
}

/** Reassembles the virtual disk from stream events, honouring the sector bitmaps. */
async function streamedDisk(bytes: Uint8Array, virtualSize: number, chunkSize: number): Promise<Uint8Array> {
  const disk = new Uint8Array(virtualSize);
  let blockSize = 0;
  for await (const event of parseVhdStream(chunked(bytes, chunkSize))) {
    if (event.kind === 'header') blockSize = event.header.blockSize;
    if (event.kind !== 'block') continue;
    for (const sectors of new SectorBitmap(event.bitmap, blockSize / 512).runs()) {
      if (!sectors.set) continue;
      const from = sectors.start * 512;
      const to = Math.min((sectors.start + sectors.count) * 512, virtualSize - event.virtualOffset);
      if (to > from) disk.set(event.data.subarray(from, to), event.virtualOffset + from);
    }
  }
  return disk;
}

describe('repository fixtures', () => {
  it('expected.json lists only files that exist', () => {
    for (const facts of generated) expect(existsSync(repoFixturePath(facts.file)), facts.file).toBe(true);
  });

  describe.each(generated.map((facts) => [facts.file, facts] as const))('%s', (_file, facts) => {
    const bytes = new Uint8Array(readFileSync(repoFixturePath(facts.file)));
    const footerBytes = bytes.subarray(bytes.length - 512);

    it('is the file expected.json describes; footer facts match; encode(decode(footer)) is byte-identical', () => {
      expect(bytes.length).toBe(facts.fileSize);
      expect(sha256Bytes(bytes)).toBe(facts.sha256);
      const footer = decodeFooter(footerBytes);
      expect(diskTypeName(footer.diskType)).toBe(facts.diskType);
      expect(footer.currentSize).toBe(facts.virtualSize);
      expect(encodeFooter(footer, { checksum: 'keep' })).toEqual(footerBytes);
    });

    if (facts.diskType === 'fixed') {
      it('fixed: all-ones data offset, raw disk then footer, and the stream parser refuses it', async () => {
        const footer = decodeFooter(footerBytes);
        expect(footer.dataOffset).toBe(FIXED_DATA_OFFSET);
        expect(bytes.length).toBe(footer.currentSize + 512);
        expect(Buffer.compare(bytes.subarray(0, footer.currentSize), modelDisk(facts))).toBe(0);
        await expect(streamedDisk(bytes, facts.virtualSize, 65_536)).rejects.toMatchObject({ code: 'NOT_DYNAMIC' });
      });
      return;
    }

    it('header and BAT re-encode byte for byte', () => {
      const footer = decodeFooter(footerBytes);
      const headerOffset = Number(footer.dataOffset);
      const headerBytes = bytes.subarray(headerOffset, headerOffset + 1024);
      const header = decodeDynamicHeader(headerBytes, { fileSize: bytes.length });
      expect(header.blockSize).toBe(facts.blockSize);
      expect(encodeDynamicHeader(header, { checksum: 'keep' })).toEqual(headerBytes);
      const region = bytes.subarray(header.tableOffset, header.tableOffset + batByteSize(header.maxTableEntries));
      expect(encodeBat(decodeBat(region, header.maxTableEntries), region.length)).toEqual(region);
    });

    it.each([1024 * 1024, 4093])('streaming with %d-byte chunks reassembles zeros plus the written patterns', async (chunkSize) => {
      const disk = await streamedDisk(bytes, facts.virtualSize, chunkSize);
      expect(Buffer.compare(disk, modelDisk(facts))).toBe(0);
    });
  });
});
