import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { interop, run, tempDir } from '@vhdkit/test-support';
import { describe, expect, it } from 'vitest';
import {
  decodeBat,
  decodeDynamicHeaderLenient,
  decodeFooterLenient,
  encodeBat,
  encodeFooter,
  parseVhdStream,
  SectorBitmap,
  UNUSED_BAT_ENTRY,
  VhdFormatError,
} from '../src/index.js';
import type { ChunkSource, ParseStats, VhdStreamEvent } from '../src/index.js';
import { loadSharedFixtures, sorted } from './support/fixtures.js';
import { buildDynamicImage, chunked, patternBlock } from './support/image-builder.js';

const MiB = 1024 * 1024;

async function collect(source: ChunkSource, options: { lenient?: boolean; stats?: ParseStats } = {}): Promise<VhdStreamEvent[]> {
  const events: VhdStreamEvent[] = [];
  // Copy block bytes: events may be views of source chunks, and we keep them past the next chunk.
  for await (const event of parseVhdStream(source, options)) events.push(event.kind === 'block' ? { ...event, bitmap: event.bitmap.slice(), data: event.data.slice() } : event);
  return events;
}

async function parseError(source: AsyncIterable<Uint8Array>, options: { lenient?: boolean } = {}): Promise<VhdFormatError> {
  try {
    await collect(source, options);
  } catch (error) {
    if (error instanceof VhdFormatError) return error;
    throw error;
  }
  throw new Error('expected the parse to fail');
}

function newStats(): ParseStats {
  return { bytesConsumed: 0, maxBufferedBytes: 0 };
}

/** Checks every event against a direct decode of the same file bytes. */
function expectEventsMatchFile(events: VhdStreamEvent[], bytes: Uint8Array): void {
  const footer = decodeFooterLenient(bytes.subarray(bytes.length - 512)).value;
  const header = decodeDynamicHeaderLenient(bytes.subarray(512, 1536)).value;
  const bat = decodeBat(bytes.subarray(header.tableOffset), header.maxTableEntries);
  const kinds = events.map((event) => event.kind);
  expect(kinds[0]).toBe('footer-copy');
  expect(kinds[1]).toBe('header');
  expect(kinds[kinds.length - 1]).toBe('footer');
  const offsets = events.map((event) => event.offset);
  expect(sorted(offsets, (a, b) => a - b)).toEqual(offsets);
  for (const event of events) {
    switch (event.kind) {
      case 'footer-copy':
        expect(event.footer).toEqual(decodeFooterLenient(bytes.subarray(0, 512)).value);
        break;
      case 'header':
        expect(event.header).toEqual(header);
        break;
      case 'locator':
        expect(event.entry).toEqual(header.parentLocators[event.index]);
        expect(event.data).toEqual(bytes.subarray(event.offset, event.offset + event.entry.platformDataLength));
        break;
      case 'bat':
        expect(event.bat).toEqual(bat);
        break;
      case 'block':
        expect(event.offset).toBe(bat[event.blockIndex]! * 512);
        expect(event.virtualOffset).toBe(event.blockIndex * header.blockSize);
        expect(event.bitmap).toEqual(bytes.subarray(event.offset, event.offset + 512));
        expect(Buffer.compare(event.data, bytes.subarray(event.offset + 512, event.offset + 512 + header.blockSize))).toBe(0);
        break;
      case 'footer':
        expect(event.offset).toBe(bytes.length - 512);
        expect(event.footer).toEqual(footer);
        break;
    }
  }
  const blocks = sorted(events.flatMap((event) => (event.kind === 'block' ? [event.blockIndex] : [])), (a, b) => a - b);
  expect(blocks).toEqual([...bat.keys()].filter((index) => bat[index] !== UNUSED_BAT_ENTRY));
}

const { available, fixtures } = loadSharedFixtures();

