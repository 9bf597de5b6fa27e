/** The one chain resolver and reader over sources: candidates, checks, and bytes equal to a sector model. */
import { describe, expect, it } from 'vitest';
import {
  ChainReader,
  FOOTER_SIZE,
  MAX_CHAIN_DEPTH,
  SECTOR_SIZE,
  VhdChainError,
  bytesSource,
  encodeFooter,
  heldRuns,
  openImageChain,
  parentCandidates,
  pickedSources,
  readImage,
  SectorBitmap,
  blockStateOf,
  computeChecksum,
  vhdSecondsOfModifiedTime,
} from '../src/index.js';
import type { ParentResolver, RandomAccessSource } from '../src/index.js';
import { buildDynamicImage } from './support/image-builder.js';
import type { BuiltBlock, BuiltImage } from './support/image-builder.js';

const BLOCK = 64 * 1024;
const VIRTUAL = 4 * BLOCK;
const SECTORS_PER_BLOCK = BLOCK / SECTOR_SIZE;

/** A block holding `fill` in the sectors whose bit `isSet(sector)` says, garbage (0xEE) elsewhere. */
function block(blockIndex: number, fill: number, isSet: (sector: number) => boolean): BuiltBlock {
  const bitmap = new SectorBitmap(new Uint8Array(SECTOR_SIZE), SECTORS_PER_BLOCK);
  const data = new Uint8Array(BLOCK).fill(0xee);
  for (let sector = 0; sector < SECTORS_PER_BLOCK; sector++) {
    if (!isSet(sector)) continue;
    bitmap.set(sector);
    data.fill(fill, sector * SECTOR_SIZE, (sector + 1) * SECTOR_SIZE);
  }
  return { blockIndex, bitmap: bitmap.bytes, data };
}

/** Gives a built image its own unique id (the builder uses one id for all). */
function withUniqueId(built: BuiltImage, id: number): BuiltImage {
  const footer = { ...built.footer, uniqueId: new Uint8Array(16).fill(id) };
  const bytes = built.bytes.slice();
  const encoded = encodeFooter(footer);
  bytes.set(encoded, 0);
  bytes.set(encoded, bytes.length - FOOTER_SIZE);
  return { ...built, footer, bytes };
}

function layer(id: number, parentId: number | undefined, parentName: string, blocks: BuiltBlock[]): BuiltImage {
  const parent = parentId === undefined ? undefined : { uniqueId: new Uint8Array(16).fill(parentId), name: parentName, locators: [{ platformCode: 'W2ru' as const, path: `.\\${parentName}` }] };
  return withUniqueId(buildDynamicImage({ virtualSize: VIRTUAL, blockSize: BLOCK, blocks, parent }), id);
}

/** base ← child ← top, with blocks full, partial, empty and absent in various layers. */
function threeLayers() {
  const base = layer(1, undefined, '', [block(0, 0x11, () => true), block(1, 0x12, () => true), block(3, 0x13, (sector) => sector % 3 === 0)]);
  const child = layer(2, 1, 'base.vhd', [block(1, 0x21, (sector) => sector < 40), block(2, 0x22, (sector) => sector % 2 === 1), block(3, 0x23, () => false)]);
  const top = layer(3, 2, 'child.vhd', [block(1, 0x31, (sector) => sector >= 100 && sector < 110), block(3, 0x33, (sector) => sector === 5)]);
  return { base, child, top, layers: [top, child, base] };
}

/** The expected disk: for each sector, the topmost layer whose block is allocated with the bit set, else zero. */
function modelDisk(layers: BuiltImage[], blocks: Map<BuiltImage, BuiltBlock[]>): Uint8Array {
  const disk = new Uint8Array(VIRTUAL);
  for (let sector = 0; sector < VIRTUAL / SECTOR_SIZE; sector++) {
    const blockIndex = Math.floor(sector / SECTORS_PER_BLOCK);
    const inBlock = sector % SECTORS_PER_BLOCK;
    for (const image of layers) {
      const held = blocks.get(image)!.find((candidate) => candidate.blockIndex === blockIndex);
      if (!held || !new SectorBitmap(held.bitmap, SECTORS_PER_BLOCK).get(inBlock)) continue;
      disk.set(held.data.subarray(inBlock * SECTOR_SIZE, (inBlock + 1) * SECTOR_SIZE), sector * SECTOR_SIZE);
      break;
    }
  }
  return disk;
}

function folderResolver(files: Record<string, Uint8Array>): ParentResolver {
  return (_child, candidates) => {
    for (const candidate of candidates) if (files[candidate.location]) return Promise.resolve(bytesSource(files[candidate.location]!, { name: candidate.location }));
    return Promise.resolve(undefined);
  };
}

