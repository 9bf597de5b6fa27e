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
    for (let index = 0; index < length; index++) out[index] = this.next() & 0xff;
    return out;
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
