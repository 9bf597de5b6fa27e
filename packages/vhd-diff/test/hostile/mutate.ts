/**
 * Targeted mutations of built images: footer, header, locator and BAT fields, bitmaps, truncation at structure
 * boundaries and bit flips, with checksums refreshed or not. Each returns a line saying what it did.
 */
import { FOOTER_BYTES, HEADER_BYTES, SECTOR, refreshChecksum, type BuiltImage } from './model.js';
import type { Random } from './random.js';

/** An image's bytes may change length (truncation), so mutations return the new bytes. */
type Mutation = (image: BuiltImage, random: Random) => { bytes: Uint8Array; what: string } | undefined;

const dynamicOnly = (mutation: Mutation): Mutation => (image, random) => (image.layout.kind === 'fixed' ? undefined : mutation(image, random));

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Footer offsets to patch: the trailing footer, and for dynamic images the copy at 0 too (usually). */
function footerTargets(image: BuiltImage, random: Random): number[] {
  const trailing = image.layout.footerOffset;
  if (image.layout.kind === 'fixed') return [trailing];
  return random.pick([[trailing, 0], [trailing, 0], [trailing], [0]]);
}

function patchFooter(image: BuiltImage, random: Random, field: string, write: (footer: DataView) => void): { bytes: Uint8Array; what: string } {
  const bytes = image.bytes;
  const targets = footerTargets(image, random);
  const refresh = random.chance(0.75);
  for (const at of targets) {
    write(view(bytes.subarray(at, at + FOOTER_BYTES)));
    if (refresh) refreshChecksum(bytes, at, FOOTER_BYTES, 64);
  }
  return { bytes, what: `footer ${field} at ${targets.join('+')}${refresh ? '' : ' (stale checksum)'}` };
}

function patchHeader(image: BuiltImage, random: Random, field: string, write: (header: DataView) => void): { bytes: Uint8Array; what: string } {
  const bytes = image.bytes;
  const at = image.layout.headerOffset;
  write(view(bytes.subarray(at, at + HEADER_BYTES)));
  const refresh = random.chance(0.8);
  if (refresh) refreshChecksum(bytes, at, HEADER_BYTES, 36);
  return { bytes, what: `header ${field}${refresh ? '' : ' (stale checksum)'}` };
}

/** Offsets of the image's own structures, for values that land on (or overlap) them. */
function structureOffsets(image: BuiltImage): number[] {
  const { layout } = image;
  return [0, layout.headerOffset, layout.tableOffset, layout.footerOffset, ...layout.locatorOffsets, ...layout.blockOffsets.values()].filter((at) => at >= 0);
}

const BAD_BLOCK_SIZES = [0, 1, 1000, 1536, 2 * 1024 * 1024 + 512, 0xffff_fe00, 0x8000_0000, 256 * 1024 * 1024, 512 * 1024 * 1024, 512, 3 * 4096];