/** Index of the first differing byte, or -1 (toEqual on 256 KiB typed arrays is far too slow). */
function firstDifference(actual: Uint8Array, expected: Uint8Array): number {
  if (actual.length !== expected.length) return Math.min(actual.length, expected.length);
  for (let index = 0; index < actual.length; index++) if (actual[index] !== expected[index]) return index;
  return -1;
}

/** Records a parent time in a child's header (refreshing the checksum). */
function withParentTimestamp(bytes: Uint8Array, seconds: number): Uint8Array {
  const copy = bytes.slice();
  const view = new DataView(copy.buffer, 512, 1024);
  view.setUint32(56, seconds);
  view.setUint32(36, computeChecksum(copy.subarray(512, 1536), 36));
  return copy;
}

async function chainError(promise: Promise<unknown>): Promise<VhdChainError> {
  const error = await promise.then(() => undefined, (thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(VhdChainError);
  return error as VhdChainError;
}

describe('heldRuns: the one per-sector decision', () => {
  it('unallocated and empty blocks hold nothing, full ones everything, partial ones what the bitmap says', () => {
    expect([...heldRuns(undefined, 100, 5000)]).toEqual([{ from: 100, to: 5000, held: false }]);
    const bitmap = new SectorBitmap(new Uint8Array(SECTOR_SIZE), SECTORS_PER_BLOCK);
    expect([...heldRuns(blockStateOf(bitmap), 0, 1024)]).toEqual([{ from: 0, to: 1024, held: false }]);
    bitmap.setRange(1, 2);
    expect([...heldRuns(blockStateOf(bitmap), 100, 2000)]).toEqual([
      { from: 100, to: 512, held: false },
      { from: 512, to: 1536, held: true },
      { from: 1536, to: 2000, held: false },
    ]);
    bitmap.setRange(0, SECTORS_PER_BLOCK);
    expect([...heldRuns(blockStateOf(bitmap), 7, 9)]).toEqual([{ from: 7, to: 9, held: true }]);
  });
});

describe('parentCandidates', () => {
  it('files: W2ru relative to the child folder first, then absolute, then the header name', async () => {
    const built = buildDynamicImage({
      virtualSize: VIRTUAL,
      blockSize: BLOCK,
      blocks: [],
      parent: { uniqueId: new Uint8Array(16), name: 'C:\\vms\\base.vhd', locators: [{ platformCode: 'W2ku', path: '/srv/abs/base.vhd' }, { platformCode: 'W2ru', path: '..\\up\\base.vhd' }] },
    });
    const image = await readImage(bytesSource(built.bytes));
    expect(parentCandidates(image, '/data/vms/child.vhd')).toEqual([
      { from: 'W2ru', location: '/data/up/base.vhd' },
      { from: 'W2ku', location: '/srv/abs/base.vhd' },
      { from: 'name', location: '/data/vms/base.vhd' },
    ]);
  });

  it('URLs: W2ru and the name resolve against the child URL; drive-letter paths are skipped', async () => {
    const built = buildDynamicImage({
      virtualSize: VIRTUAL,
      blockSize: BLOCK,
      blocks: [],
      parent: { uniqueId: new Uint8Array(16), name: 'base.vhd', locators: [{ platformCode: 'W2ku', path: 'C:\\vms\\base.vhd' }, { platformCode: 'W2ru', path: '.\\sub\\base.vhd' }] },
    });
    const image = await readImage(bytesSource(built.bytes));
    expect(parentCandidates(image, 'http://127.0.0.1:8080/images/child.vhd')).toEqual([
      { from: 'W2ru', location: 'http://127.0.0.1:8080/images/sub/base.vhd' },
      { from: 'name', location: 'http://127.0.0.1:8080/images/base.vhd' },
    ]);
    expect(parentCandidates(image, '/x/child.vhd').map((candidate) => candidate.location)).toEqual(['/x/sub/base.vhd', '/x/base.vhd']);
  });
});

describe('openImageChain and ChainReader over byte sources', () => {
  it('a 3-image chain reads exactly the sector model, at every alignment', async () => {
    const { base, child, top, layers } = threeLayers();
    const files = { '/vm/base.vhd': base.bytes, '/vm/child.vhd': child.bytes };
    const chain = await openImageChain(bytesSource(top.bytes, { name: '/vm/top.vhd' }), { resolveParent: folderResolver(files) });
    expect(chain.map((entry) => entry.source.name)).toEqual(['/vm/top.vhd', '/vm/child.vhd', '/vm/base.vhd']);
    const blocks = new Map<BuiltImage, BuiltBlock[]>();
    // Rebuild the block lists the images were made from (same calls as threeLayers).
    blocks.set(base, [block(0, 0x11, () => true), block(1, 0x12, () => true), block(3, 0x13, (sector) => sector % 3 === 0)]);
    blocks.set(child, [block(1, 0x21, (sector) => sector < 40), block(2, 0x22, (sector) => sector % 2 === 1), block(3, 0x23, () => false)]);
    blocks.set(top, [block(1, 0x31, (sector) => sector >= 100 && sector < 110), block(3, 0x33, (sector) => sector === 5)]);
    const expected = modelDisk(layers, blocks);
    const reader = new ChainReader(chain);
    const whole = new Uint8Array(VIRTUAL + 1000).fill(0x99);
    expect(await reader.read(whole, 0)).toBe(VIRTUAL);
    expect(firstDifference(whole.subarray(0, VIRTUAL), expected)).toBe(-1);
    expect(whole[VIRTUAL]).toBe(0x99);
    for (const [offset, length] of [[1, 700], [BLOCK - 3, 9], [BLOCK + 511, 51_300], [3 * BLOCK + 2000, BLOCK - 2000]] as const) {
      const part = new Uint8Array(length);
      await reader.read(part, offset);
      expect(firstDifference(part, expected.subarray(offset, offset + length))).toBe(-1);
    }
  });

  it('refuses a parent with another unique id, a loop, a missing parent and too deep a chain', async () => {
    const { base, child, top } = threeLayers();
    const stranger = layer(9, undefined, '', []);
    const mismatch = await chainError(openImageChain(bytesSource(top.bytes, { name: '/vm/top.vhd' }), { resolveParent: folderResolver({ '/vm/child.vhd': stranger.bytes }) }));
    expect(mismatch.code).toBe('PARENT_MISMATCH');
    expect(mismatch.facts).toMatchObject({ reason: 'parent-id', parentPath: '/vm/child.vhd' });

    const missing = await chainError(openImageChain(bytesSource(top.bytes, { name: '/vm/top.vhd' }), { resolveParent: folderResolver({}) }));
    expect(missing.code).toBe('PARENT_NOT_FOUND');
    expect(missing.message).toContain('/vm/child.vhd');

    const deep = await chainError(openImageChain(bytesSource(top.bytes, { name: '/vm/top.vhd' }), { resolveParent: folderResolver({ '/vm/child.vhd': child.bytes, '/vm/base.vhd': base.bytes }), maxDepth: 2 }));
    expect(deep.code).toBe('CHAIN_TOO_DEEP');

    // top's parent is child; make "child" a differencing image pointing back at top: top → child → top.
    const loopingChild = layer(2, 3, 'top.vhd', []);
    const loop = await chainError(openImageChain(bytesSource(top.bytes, { name: '/vm/top.vhd' }), { resolveParent: folderResolver({ '/vm/child.vhd': loopingChild.bytes, '/vm/top.vhd': top.bytes }) }));
    expect(loop.code).toBe('CHAIN_LOOP');
    expect(MAX_CHAIN_DEPTH).toBe(32);
    await expect(openImageChain(bytesSource(top.bytes), { resolveParent: folderResolver({}), maxDepth: MAX_CHAIN_DEPTH + 1 })).rejects.toThrow(RangeError);
  });

  it('compares the recorded parent time with the source time; "accept" turns it into a warning', async () => {
    const { base, child } = threeLayers();
    const modifiedTime = new Date('2030-01-01T00:00:00Z');
    const parentSeconds = vhdSecondsOfModifiedTime(modifiedTime);
    const dated: RandomAccessSource = bytesSource(base.bytes, { name: '/vm/base.vhd', modifiedTime });
    const resolveParent = () => Promise.resolve(dated);
    const open = (recorded: number, timestampMismatch?: 'accept') =>
      openImageChain(bytesSource(withParentTimestamp(child.bytes, recorded), { name: '/vm/child.vhd' }), { resolveParent, timestampMismatch });
    expect(await open(parentSeconds)).toHaveLength(2);
    expect(await open(0)).toHaveLength(2);
    const refused = await chainError(open(parentSeconds - 60));
    expect(refused.code).toBe('PARENT_TIMESTAMP_MISMATCH');
    expect(refused.facts).toMatchObject({ recorded: parentSeconds - 60, actual: parentSeconds });
    const accepted = await open(parentSeconds - 60, 'accept');
    expect(accepted[0]!.warnings.join('\n')).toMatch(/accepted/);
  });

  it('pickedSources finds a parent among picked files by name', async () => {
    const { base, child } = threeLayers();
    const chain = await openImageChain(bytesSource(child.bytes, { name: 'child.vhd' }), { resolveParent: pickedSources([bytesSource(base.bytes, { name: 'base.vhd' })]) });
    expect(chain.map((entry) => entry.source.name)).toEqual(['child.vhd', 'base.vhd']);
  });
});
