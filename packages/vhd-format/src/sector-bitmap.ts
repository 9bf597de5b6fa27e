/**
 * The sector bitmap in front of each block: one bit per sector, most significant bit first
 * (byte 0 bit 0x80 is the block's sector 0), docs/format.md#sector-bitmaps.
 */
import { roundUp } from './bytes.js';
import { SECTOR_SIZE } from './constants.js';

/** ceil(sectors / 8) rounded up to a whole sector: 512 bytes for 2 MiB blocks. */
export function sectorBitmapByteSize(blockSize: number): number {
  return roundUp(Math.ceil(blockSize / SECTOR_SIZE / 8), SECTOR_SIZE);
}

/** A maximal run of sectors whose bits are all set or all clear. */
export interface SectorRun {
  start: number;
  count: number;
  /** Whether the sectors of this run are set (present in this file). */
  set: boolean;
}

const ALL_ONES = 0xffffffff;

/** A block's sector bitmap: bit 0x80 of byte 0 is the block's sector 0. */
export class SectorBitmap {
  readonly bytes: Uint8Array;
  readonly sectorCount: number;

  /** Wraps `bytes` without copying: changes write through to them. */
  constructor(bytes: Uint8Array, sectorCount: number) {
    if (!Number.isInteger(sectorCount) || sectorCount < 0 || sectorCount > bytes.length * 8) {
      throw new RangeError(`a bitmap of ${bytes.length} bytes cannot hold ${sectorCount} sectors`);
    }
    this.bytes = bytes;
    this.sectorCount = sectorCount;
  }

  /** A zeroed bitmap of the on-disk size for blocks of `blockSize` bytes. */
  static forBlockSize(blockSize: number): SectorBitmap {
    return new SectorBitmap(new Uint8Array(sectorBitmapByteSize(blockSize)), Math.floor(blockSize / SECTOR_SIZE));
  }

  get(sector: number): boolean {
    this.checkSector(sector);
    return ((this.bytes[sector >>> 3] >>> (7 - (sector & 7))) & 1) === 1;
  }

  set(sector: number): void {
    this.checkSector(sector);
    this.bytes[sector >>> 3] |= 0x80 >>> (sector & 7);
  }

  clear(sector: number): void {
    this.checkSector(sector);
    this.bytes[sector >>> 3] &= ~(0x80 >>> (sector & 7));
  }

  setRange(start: number, count: number): void {
    this.fillRange(start, count, true);
  }

  clearRange(start: number, count: number): void {
    this.fillRange(start, count, false);
  }

  countSet(): number {
    let total = 0;
    for (const run of this.runs()) if (run.set) total += run.count;
    return total;
  }

  isEmpty(): boolean {
    return this.sectorCount === 0 || this.nextDifferent(0, this.sectorCount, false) === this.sectorCount;
  }

  isFull(): boolean {
    return this.nextDifferent(0, this.sectorCount, true) === this.sectorCount;
  }

  /** Maximal runs of equal bits in [start, end), found a 32-bit word at a time. */
  *runs(start = 0, end = this.sectorCount): IterableIterator<SectorRun> {
    this.checkRange(start, end - start);
    let position = start;
    while (position < end) {
      const set = this.get(position);
      const next = this.nextDifferent(position, end, set);
      yield { start: position, count: next - position, set };
      position = next;
    }
  }

  /** The 32 bits starting at sector `wordIndex * 32`, big-endian so bit 31 is the lowest sector; bytes past the end read as 0. */
  private word(wordIndex: number): number {
    const at = wordIndex * 4;
    const bytes = this.bytes;
    return (((bytes[at] ?? 0) << 24) | ((bytes[at + 1] ?? 0) << 16) | ((bytes[at + 2] ?? 0) << 8) | (bytes[at + 3] ?? 0)) >>> 0;
  }

  /** The first sector in [from, end) whose bit differs from `value`, or `end`. */
  private nextDifferent(from: number, end: number, value: boolean): number {
    let position = from;
    while (position < end) {
      const wordIndex = position >>> 5;
      // Bits that differ from `value` become ones; bits before `position` are masked off.
      let differing = value ? ~this.word(wordIndex) >>> 0 : this.word(wordIndex);
      differing = (differing & (ALL_ONES >>> (position & 31))) >>> 0;
      if (differing !== 0) return Math.min(end, wordIndex * 32 + Math.clz32(differing));
      position = (wordIndex + 1) * 32;
    }
    return end;
  }

  private fillRange(start: number, count: number, value: boolean): void {
    this.checkRange(start, count);
    const end = start + count;
    let position = start;
    // Leading bits up to a byte boundary, whole bytes with fill(), then trailing bits.
    while (position < end && (position & 7) !== 0) {
      this.writeBit(position, value);
      position++;
    }
    const wholeBytesEnd = position + ((end - position) & ~7);
    if (wholeBytesEnd > position) {
      this.bytes.fill(value ? 0xff : 0, position >>> 3, wholeBytesEnd >>> 3);
      position = wholeBytesEnd;
    }
    while (position < end) {
      this.writeBit(position, value);
      position++;
    }
  }

  private writeBit(sector: number, value: boolean): void {
    if (value) this.bytes[sector >>> 3] |= 0x80 >>> (sector & 7);
    else this.bytes[sector >>> 3] &= ~(0x80 >>> (sector & 7));
  }

  private checkSector(sector: number): void {
    if (!Number.isInteger(sector) || sector < 0 || sector >= this.sectorCount) {
      throw new RangeError(`sector ${sector} is outside 0..${this.sectorCount - 1}`);
    }
  }

  private checkRange(start: number, count: number): void {
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > this.sectorCount) {
      throw new RangeError(`sectors ${start}+${count} are outside 0..${this.sectorCount}`);
    }
  }
}