describe.skipIf(!available)('parseVhdStream on the real images', () => {
  describe.each(fixtures.map((fixture) => [fixture.facts.file, fixture] as const))('%s', (_file, { facts, bytes }) => {
    it.each([1, MiB])('chunks of %d bytes: every event matches the file; memory stays within one block + BAT', async (chunkSize) => {
      const stats = newStats();
      const events = await collect(chunked(bytes, chunkSize), { lenient: true, stats });
      expectEventsMatchFile(events, bytes);
      const paths = events.flatMap((event) => (event.kind === 'locator' ? [{ platformCode: event.entry.platformCode, path: event.path }] : []));
      expect(paths).toEqual((facts.parentLocators ?? []).map(({ platformCode, path }) => ({ platformCode, path })));
      expect(events.filter((event) => event.kind === 'block')).toHaveLength(facts.allocatedBlocks!);
      expect(stats.bytesConsumed).toBe(bytes.length);
      // One block (its 512-byte bitmap and its data) plus the BAT.
      expect(stats.maxBufferedBytes).toBeLessThanOrEqual(512 + facts.blockSize! + facts.maxTableEntries! * 4);
    }, 30_000);

    it('lenient problems are exactly the bad checksums expected.json notes; strict mode throws them', async () => {
      const events = await collect(chunked(bytes, 64 * 1024), { lenient: true });
      const problems = events.flatMap((event) => ('problems' in event ? event.problems.map((problem) => `${event.kind}:${problem.code}@${problem.offset}`) : []));
      const expected = [
        ...(facts.footerChecksumValid ? [] : ['footer-copy:BAD_CHECKSUM@64']),
        ...(facts.headerChecksumValid ? [] : ['header:BAD_CHECKSUM@548']),
        ...(facts.footerChecksumValid ? [] : [`footer:BAD_CHECKSUM@${bytes.length - 512 + 64}`]),
      ];
      expect(problems).toEqual(expected);
      if (expected.length > 0) expect((await parseError(chunked(bytes, 64 * 1024))).code).toBe('BAD_CHECKSUM');
      else expect(await collect(chunked(bytes, 64 * 1024))).toHaveLength(events.length);
    });
  });

  it('reads a Node file stream (Buffer chunks) and yields plain Uint8Array views', async () => {
    const fixture = fixtures.find((candidate) => candidate.facts.file === 'dfvfs-fat-differential.vhd')!;
    const { sharedFixturePath } = await import('@vhdkit/test-support');
    const events = await collect(createReadStream(sharedFixturePath(fixture.facts.file), { highWaterMark: 65_536 }));
    expectEventsMatchFile(events, fixture.bytes);
    const block = events.find((event) => event.kind === 'block')!;
    expect(Buffer.isBuffer((block as { data: Uint8Array }).data)).toBe(false);
  });
});

