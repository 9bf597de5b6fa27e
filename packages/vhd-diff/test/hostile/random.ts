/** A small seeded generator (mulberry32): the same seed always gives the same case, on every machine. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = (seed ^ 0x9e37_79b9) >>> 0;
    for (let warmUp = 0; warmUp < 4; warmUp++) this.next();
  }

  /** Uniform in [0, 2^32). */
  next(): number {
    this.state = (this.state + 0x6d2b_79f5) >>> 0;
    let mixed = this.state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return (mixed ^ (mixed >>> 14)) >>> 0;
  }

  /** Uniform integer in [0, bound). */
  int(bound: number): number {
    return Math.floor((this.next() / 2 ** 32) * bound);
  }

  /** Uniform integer in [low, high]. */
  between(low: number, high: number): number {
    return low + this.int(high - low + 1);
  }

  chance(probability: number): boolean {
    return this.next() / 2 ** 32 < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let index = 0; index < length; index += 4) {
      const word = this.next();
      for (let byte = 0; byte < 4 && index + byte < length; byte++) out[index + byte] = word >>> (byte * 8);
    }
    return out;
  }

  /**
   * Disk content: each sector gets its own random key, its words derived from it (distinct per sector and per
   * position within the sector, so misplaced bytes show), much cheaper to draw than random bytes.
   */
  sectors(length: number): Uint8Array {
    const words = new Uint32Array(Math.ceil(length / 4));
    for (let sector = 0; sector * 128 < words.length; sector++) {
      const key = this.next();
      const end = Math.min((sector + 1) * 128, words.length);
      for (let word = sector * 128; word < end; word++) words[word] = (key ^ Math.imul(word, 0x9e37_79b1)) >>> 0;
    }
    return new Uint8Array(words.buffer, 0, length);
  }

  /** A u64 drawn from interesting values (small, near 2^32, above 2^53, all ones). */
  u64(): bigint {
    return this.pick([0n, 1n, 511n, 512n, 0xffff_ffffn, 0x1_0000_0000n, 2n ** 53n - 1n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n, BigInt(this.next()) * 512n]);
  }

  /** A u32 drawn from interesting values. */
  u32(): number {
    return this.pick([0, 1, 2, 511, 512, 513, 0x7fff_ffff, 0x8000_0000, 0xffff_fffe, 0xffff_ffff, this.next(), this.int(4096)]);
  }
}
