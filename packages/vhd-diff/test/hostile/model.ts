/**
 * The content model of a hostile case and the spec-level writer that turns it into files. Written from the
 * specification's offsets (docs/format.md#footer, #dynamic-header, #bat-and-blocks) without the code under test, so the oracle and the readers
 * check each other. Layout of a dynamic/differencing file: footer copy · header · locator data · BAT · blocks · footer.
 */
import { Random } from './random.js';

export const SECTOR = 512;
export const FOOTER_BYTES = 512;
export const HEADER_BYTES = 1024;
const UNUSED = 0xffff_ffff;
/** VHD timestamps count seconds from 2000-01-01 UTC. */
const VHD_EPOCH_MS = Date.UTC(2000, 0, 1);

export type ImageKind = 'fixed' | 'dynamic' | 'differencing';

/** One allocated block: which of its sectors the bitmap marks, and the block's data area. */
export interface BlockModel {
  bitmap: boolean[];
  data: Uint8Array;
}

/** One image of a chain as the generator means it (before any mutation). */
export interface ImageModel {
  name: string;
  kind: ImageKind;
  virtualSize: number;
  uniqueId: Uint8Array;
  /** Fixed images: the whole data area. */
  data?: Uint8Array;
  /** Dynamic and differencing images. */
  blockSize?: number;
  blocks?: Map<number, BlockModel>;
}

/** Where the writer put each structure (mutations aim at these). */
export interface ImageLayout {
  kind: ImageKind;
  headerOffset: number;
  locatorOffsets: number[];
  tableOffset: number;
  tableEntries: number;
  blockOffsets: Map<number, number>;
  bitmapBytes: number;
  blockSize: number;
  footerOffset: number;
}

export interface BuiltImage {
  model: ImageModel;
  bytes: Uint8Array;
  layout: ImageLayout;
}

export function checksum(bytes: Uint8Array, checksumOffset: number): number {
  let sum = 0;
  for (let index = 0; index < bytes.length; index++) {
    if (index >= checksumOffset && index < checksumOffset + 4) continue;
    sum = (sum + bytes[index]!) >>> 0;
  }
  return ~sum >>> 0;
}

export function refreshChecksum(bytes: Uint8Array, structureOffset: number, length: number, checksumOffset: number): void {
  if (structureOffset < 0 || structureOffset + length > bytes.length) return;
  const structure = bytes.subarray(structureOffset, structureOffset + length);
  new DataView(structure.buffer, structure.byteOffset, length).setUint32(checksumOffset, checksum(structure, checksumOffset));
}

export function bitmapBytesFor(blockSize: number): number {
  return Math.ceil(blockSize / SECTOR / 8 / SECTOR) * SECTOR;
}

/** The specification's CHS algorithm (docs/format.md#geometry). */
export function geometryOf(size: number): { cylinders: number; heads: number; sectorsPerTrack: number } {
  const total = Math.min(Math.floor(size / SECTOR), 65535 * 16 * 255);
  let spt: number;
  let heads: number;
  let cth: number;
  if (total >= 65535 * 16 * 63) {
    spt = 255;
    heads = 16;
    cth = Math.floor(total / spt);
  } else {
    spt = 17;
    cth = Math.floor(total / spt);
    heads = Math.max(Math.floor((cth + 1023) / 1024), 4);
    if (cth >= heads * 1024 || heads > 16) {
      spt = 31;
      heads = 16;
      cth = Math.floor(total / spt);
    }
    if (cth >= heads * 1024) {
      spt = 63;
      heads = 16;
      cth = Math.floor(total / spt);
    }
  }
  return { cylinders: Math.floor(cth / heads), heads, sectorsPerTrack: spt };
}

function ascii(bytes: Uint8Array, offset: number, text: string): void {
  for (let index = 0; index < text.length; index++) bytes[offset + index] = text.charCodeAt(index);
}