describe('parseVhdStream on generated images', () => {
  const parentUniqueId = new Uint8Array(16).fill(0x77);
  const child = buildDynamicImage({
    virtualSize: 64 * 1024,
    blockSize: 4096,
    blocks: [5, 0, 15, 3].map((index) => patternBlock(index, 4096)),
    parent: {
      uniqueId: parentUniqueId,
      name: 'C:\\base\\parent.vhd',
      locators: [
        { platformCode: 'W2ku', path: 'C:\\base\\parent.vhd' },
        { platformCode: 'W2ru', path: '..\\base\\parent.vhd' },
        { platformCode: 'MacX', path: '/Volumes/base/parent.vhd' },
      ],
    },
  });

  it.each([1, 7, 4096, MiB])('a differencing child with locators, blocks written out of index order, chunks of %d', async (chunkSize) => {
    const stats = newStats();
    const events = await collect(chunked(child.bytes, chunkSize), { stats });
    expectEventsMatchFile(events, child.bytes);
    expect(events.map((event) => (event.kind === 'block' ? `block${event.blockIndex}` : event.kind))).toEqual([
      'footer-copy',
      'header',
      'locator',
      'bat',
      'locator',
      'locator',
      'block5',
      'block0',
      'block15',
      'block3',
      'footer',
    ]);
    expect(events.flatMap((event) => (event.kind === 'locator' ? [event.path] : []))).toEqual(['C:\\base\\parent.vhd', '..\\base\\parent.vhd', '/Volumes/base/parent.vhd']);
    expect(stats.maxBufferedBytes).toBeLessThanOrEqual(512 + 4096 + 16 * 4);
  });

  it('memory stays within one block + BAT for a fully allocated image, whatever the chunk size', async () => {
    const blockSize = 2 * MiB;
    const image = buildDynamicImage({ virtualSize: 8 * MiB, blockSize, blocks: [0, 1, 2, 3].map((index) => patternBlock(index, blockSize)) });
    for (const reuseBuffers of [false, true]) {
      for (const chunkSize of [1000, 64 * 1024, 3 * MiB, image.bytes.length]) {
        const stats = newStats();
        let blocks = 0;
        for await (const event of parseVhdStream(chunked(image.bytes, chunkSize), { stats, reuseBuffers })) if (event.kind === 'block') blocks++;
        expect(blocks).toBe(4);
        expect(stats.maxBufferedBytes).toBeGreaterThan(0);
        expect(stats.maxBufferedBytes).toBeLessThanOrEqual(512 + blockSize + 4 * 4);
      }
    }
  });

  it('reassembles the virtual disk: block data at the virtual offsets, bitmap bits honoured', async () => {
    const block = patternBlock(1, 4096);
    block.bitmap.fill(0);
    new SectorBitmap(block.bitmap, 8).setRange(2, 3);
    const image = buildDynamicImage({ virtualSize: 16 * 1024, blockSize: 4096, blocks: [block] });
    const events = await collect(chunked(image.bytes, 100));
    const blockEvent = events.find((event) => event.kind === 'block')!;
    expect(blockEvent).toMatchObject({ blockIndex: 1, virtualOffset: 4096 });
    const runs = [...new SectorBitmap((blockEvent as { bitmap: Uint8Array }).bitmap, 8).runs()];
    expect(runs).toEqual([
      { start: 0, count: 2, set: false },
      { start: 2, count: 3, set: true },
      { start: 5, count: 3, set: false },
    ]);
  });

  it('reuseBuffers: blocks that span chunks share one buffer, each correct when yielded', async () => {
    const blockSize = 64 * 1024;
    const image = buildDynamicImage({ virtualSize: 4 * blockSize, blockSize, blocks: [0, 1, 2, 3].map((index) => patternBlock(index, blockSize)) });
    const buffers = new Set<ArrayBufferLike>();
    let blocks = 0;
    for await (const event of parseVhdStream(chunked(image.bytes, 10_000), { reuseBuffers: true })) {
      if (event.kind !== 'block') continue;
      blocks++;
      buffers.add(event.data.buffer);
      expect(Buffer.compare(event.data, patternBlock(event.blockIndex, blockSize).data)).toBe(0);
    }
    expect(blocks).toBe(4);
    expect(buffers.size).toBe(1);
    // Without reuse every block owns its bytes, so blocks kept past the loop stay intact.
    const kept: { blockIndex: number; data: Uint8Array }[] = [];
    for await (const event of parseVhdStream(chunked(image.bytes, 10_000))) if (event.kind === 'block') kept.push(event);
    expect(new Set(kept.map((block) => block.data.buffer)).size).toBe(4);
    for (const block of kept) expect(Buffer.compare(block.data, patternBlock(block.blockIndex, blockSize).data)).toBe(0);
  });

  it('accepts a plain array (or any sync iterable) of chunks', async () => {
    const pieces = [child.bytes.subarray(0, 700), child.bytes.subarray(700, 9000), child.bytes.subarray(9000)];
    expectEventsMatchFile(await collect(pieces), child.bytes);
  });

  it('accepts a web ReadableStream', async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let offset = 0; offset < child.bytes.length; offset += 5000) controller.enqueue(child.bytes.slice(offset, offset + 5000));
        controller.close();
      },
    });
    expectEventsMatchFile(await collect(stream), child.bytes);
  });

  it('stopping early cancels a web stream and returns the async iterator', async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(child.bytes.slice(0, 4096));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const event of parseVhdStream(stream)) if (event.kind === 'footer-copy') break;
    expect(cancelled).toBe(true);

    let returned = false;
    const source = {
      async *[Symbol.asyncIterator]() {
        try {
          yield* chunked(child.bytes, 512);
        } finally {
          returned = true;
        }
      },
    };
    for await (const event of parseVhdStream(source)) if (event.kind === 'header') break;
    expect(returned).toBe(true);
  });

  it('accepts an image ending in a 511-byte footer', async () => {
    const image = buildDynamicImage({ virtualSize: 8192, blockSize: 4096, blocks: [patternBlock(0, 4096)] });
    const short = image.bytes.subarray(0, image.bytes.length - 1);
    const events = await collect(chunked(short, 333), { lenient: true });
    const footer = events[events.length - 1]!;
    expect(footer).toMatchObject({ kind: 'footer', offset: image.bytes.length - 512 });
    expect((footer as { problems: unknown[] }).problems).toEqual([expect.objectContaining({ code: 'TRUNCATED', severity: 'warning', offset: image.bytes.length - 1 })]);
  });

  it('reports BLOCK_OUT_OF_ORDER for a block that lies before the BAT or overlaps another block', async () => {
    const image = buildDynamicImage({ virtualSize: 16 * 1024, blockSize: 4096, blocks: [patternBlock(0, 4096), patternBlock(1, 4096)] });
    const tableOffset = image.header.tableOffset;
    const behind = image.bytes.slice();
    behind.set(encodeBat(Uint32Array.of(2, image.bat[1]!, UNUSED_BAT_ENTRY, UNUSED_BAT_ENTRY)), tableOffset);
    const error = await parseError(chunked(behind, 4096), { lenient: true });
    expect(error).toMatchObject({ code: 'BLOCK_OUT_OF_ORDER', offset: 1024 });

    const overlapping = image.bytes.slice();
    overlapping.set(encodeBat(Uint32Array.of(image.bat[0]!, image.bat[0]! + 1, UNUSED_BAT_ENTRY, UNUSED_BAT_ENTRY)), tableOffset);
    expect(await parseError(chunked(overlapping, 4096))).toMatchObject({ code: 'BLOCK_OUT_OF_ORDER', offset: (image.bat[0]! + 1) * 512 });
  });

  it('NOT_DYNAMIC for a fixed image or bytes without a footer copy', async () => {
    const fixedFooter = decodeFooterLenient(child.bytes.subarray(0, 512)).value;
    const fixed = new Uint8Array(4096 + 512);
    fixed.set(encodeFooter({ ...fixedFooter, diskType: 2, dataOffset: 0xffffffffffffffffn }), 4096);
    expect(await parseError(chunked(fixed, 4096))).toMatchObject({ code: 'NOT_DYNAMIC', offset: 0 });
    const fixedWithCopy = fixed.slice();
    fixedWithCopy.set(fixed.subarray(4096), 0);
    expect(await parseError(chunked(fixedWithCopy, 4096))).toMatchObject({ code: 'NOT_DYNAMIC' });
  });

  it('TRUNCATED when the stream ends inside a structure, a block or before the footer', async () => {
    expect(await parseError(chunked(child.bytes.subarray(0, 300), 64))).toMatchObject({ code: 'TRUNCATED', offset: 300 });
    expect(await parseError(chunked(child.bytes.subarray(0, 1000), 64))).toMatchObject({ code: 'TRUNCATED', offset: 1000 });
    const lastBlockEnd = child.blockOffsets.get(3)! + 512 + 4096;
    expect(await parseError(chunked(child.bytes.subarray(0, lastBlockEnd - 10), 64))).toMatchObject({ code: 'TRUNCATED', offset: lastBlockEnd - 10 });
    // Ends after the last block with fewer than 511 bytes: no room for a footer.
    expect(await parseError(chunked(child.bytes.subarray(0, lastBlockEnd + 100), 64))).toMatchObject({ code: 'TRUNCATED', offset: lastBlockEnd + 100 });
    // Ends with 512 bytes that are not a footer (the real footer was cut off).
    expect(await parseError(chunked(child.bytes.subarray(0, child.bytes.length - 512), 64))).toMatchObject({ code: 'BAD_COOKIE', offset: child.bytes.length - 1024 });
  });

  it('header errors carry file offsets, and layout faults stop even a lenient parse', async () => {
    const hostile = child.bytes.slice();
    new DataView(hostile.buffer).setUint32(512 + 28, 0xffffffff);
    expect(await parseError(chunked(hostile, 4096), { lenient: true })).toMatchObject({ code: 'TABLE_OUT_OF_RANGE', offset: 512 + 28 });
  });

  it('lenient: a damaged end footer is reported, not fatal; a footer copy with no usable header offset stops the parse', async () => {
    const damagedEnd = child.bytes.slice();
    new DataView(damagedEnd.buffer).setUint32(damagedEnd.length - 512 + 60, 9);
    const events = await collect(chunked(damagedEnd, 4096), { lenient: true });
    const footer = events[events.length - 1] as Extract<VhdStreamEvent, { kind: 'footer' }>;
    expect(footer.footer.diskType).toBe(9);
    expect(footer.problems.map((problem) => `${problem.code}@${problem.offset}`)).toEqual([`BAD_CHECKSUM@${damagedEnd.length - 512 + 64}`, `BAD_DISK_TYPE@${damagedEnd.length - 512 + 60}`]);
    expect(await parseError(chunked(damagedEnd, 4096))).toMatchObject({ code: 'BAD_CHECKSUM', offset: damagedEnd.length - 512 + 64 });

    const badCopy = child.bytes.slice();
    new DataView(badCopy.buffer).setBigUint64(16, 0xffffffffffffffffn);
    expect(await parseError(chunked(badCopy, 4096), { lenient: true })).toMatchObject({ code: 'BAD_DATA_OFFSET', offset: 16 });
  });

  it('rejects chunks that are not bytes', async () => {
    const source = (async function* () {
      yield 'text' as unknown as Uint8Array;
    })();
    await expect(collect(source)).rejects.toThrow(TypeError);
  });
});