const MUTATIONS: { name: string; weight: number; apply: Mutation }[] = [
  { name: 'footer-disk-type', weight: 3, apply: (image, random) => {
    const value = random.pick([0, 1, 2, 3, 4, 5, 6, 0xffff_ffff]);
    return patchFooter(image, random, `disk type ${value}`, (footer) => footer.setUint32(60, value));
  } },
  { name: 'footer-data-offset', weight: 3, apply: (image, random) => {
    const value = random.chance(0.5) ? random.u64() : BigInt(random.pick(structureOffsets(image)) + random.pick([0, 1, 512, -512]));
    const safe = value < 0n ? 0n : value & 0xffff_ffff_ffff_ffffn;
    return patchFooter(image, random, `data offset ${safe}`, (footer) => footer.setBigUint64(16, safe));
  } },
  { name: 'footer-current-size', weight: 4, apply: (image, random) => {
    const size = image.model.virtualSize;
    const value = random.pick([0n, 1n, BigInt(size - SECTOR), BigInt(size + SECTOR), BigInt(size * 2), BigInt(size + 1), 2_190_433_320_960n, 2_190_433_321_472n, 2n ** 53n + 512n, 2n ** 64n - 512n, random.u64()]);
    const safe = value < 0n ? 0n : value;
    const both = random.chance(0.5);
    return patchFooter(image, random, `current size ${safe}${both ? ' and original size' : ''}`, (footer) => {
      footer.setBigUint64(48, safe);
      if (both) footer.setBigUint64(40, safe);
    });
  } },
  { name: 'footer-original-size', weight: 1, apply: (image, random) => {
    const value = random.u64();
    return patchFooter(image, random, `original size ${value}`, (footer) => footer.setBigUint64(40, value));
  } },
  { name: 'footer-geometry', weight: 1, apply: (image, random) => {
    const cylinders = random.pick([0, 1, 0xffff]);
    const heads = random.pick([0, 16, 255]);
    const sectors = random.pick([0, 17, 255]);
    return patchFooter(image, random, `geometry ${cylinders}/${heads}/${sectors}`, (footer) => {
      footer.setUint16(56, cylinders);
      footer.setUint8(58, heads);
      footer.setUint8(59, sectors);
    });
  } },
  { name: 'footer-cookie', weight: 1, apply: (image, random) => {
    const index = random.int(8);
    return patchFooter(image, random, `cookie byte ${index}`, (footer) => footer.setUint8(index, footer.getUint8(index) ^ 0x20));
  } },
  { name: 'footer-version', weight: 1, apply: (image, random) => {
    const value = random.pick([0, 0x0002_0000, 0x0000_0001, 0xffff_ffff]);
    return patchFooter(image, random, `format version ${value}`, (footer) => footer.setUint32(12, value));
  } },
  { name: 'footer-checksum-only', weight: 1, apply: (image, random) => {
    const at = random.pick(footerTargets(image, random));
    image.bytes[at + 64 + random.int(4)]! ^= 1 << random.int(8);
    return { bytes: image.bytes, what: `footer checksum at ${at}` };
  } },
  { name: 'header-table-offset', weight: 3, apply: dynamicOnly((image, random) => {
    const value = random.chance(0.5) ? random.u64() : BigInt(Math.max(0, random.pick(structureOffsets(image)) + random.pick([0, 4, 512, -512])));
    return patchHeader(image, random, `table offset ${value}`, (header) => header.setBigUint64(16, value));
  }) },
  { name: 'header-max-table-entries', weight: 3, apply: dynamicOnly((image, random) => {
    const value = random.pick([0, 1, image.layout.tableEntries - 1, image.layout.tableEntries + 1, image.layout.tableEntries * 128, 4 * 1024 * 1024, 4 * 1024 * 1024 + 1, 0xffff_ffff, random.u32()]);
    const safe = Math.max(0, value) >>> 0;
    return patchHeader(image, random, `max table entries ${safe}`, (header) => header.setUint32(28, safe));
  }) },
  { name: 'header-block-size', weight: 4, apply: dynamicOnly((image, random) => {
    const value = random.chance(0.8) ? random.pick(BAD_BLOCK_SIZES) : random.u32();
    return patchHeader(image, random, `block size ${value}`, (header) => header.setUint32(32, value));
  }) },
  { name: 'header-cookie-version', weight: 1, apply: dynamicOnly((image, random) => {
    if (random.chance(0.5)) return patchHeader(image, random, 'cookie', (header) => header.setUint8(random.int(8), 0x41));
    const value = random.pick([0, 0x0002_0000, 0xffff_ffff]);
    return patchHeader(image, random, `version ${value}`, (header) => header.setUint32(24, value));
  }) },
  { name: 'header-parent-identity', weight: 2, apply: dynamicOnly((image, random) => {
    const which = random.int(3);
    if (which === 0) return patchHeader(image, random, 'parent unique id', (header) => header.setUint8(40 + random.int(16), random.int(256)));
    if (which === 1) {
      const value = random.u32();
      return patchHeader(image, random, `parent timestamp ${value}`, (header) => header.setUint32(56, value));
    }
    const name = random.pick(['..\\..\\etc\\passwd', '', 'missing.vhd', 'img0.vhd', '\u0000x', 'a'.repeat(256), '..\\secret.txt']);
    return patchHeader(image, random, `parent name ${JSON.stringify(name.slice(0, 20))}`, (header) => {
      for (let index = 0; index < 256; index++) header.setUint16(64 + index * 2, index < name.length ? name.charCodeAt(index) : 0);
    });
  }) },
  { name: 'locator-entry', weight: 4, apply: dynamicOnly((image, random) => {
    const entry = random.int(8);
    const at = 576 + entry * 24;
    const code = random.pick(['W2ru', 'W2ku', 'Wi2r', 'Wi2k', 'MacX', 'Mac ', 'ABCD', '\0\0\0\0']);
    const space = random.u32();
    const length = random.pick([0, 1, 3, 24, 512, 65536, 65537, 0x4000_0000, 0xffff_ffff, random.u32()]);
    const offset = random.chance(0.5) ? random.u64() : BigInt(Math.max(0, random.pick(structureOffsets(image)) + random.pick([0, 8, -8])));
    return patchHeader(image, random, `locator ${entry} ${JSON.stringify(code)} space ${space} length ${length} offset ${offset}`, (header) => {
      for (let index = 0; index < 4; index++) header.setUint8(at + index, code.charCodeAt(index));
      header.setUint32(at + 4, space);
      header.setUint32(at + 8, length);
      header.setBigUint64(at + 16, offset);
    });
  }) },
  { name: 'locator-path', weight: 2, apply: dynamicOnly((image, random) => {
    const offsets = image.layout.locatorOffsets;
    if (offsets.length === 0) return undefined;
    const path = random.pick(['..\\..\\etc\\passwd', '..\\secret.txt', '.\\img0.vhd', '.\\', '..', 'C:\\Windows\\x.vhd', '.\\missing.vhd', '.\\img1.vhd\0junk']);
    const bytes = image.bytes;
    const at = offsets[0]!;
    bytes.fill(0, at, at + SECTOR);
    for (let index = 0; index < path.length; index++) bytes[at + index * 2] = path.charCodeAt(index);
    const headerView = view(bytes.subarray(image.layout.headerOffset, image.layout.headerOffset + HEADER_BYTES));
    headerView.setUint32(576 + 8, path.length * 2);
    refreshChecksum(bytes, image.layout.headerOffset, HEADER_BYTES, 36);
    return { bytes, what: `locator path ${JSON.stringify(path)}` };
  }) },
  { name: 'bat-entry', weight: 5, apply: dynamicOnly((image, random) => {
    const { layout } = image;
    if (layout.tableEntries === 0) return undefined;
    const index = random.int(layout.tableEntries);
    const allocated = [...layout.blockOffsets.values()];
    const fileSectors = image.bytes.length / SECTOR;
    const choices = [
      0, 1, fileSectors, fileSectors - 1, fileSectors + 1, 0xffff_fffe, 0x7fff_ffff, random.next(),
      layout.headerOffset / SECTOR, layout.tableOffset / SECTOR, layout.footerOffset / SECTOR,
      ...(allocated.length > 0 ? [random.pick(allocated) / SECTOR, random.pick(allocated) / SECTOR + 1] : []),
      0xffff_ffff,
    ];
    const value = random.pick(choices) >>> 0;
    view(image.bytes).setUint32(layout.tableOffset + index * 4, value);
    return { bytes: image.bytes, what: `BAT[${index}] = ${value}` };
  }) },
  { name: 'bitmap', weight: 3, apply: dynamicOnly((image, random) => {
    const offsets = [...image.layout.blockOffsets.values()];
    if (offsets.length === 0) return undefined;
    const at = random.pick(offsets);
    const mode = random.int(3);
    if (mode === 0) image.bytes.fill(0, at, at + image.layout.bitmapBytes);
    else if (mode === 1) image.bytes.fill(0xff, at, at + image.layout.bitmapBytes);
    else image.bytes[at + random.int(image.layout.bitmapBytes)]! ^= 1 << random.int(8);
    return { bytes: image.bytes, what: `bitmap at ${at} mode ${mode}` };
  }) },
  { name: 'truncate', weight: 3, apply: (image, random) => {
    const { layout } = image;
    const boundaries = [0, 1, 511, 512, 513, layout.footerOffset, layout.footerOffset + 1, layout.footerOffset + 511, layout.footerOffset - 512, ...structureOffsets(image)].filter((at) => at >= 0 && at < image.bytes.length);
    const length = random.pick(boundaries);
    return { bytes: image.bytes.slice(0, length), what: `truncated to ${length}` };
  } },
  { name: 'extend', weight: 1, apply: (image, random) => {
    const extra = random.pick([1, 511, 512, 4096]);
    const bytes = new Uint8Array(image.bytes.length + extra);
    bytes.set(image.bytes);
    if (random.chance(0.5)) bytes.copyWithin(bytes.length - FOOTER_BYTES, image.bytes.length - FOOTER_BYTES, image.bytes.length);
    return { bytes, what: `extended by ${extra}` };
  } },
  { name: 'bit-flips', weight: 3, apply: (image, random) => {
    const flips = random.between(1, 8);
    const structured = structureOffsets(image);
    const where: number[] = [];
    for (let flip = 0; flip < flips; flip++) {
      const at = random.chance(0.7) ? Math.min(image.bytes.length - 1, random.pick(structured) + random.int(HEADER_BYTES)) : random.int(image.bytes.length);
      if (at < 0) continue;
      image.bytes[at]! ^= 1 << random.int(8);
      where.push(at);
    }
    if (random.chance(0.5) && image.layout.kind !== 'fixed') refreshChecksum(image.bytes, image.layout.headerOffset, HEADER_BYTES, 36);
    if (random.chance(0.5)) refreshChecksum(image.bytes, image.layout.footerOffset, FOOTER_BYTES, 64);
    return { bytes: image.bytes, what: `bit flips at ${where.join(',')}` };
  } },
];

const TOTAL_WEIGHT = MUTATIONS.reduce((sum, mutation) => sum + mutation.weight, 0);

function pickMutation(random: Random): (typeof MUTATIONS)[number] {
  let ticket = random.int(TOTAL_WEIGHT);
  for (const mutation of MUTATIONS) {
    ticket -= mutation.weight;
    if (ticket < 0) return mutation;
  }
  return MUTATIONS[0]!;
}

/** Applies 0–3 mutations (about one case in ten stays valid) to images of the chain; returns what was done. */
export function mutateChain(images: BuiltImage[], random: Random): string[] {
  const done: string[] = [];
  const count = random.pick([0, 1, 1, 1, 1, 2, 2, 3, 1, 1]);
  for (let step = 0; step < count; step++) {
    const target = random.chance(0.75) ? 0 : random.int(images.length);
    const image = images[target]!;
    const mutation = pickMutation(random);
    const result = mutation.apply(image, random);
    if (!result) continue;
    image.bytes = result.bytes;
    done.push(`${image.model.name}: ${result.what}`);
    // The layout no longer describes a file whose length changed: it is the last mutation.
    if (mutation.name === 'truncate' || mutation.name === 'extend') break;
  }
  return done;
}
