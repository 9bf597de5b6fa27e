/**
 * The independent oracle: a small, straightforward VHD reader written from the specification (docs/format.md),
 * sharing no code with the packages. Given a chain's files (top first, each parent known from the case), it
 * either rejects (with the image and the rule broken) or returns a reader of every virtual byte.
 *
 * Hard rules (a reader MUST refuse an image breaking them; issue 15): a footer (trailing, 511-byte, or the copy
 * at 0 when the end is damaged) with disk type 2/3/4 and a size up to 2040 GiB; a fixed image's data area at
 * least its stated size; a dynamic header inside the file with its cookie; a block size that is a power-of-two
 * number of sectors from 512 bytes to 256 MiB; a BAT inside the file covering the disk; a differencing image's
 * parent unique id matching its parent. A BAT entry whose block lies outside the file makes every read that
 * consults it fail (readers may check entries lazily), and `check` must report it.
 * Which footer counts (docs/format.md#footer-choice): the trailing one unless its checksum is wrong or it cannot
 * describe a disk in the file; the format version never decides.
 * Soft findings (a reader may accept or refuse, but when it accepts, its bytes must equal the oracle's): bad
 * checksums, odd versions, overlapping structures, duplicate BAT entries, size differences within a chain.
 */
export const ORACLE_MAX_VIRTUAL_SIZE = 2_190_433_320_960;
const MIN_BLOCK = 512;
const MAX_BLOCK = 256 * 1024 * 1024;
const SECTOR = 512;
const UNUSED = 0xffff_ffff;

export type OracleVerdict =
  | { accepted: false; image: number; rule: string }
  | {
      accepted: true;
      virtualSize: number;
      soft: string[];
      /** Levels of the chain holding a BAT entry outside the file. */
      damagedImages: number[];
      /** The virtual bytes; throws MustFail when the range consults a block outside the file. */
      read: (offset: number, length: number) => Uint8Array;
    };

/** Thrown by a verdict's `read` for a range no reader may return. */
export class MustFail extends Error {}

interface ParsedImage {
  kind: 'fixed' | 'dynamic' | 'differencing';
  bytes: Uint8Array;
  currentSize: number;
  uniqueId: string;
  blockSize: number;
  bitmapBytes: number;
  bat: Uint32Array;
  /** Blocks whose BAT entry points (partly) outside the file. */
  badBlocks: Set<number>;
  parentUniqueId: string;
}

class Rejected extends Error {
  constructor(readonly rule: string) {
    super(rule);
  }
}