const qemuImg = interop('qemu-img');
const qemuIo = interop('qemu-io');

describe.skipIf(!qemuImg.available || !qemuIo.available)('parseVhdStream on images made by qemu-img', () => {
  it('reassembles the same virtual disk qemu-img converts to raw', async () => {
    const dir = await tempDir('vhd-format-stream-');
    try {
      const image = join(dir.path, 'dynamic.vhd');
      const raw = join(dir.path, 'disk.raw');
      expect(run(qemuImg.command, ['create', '-q', '-f', 'vpc', '-o', 'subformat=dynamic', image, '12M']).status).toBe(0);
      for (const [pattern, offset, length] of [[0xab, '1M', '64k'], [0x5c, '5M', '1536'], [0x11, '9M', '2M']] as const) {
        const written = run(qemuIo.command, ['-f', 'vpc', '-c', `write -P ${pattern} ${offset} ${length}`, image]);
        expect(written.status, written.stderr).toBe(0);
      }
      expect(run(qemuImg.command, ['convert', '-f', 'vpc', '-O', 'raw', image, raw]).status).toBe(0);
      const expected = new Uint8Array(readFileSync(raw));

      const disk = new Uint8Array(expected.length);
      let blockSize = 0;
      const stats = newStats();
      for await (const event of parseVhdStream(createReadStream(image, { highWaterMark: 100_000 }), { stats })) {
        if (event.kind === 'header') blockSize = event.header.blockSize;
        if (event.kind !== 'block') continue;
        for (const sectors of new SectorBitmap(event.bitmap, blockSize / 512).runs()) {
          if (!sectors.set) continue;
          const from = sectors.start * 512;
          const to = Math.min((sectors.start + sectors.count) * 512, disk.length - event.virtualOffset);
          if (to > from) disk.set(event.data.subarray(from, to), event.virtualOffset + from);
        }
      }
      expect(Buffer.compare(disk, expected)).toBe(0);
      expect(disk[1024 * 1024]).toBe(0xab);
      expect(stats.maxBufferedBytes).toBeLessThanOrEqual(512 + blockSize + 4 * 8);
    } finally {
      await dir.cleanup();
    }
  }, 30_000);
});