export function footerBytes(model: ImageModel, dataOffset: bigint): Uint8Array {
  const bytes = new Uint8Array(FOOTER_BYTES);
  const view = new DataView(bytes.buffer);
  ascii(bytes, 0, 'conectix');
  view.setUint32(8, 2);
  view.setUint32(12, 0x0001_0000);
  view.setBigUint64(16, dataOffset);
  view.setUint32(24, Math.floor((Date.UTC(2026, 0, 1) - VHD_EPOCH_MS) / 1000));
  ascii(bytes, 28, 'hstl');
  view.setUint32(32, 0x0001_0000);
  ascii(bytes, 36, 'Wi2k');
  view.setBigUint64(40, BigInt(model.virtualSize));
  view.setBigUint64(48, BigInt(model.virtualSize));
  const geometry = geometryOf(model.virtualSize);
  view.setUint16(56, geometry.cylinders);
  bytes[58] = geometry.heads;
  bytes[59] = geometry.sectorsPerTrack;
  view.setUint32(60, model.kind === 'fixed' ? 2 : model.kind === 'dynamic' ? 3 : 4);
  bytes.set(model.uniqueId, 68);
  refreshChecksum(bytes, 0, FOOTER_BYTES, 64);
  return bytes;
}

/** `parent` and `locatorPath` for differencing images only. */
function headerBytes(model: ImageModel, layout: ImageLayout, parent: ImageModel | undefined, locatorData: Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  ascii(bytes, 0, 'cxsparse');
  view.setBigUint64(8, 0xffff_ffff_ffff_ffffn);
  view.setBigUint64(16, BigInt(layout.tableOffset));
  view.setUint32(24, 0x0001_0000);
  view.setUint32(28, layout.tableEntries);
  view.setUint32(32, layout.blockSize);
  if (parent) {
    bytes.set(parent.uniqueId, 40);
    view.setUint32(56, 0); // not recorded: readers accept any parent mtime
    for (let index = 0; index < parent.name.length; index++) view.setUint16(64 + index * 2, parent.name.charCodeAt(index));
    locatorData.forEach((data, index) => {
      const at = 576 + index * 24;
      ascii(bytes, at, index === 0 ? 'W2ru' : 'Wi2r');
      view.setUint32(at + 4, SECTOR);
      view.setUint32(at + 8, data.length);
      view.setBigUint64(at + 16, BigInt(layout.locatorOffsets[index]!));
    });
  }
  refreshChecksum(bytes, 0, HEADER_BYTES, 36);
  return bytes;
}

/** Relative-path locator data: `.\name` as UTF-16LE (W2ru) and as 8-bit text (Wi2r). */
function locatorPayloads(parent: ImageModel): Uint8Array[] {
  const path = `.\\${parent.name}`;
  const utf16 = new Uint8Array(path.length * 2);
  for (let index = 0; index < path.length; index++) utf16[index * 2] = path.charCodeAt(index);
  const narrow = new Uint8Array(path.length);
  ascii(narrow, 0, path);
  return [utf16, narrow];
}

export function buildImage(model: ImageModel, parent: ImageModel | undefined): BuiltImage {
  if (model.kind === 'fixed') {
    const data = model.data!;
    const bytes = new Uint8Array(data.length + FOOTER_BYTES);
    bytes.set(data, 0);
    bytes.set(footerBytes(model, 0xffff_ffff_ffff_ffffn), data.length);
    const layout: ImageLayout = {
      kind: 'fixed', headerOffset: -1, locatorOffsets: [], tableOffset: -1, tableEntries: 0,
      blockOffsets: new Map(), bitmapBytes: 0, blockSize: 0, footerOffset: data.length,
    };
    return { model, bytes, layout };
  }
  const blockSize = model.blockSize!;
  const tableEntries = Math.ceil(model.virtualSize / blockSize);
  const payloads = parent ? locatorPayloads(parent) : [];
  const headerOffset = FOOTER_BYTES;
  let cursor = headerOffset + HEADER_BYTES;
  const locatorOffsets = payloads.map(() => {
    const at = cursor;
    cursor += SECTOR;
    return at;
  });
  const tableOffset = cursor;
  cursor += Math.ceil((tableEntries * 4) / SECTOR) * SECTOR;
  const bitmapBytes = bitmapBytesFor(blockSize);
  const blockOffsets = new Map<number, number>();
  for (let index = 0; index < tableEntries; index++) {
    if (!model.blocks!.has(index)) continue;
    blockOffsets.set(index, cursor);
    cursor += bitmapBytes + blockSize;
  }
  const layout: ImageLayout = { kind: model.kind, headerOffset, locatorOffsets, tableOffset, tableEntries, blockOffsets, bitmapBytes, blockSize, footerOffset: cursor };
  const bytes = new Uint8Array(cursor + FOOTER_BYTES);
  const view = new DataView(bytes.buffer);
  const footer = footerBytes(model, BigInt(headerOffset));
  bytes.set(footer, 0);
  bytes.set(headerBytes(model, layout, parent, payloads), headerOffset);
  payloads.forEach((data, index) => bytes.set(data, locatorOffsets[index]!));
  for (let index = 0; index < Math.ceil((tableEntries * 4) / SECTOR) * (SECTOR / 4); index++) view.setUint32(tableOffset + index * 4, UNUSED);
  for (const [index, block] of model.blocks!) {
    const at = blockOffsets.get(index)!;
    view.setUint32(tableOffset + index * 4, at / SECTOR);
    block.bitmap.forEach((set, sector) => {
      if (set) bytes[at + (sector >> 3)]! |= 0x80 >> (sector & 7);
    });
    bytes.set(block.data, at + bitmapBytes);
  }
  bytes.set(footer, cursor);
  return { model, bytes, layout };
}