function sum(bytes: Uint8Array, skip: number): number {
  let total = 0;
  for (let index = 0; index < bytes.length; index++) if (index < skip || index >= skip + 4) total = (total + bytes[index]!) >>> 0;
  return ~total >>> 0;
}

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function text(bytes: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

interface FooterChoice {
  footer: Uint8Array;
  /** Where the data area ends: the start of the trailing footer region. */
  dataEnd: number;
}

function checksumOk(footer: Uint8Array): boolean {
  return text(footer, 0, 8) === 'conectix' && dataView(footer).getUint32(64) === sum(footer, 64);
}

/**
 * Why a footer cannot describe a disk in this file, or undefined. A trailing footer with such a problem counts
 * as damaged, so the copy at 0 may stand in for it.
 */
function footerProblem(footer: Uint8Array, dataEnd: number): string | undefined {
  if (text(footer, 0, 8) !== 'conectix') return 'footer cookie';
  const view = dataView(footer);
  const type = view.getUint32(60);
  if (type !== 2 && type !== 3 && type !== 4) return `disk type ${type}`;
  if (view.getBigUint64(48) > BigInt(ORACLE_MAX_VIRTUAL_SIZE)) return 'current size above 2040 GiB';
  const dataOffset = view.getBigUint64(16);
  if (type !== 2 && (dataOffset < 512n || dataOffset + 1024n > BigInt(dataEnd))) return 'header outside the file';
  return undefined;
}

function chooseFooter(bytes: Uint8Array, soft: string[]): FooterChoice {
  const length = bytes.length;
  if (length < 511) throw new Rejected('file shorter than a footer');
  const trailing: FooterChoice[] = [];
  if (length >= 512) trailing.push({ footer: bytes.subarray(length - 512), dataEnd: length - 512 });
  const short = new Uint8Array(512);
  short.set(bytes.subarray(length - 511));
  trailing.push({ footer: short, dataEnd: length - 511 });
  const intact = trailing.find((choice) => checksumOk(choice.footer));
  if (intact && footerProblem(intact.footer, intact.dataEnd) === undefined) {
    if (intact.dataEnd === length - 511) soft.push('511-byte footer');
    return intact;
  }
  if (length >= 1024) {
    const copy = bytes.subarray(0, 512);
    const type = dataView(copy).getUint32(60);
    if (checksumOk(copy) && footerProblem(copy, length - 512) === undefined && (type === 3 || type === 4)) {
      // The damaged end may be anything (a truncated file ends in data): structures may run up to the end.
      soft.push('trailing footer damaged: copy at 0 used');
      return { footer: copy, dataEnd: length };
    }
  }
  if (intact) throw new Rejected(footerProblem(intact.footer, intact.dataEnd)!);
  const stale = trailing.find((choice) => text(choice.footer, 0, 8) === 'conectix');
  if (!stale) throw new Rejected('no footer');
  const problem = footerProblem(stale.footer, stale.dataEnd);
  if (problem) throw new Rejected(problem);
  soft.push('footer checksum');
  return stale;
}

function isPowerOfTwo(value: number): boolean {
  return value > 0 && (value & (value - 1)) === 0;
}

function parseImage(bytes: Uint8Array, soft: string[]): ParsedImage {
  const { footer, dataEnd } = chooseFooter(bytes, soft);
  const view = dataView(footer);
  const type = view.getUint32(60);
  const currentSize = Number(view.getBigUint64(48));
  if (view.getUint32(12) !== 0x0001_0000) soft.push('footer version');
  if (currentSize % SECTOR !== 0) soft.push('size not whole sectors');
  const uniqueId = hex(footer.subarray(68, 84));
  const empty = { blockSize: 0, bitmapBytes: 0, bat: new Uint32Array(0), badBlocks: new Set<number>(), parentUniqueId: '' };
  if (type === 2) {
    if (dataEnd < currentSize) throw new Rejected('fixed data area shorter than the disk');
    if (dataEnd > currentSize) soft.push('fixed data area longer than the disk');
    return { kind: 'fixed', bytes, currentSize, uniqueId, ...empty };
  }
  const headerOffset = Number(view.getBigUint64(16)); // inside the file (footerProblem)
  const header = bytes.subarray(headerOffset, headerOffset + 1024);
  const headerView = dataView(header);
  if (text(header, 0, 8) !== 'cxsparse') throw new Rejected('header cookie');
  if (headerView.getUint32(36) !== sum(header, 36)) soft.push('header checksum');
  if (headerView.getUint32(24) !== 0x0001_0000) soft.push('header version');
  const blockSize = headerView.getUint32(32);
  if (!isPowerOfTwo(blockSize) || blockSize < MIN_BLOCK || blockSize > MAX_BLOCK) throw new Rejected('block size');
  const entries = headerView.getUint32(28);
  const tableOffset = headerView.getBigUint64(16);
  if (tableOffset < 512n || tableOffset + BigInt(entries) * 4n > BigInt(dataEnd)) throw new Rejected('BAT outside the file');
  const needed = Math.ceil(currentSize / blockSize);
  if (entries < needed) throw new Rejected('BAT shorter than the disk');
  const table = Number(tableOffset);
  if (table < headerOffset + 1024 && table + entries * 4 > headerOffset) soft.push('BAT overlaps the header');
  const bitmapBytes = Math.ceil(blockSize / SECTOR / 8 / SECTOR) * SECTOR;
  const bat = new Uint32Array(needed);
  const seen = new Set<number>();
  const badBlocks = new Set<number>();
  for (let index = 0; index < needed; index++) {
    const entry = dataView(bytes).getUint32(table + index * 4);
    bat[index] = entry;
    if (entry === UNUSED) continue;
    const start = entry * SECTOR;
    if (start + bitmapBytes + blockSize > dataEnd) {
      badBlocks.add(index);
      continue;
    }
    if (start < headerOffset + 1024 || (start < table + entries * 4 && start + bitmapBytes + blockSize > table)) soft.push('block overlaps metadata');
    if (seen.has(entry)) soft.push('duplicate BAT entry');
    seen.add(entry);
  }
  return {
    kind: type === 3 ? 'dynamic' : 'differencing',
    bytes, currentSize, uniqueId, blockSize, bitmapBytes, bat, badBlocks,
    parentUniqueId: hex(header.subarray(40, 56)),
  };
}

/** Copies virtual bytes [offset, offset + length) of image `level` (and below) into `out` at `outAt`. */
function readInto(chain: ParsedImage[], level: number, offset: number, length: number, out: Uint8Array, outAt: number): void {
  const image = chain[level];
  if (!image) return; // below the base: zeros (already in out)
  const end = Math.min(offset + length, image.currentSize);
  if (image.kind === 'fixed') {
    if (end > offset) out.set(image.bytes.subarray(offset, end), outAt);
    return;
  }
  let position = offset;
  while (position < end) {
    const sectorEnd = Math.min((Math.floor(position / SECTOR) + 1) * SECTOR, end);
    const block = Math.floor(position / image.blockSize);
    const within = position % image.blockSize;
    const entry = image.bat[block]!;
    if (image.badBlocks.has(block)) throw new MustFail(`block ${block} of image ${level} lies outside the file`);
    let own = false;
    if (entry !== UNUSED) {
      const sector = Math.floor(within / SECTOR);
      const bitmapByte = image.bytes[entry * SECTOR + (sector >> 3)]!;
      own = (bitmapByte & (0x80 >> (sector & 7))) !== 0;
    }
    const target = outAt + (position - offset);
    if (own) {
      const from = entry * SECTOR + image.bitmapBytes + within;
      out.set(image.bytes.subarray(from, from + (sectorEnd - position)), target);
    } else if (image.kind === 'differencing') {
      readInto(chain, level + 1, position, sectorEnd - position, out, target);
    }
    position = sectorEnd;
  }
}

/** Judges a chain of files, top first; `files[i + 1]` is the parent the case meant for `files[i]`. */
export function judgeChain(files: Uint8Array[]): OracleVerdict {
  const soft: string[] = [];
  const chain: ParsedImage[] = [];
  for (let level = 0; level < files.length; level++) {
    try {
      const image = parseImage(files[level]!, soft);
      chain.push(image);
      if (image.kind !== 'differencing') break;
      const parentBytes = files[level + 1];
      if (!parentBytes) throw new Rejected('differencing image without a parent');
      const parentSoft: string[] = [];
      const parent = (() => {
        try {
          return parseImage(parentBytes, parentSoft);
        } catch (error) {
          if (error instanceof Rejected) return undefined;
          throw error;
        }
      })();
      if (parent && parent.uniqueId !== image.parentUniqueId) throw new Rejected('parent unique id');
      if (parent && parent.currentSize !== image.currentSize) soft.push('parent size differs');
    } catch (error) {
      if (error instanceof Rejected) return { accepted: false, image: level, rule: error.rule };
      throw error;
    }
  }
  const virtualSize = chain[0]!.currentSize;
  return {
    accepted: true,
    virtualSize,
    soft,
    damagedImages: chain.flatMap((image, level) => (image.badBlocks.size > 0 ? [level] : [])),
    read(offset, length) {
      const out = new Uint8Array(length);
      readInto(chain, 0, offset, length, out, 0);
      return out;
    },
  };
}