/** Block sizes of valid images: small ones keep files tiny; 2 MiB now and then, as real images have. */
const VALID_BLOCK_SIZES = [4096, 4096, 4096, 4096, 4096, 4096, 8192, 8192, 8192, 16384, 16384, 65536, 65536, 512 * 1024, 2 * 1024 * 1024, 512];

function randomBlocks(random: Random, virtualSize: number, blockSize: number, differencing: boolean): Map<number, BlockModel> {
  const blocks = new Map<number, BlockModel>();
  const count = Math.ceil(virtualSize / blockSize);
  const sectorsPerBlock = blockSize / SECTOR;
  for (let index = 0; index < count; index++) {
    if (!random.chance(0.6)) continue;
    const full = random.chance(0.5);
    const bitmap = Array.from({ length: sectorsPerBlock }, () => full || random.chance(0.5));
    // Real dynamic writers zero what the bitmap leaves clear; differencing blocks may hold anything there.
    const data = random.sectors(blockSize);
    if (!differencing) bitmap.forEach((set, sector) => { if (!set) data.fill(0, sector * SECTOR, (sector + 1) * SECTOR); });
    blocks.set(index, { bitmap, data });
  }
  return blocks;
}

/** A valid chain, top image first: a fixed or dynamic image alone, or a differencing chain of 2–3 images. */
export function randomChain(random: Random): ImageModel[] {
  const depth = random.pick([1, 1, 2, 2, 3]);
  const blockSize = random.pick(VALID_BLOCK_SIZES);
  const blocksInDisk = blockSize >= 512 * 1024 ? random.between(1, 2) : random.between(1, 12);
  // A size in whole sectors, sometimes ending inside a block.
  const virtualSize = random.chance(0.5) ? blocksInDisk * blockSize : Math.max(SECTOR, (blocksInDisk * blockSize) - random.int(blockSize / SECTOR) * SECTOR);
  const chain: ImageModel[] = [];
  for (let level = depth - 1; level >= 0; level--) {
    const base = level === depth - 1;
    const kind: ImageKind = base ? (random.chance(0.35) ? 'fixed' : 'dynamic') : 'differencing';
    const name = `img${level}.vhd`;
    const uniqueId = random.bytes(16);
    if (kind === 'fixed') {
      chain.unshift({ name, kind, virtualSize, uniqueId, data: random.sectors(virtualSize) });
    } else {
      chain.unshift({ name, kind, virtualSize, uniqueId, blockSize, blocks: randomBlocks(random, virtualSize, blockSize, kind === 'differencing') });
    }
  }
  return chain;
}

/** Builds every image of a chain (top first). */
export function buildChain(chain: ImageModel[]): BuiltImage[] {
  return chain.map((model, index) => buildImage(model, chain[index + 1]));
}
