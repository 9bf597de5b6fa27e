/**
 * One hostile case, end to end: generate a chain from the seed, mutate it, write it, run every reader on it
 * in this process (readImageMetadata, openDisk + read of the whole virtual disk, a stream sample, check), and
 * judge the outcome against the oracle. Imports the built package so a plain Node child process can run it.
 */
import { readdirSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VhdFormatError } from '@vhdkit/vhd-format';
import { VhdIoError, check, openDisk, readImageMetadata, type VhdDisk } from '@vhdkit/vhd-diff';
import { buildChain, randomChain, type BuiltImage } from './model.js';
import { mutateChain } from './mutate.js';
import { MustFail, ORACLE_MAX_VIRTUAL_SIZE, judgeChain, type OracleVerdict } from './oracle.js';
import { Random } from './random.js';

/** Outcome classes; the first six are defects. */
export const DEFECT_CLASSES = ['untyped', 'timeout', 'memory', 'leak', 'wrong-byte', 'accepted-nonsense'] as const;
export const OUTCOME_CLASSES = [...DEFECT_CLASSES, 'ok-typed', 'ok-read'] as const;
export type OutcomeClass = (typeof OUTCOME_CLASSES)[number];

export interface CaseOutcome {
  seed: number;
  outcome: OutcomeClass;
  /** What went wrong (defects) or which reader refused (ok-typed). */
  detail: string;
  mutations: string[];
  oracle: string;
  /** Our readers refused an image the oracle accepts (allowed: stricter, never wrong). */
  stricter: boolean;
  elapsedMs: number;
  rssGrowthBytes: number;
}

export const CASE_TIME_LIMIT_MS = 5_000;
export const CASE_MEMORY_LIMIT_BYTES = 128 * 1024 * 1024;
/** Virtual disks up to this size are read whole; larger ones (mutated sizes) at sampled ranges. */
const FULL_READ_LIMIT = 16 * 1024 * 1024;
/**
 * Planted beside every case folder (longer than a footer, so a reader that takes it for a VHD has bytes to
 * quote); a locator may point at it, and no error message may quote any 6 bytes of it.
 */
const SECRET_TEXT = 'SECRET'.repeat(400);
const QUOTES_SECRET = /SECRET|ECRETS|CRETSE|RETSEC|ETSECR|TSECRE|root:x:/;

/** The readers a case runs: the package's, unless a test hands in a faulty one to prove the harness notices. */
export interface Readers {
  readImageMetadata: typeof readImageMetadata;
  openDisk: typeof openDisk;
  check: typeof check;
}

export const PACKAGE_READERS: Readers = { readImageMetadata, openDisk, check };

/** The case's chain, mutated, with what was done (for reproducing a seed without running the readers). */
export function generateCase(seed: number): { images: BuiltImage[]; mutations: string[] } {
  const random = new Random(seed);
  const images = buildChain(randomChain(random));
  const mutations = mutateChain(images, random);
  return { images, mutations };
}

function isTyped(error: unknown): boolean {
  return error instanceof VhdIoError || error instanceof VhdFormatError;
}

class Defect extends Error {
  constructor(readonly outcome: OutcomeClass, detail: string) {
    super(detail);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}${'code' in error ? ` ${String(error.code)}` : ''}: ${error.message}`;
  return String(error);
}

/** Runs one reader step: typed errors are a refusal (returned), anything else a defect (thrown). */
async function step<T>(what: string, action: () => Promise<T>): Promise<{ value: T } | { refused: string }> {
  try {
    return { value: await action() };
  } catch (error) {
    if (error instanceof Defect) throw error;
    const text = describe(error);
    const quoted = `${text} ${error instanceof Error ? String(error.cause ?? '') : ''}`;
    if (QUOTES_SECRET.test(quoted)) {
      throw new Defect('leak', `${what}: ${text}`);
    }
    if (!isTyped(error)) throw new Defect('untyped', `${what}: ${text}${error instanceof Error && error.stack ? ` @ ${error.stack.split('\n')[1]?.trim()}` : ''}`);
    return { refused: `${what}: ${text}` };
  }
}

/** The oracle's bytes for a range, or why no reader may return that range. */
function expectedBytes(verdict: OracleVerdict, offset: number, length: number): Uint8Array | MustFail {
  if (!verdict.accepted) return new MustFail(`image ${verdict.image}: ${verdict.rule}`);
  try {
    return verdict.read(offset, length);
  } catch (error) {
    if (error instanceof MustFail) return error;
    throw error;
  }
}

function firstDifference(actual: Uint8Array, expected: Uint8Array): number {
  for (let index = 0; index < expected.length; index++) if (actual[index] !== expected[index]) return index;
  return actual.length === expected.length ? -1 : expected.length;
}

/** The ranges read from the disk: everything when small, else the ends and a few random spots. */
function readPlan(virtualSize: number, random: Random): { offset: number; length: number }[] {
  if (virtualSize <= FULL_READ_LIMIT) {
    const plan: { offset: number; length: number }[] = [];
    // Whole disk in one call, or in chunks of random (often unaligned) sizes.
    // Small pieces only on small disks: thousands of reads per case would cost more than they find.
    const chunk = Math.max(random.pick([virtualSize, 65536, 4096 + 17, 512, 1_000_000]), Math.ceil(virtualSize / 64));
    for (let offset = 0; offset < virtualSize; offset += chunk) plan.push({ offset, length: Math.min(chunk, virtualSize - offset) });
    return plan;
  }
  const spots = [0, virtualSize - 65536, random.int(virtualSize - 65536), random.int(2 ** 24)];
  return spots.map((offset) => ({ offset: Math.max(0, offset), length: 65536 }));
}

interface ReadResult {
  /** Every planned range came back in full. */
  complete: boolean;
  refused?: string;
}

async function readAll(disk: VhdDisk, verdict: OracleVerdict, random: Random): Promise<ReadResult> {
  for (const range of readPlan(disk.virtualSize, random)) {
    const buffer = new Uint8Array(range.length).fill(0xa5);
    const result = await step(`read ${range.offset}+${range.length}`, () => disk.read(buffer, range.offset));
    if ('refused' in result) return { complete: false, refused: result.refused };
    const expectedLength = Math.max(0, Math.min(range.length, disk.virtualSize - range.offset));
    if (result.value !== expectedLength) throw new Defect('wrong-byte', `read at ${range.offset} returned ${result.value}, expected ${expectedLength}`);
    if (verdict.accepted) {
      const expected = expectedBytes(verdict, range.offset, expectedLength);
      if (expected instanceof MustFail) throw new Defect('accepted-nonsense', `read ${range.offset}+${expectedLength} succeeded, but ${expected.message}`);
      const at = firstDifference(buffer.subarray(0, expectedLength), expected);
      if (at >= 0) throw new Defect('wrong-byte', `byte ${range.offset + at}: read ${buffer[at]}, oracle ${expected[at]}`);
    }
  }
  return { complete: true };
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}

/** A stream over a random range (Node or web), compared with the oracle when it accepts. */
async function streamSample(disk: VhdDisk, verdict: OracleVerdict, random: Random): Promise<string | undefined> {
  const limit = Math.min(disk.virtualSize, FULL_READ_LIMIT);
  if (limit === 0) return undefined;
  const start = random.int(limit);
  const end = start + random.int(limit - start); // inclusive
  const web = random.chance(0.3);
  const result = await step(`${web ? 'web' : 'node'} stream ${start}..${end}`, async () => {
    if (!web) return collect(disk.createReadStream({ start, end }));
    const reader = disk.readableWebStream({ start, end });
    return collect(reader as unknown as AsyncIterable<Uint8Array>);
  });
  if ('refused' in result) return result.refused;
  if (result.value.length !== end - start + 1) throw new Defect('wrong-byte', `stream ${start}..${end} gave ${result.value.length} bytes`);
  if (verdict.accepted) {
    const expected = expectedBytes(verdict, start, end - start + 1);
    if (expected instanceof MustFail) throw new Defect('accepted-nonsense', `stream ${start}..${end} succeeded, but ${expected.message}`);
    const at = firstDifference(result.value, expected);
    if (at >= 0) throw new Defect('wrong-byte', `stream byte ${start + at}: read ${result.value[at]}, oracle ${expected[at]}`);
  }
  return undefined;
}

async function runReaders(readers: Readers, top: string, verdict: OracleVerdict, random: Random): Promise<{ outcome: OutcomeClass; detail: string; stricter: boolean }> {
  const refusals: string[] = [];
  const metadata = await step('readImageMetadata', () => readers.readImageMetadata(top));
  if ('refused' in metadata) refusals.push(metadata.refused);

  let fullyRead = false;
  const opened = await step('openDisk', () => readers.openDisk(top, { timestampMismatch: 'accept' }));
  if ('refused' in opened) {
    refusals.push(opened.refused);
  } else {
    const disk = opened.value;
    try {
      if (disk.virtualSize > ORACLE_MAX_VIRTUAL_SIZE) {
        throw new Defect('accepted-nonsense', `opened a ${disk.virtualSize}-byte disk, above 2040 GiB`);
      }
      if (verdict.accepted && disk.virtualSize !== verdict.virtualSize) {
        throw new Defect('wrong-byte', `virtual size ${disk.virtualSize}, oracle ${verdict.virtualSize}`);
      }
      const read = await readAll(disk, verdict, random);
      if (read.refused) refusals.push(read.refused);
      fullyRead = read.complete && disk.virtualSize <= FULL_READ_LIMIT;
      if (random.chance(0.25)) {
        const refused = await streamSample(disk, verdict, random);
        if (refused) refusals.push(refused);
      }
    } finally {
      await disk.close().catch(() => undefined);
    }
  }

  const report = await step('check', () => readers.check(top, { timestampMismatch: 'accept' }));
  if ('refused' in report) refusals.push(report.refused);

  if (!verdict.accepted) {
    if (fullyRead) throw new Defect('accepted-nonsense', `oracle: image ${verdict.image} ${verdict.rule}; openDisk read the whole disk`);
    if (verdict.image === 0 && 'value' in report && report.value.ok) {
      throw new Defect('accepted-nonsense', `oracle: ${verdict.rule}; check reports ok`);
    }
    return { outcome: 'ok-typed', detail: refusals[0] ?? 'check found errors', stricter: false };
  }
  if (verdict.damagedImages.includes(0) && 'value' in report && report.value.ok) {
    throw new Defect('accepted-nonsense', 'a BAT entry points outside the file; check reports ok');
  }
  const expectedRefusal = verdict.damagedImages.length > 0;
  return refusals.length === 0
    ? { outcome: 'ok-read', detail: '', stricter: false }
    : expectedRefusal ? { outcome: 'ok-typed', detail: refusals[0]!, stricter: false }
    : { outcome: 'ok-typed', detail: refusals[0]!, stricter: true };
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Defect('timeout', `no result after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs case `seed` in a fresh sub-folder of `folder` (removed afterwards) and classifies it. `folder` should hold
 * `secret.txt` (see plantSecret), so a locator pointing outside the chain has something to leak.
 */
export async function runCase(seed: number, folder: string, readers: Readers = PACKAGE_READERS): Promise<CaseOutcome> {
  const { images, mutations } = generateCase(seed);
  const verdict = judgeChain(images.map((image) => image.bytes));
  const oracle = verdict.accepted ? `accepts${verdict.soft.length > 0 ? ` (${[...new Set(verdict.soft)].join(', ')})` : ''}` : `rejects image ${verdict.image}: ${verdict.rule}`;
  const caseFolder = join(folder, `case-${seed}`);
  await mkdir(caseFolder, { recursive: true });
  for (const image of images) await writeFile(join(caseFolder, image.model.name), image.bytes);
  const random = new Random(seed ^ 0x5eed);
  const descriptorsBefore = openDescriptors();
  const rssBefore = process.memoryUsage().rss;
  const peakBefore = process.resourceUsage().maxRSS * 1024;
  const started = performance.now();
  let result: { outcome: OutcomeClass; detail: string; stricter: boolean };
  try {
    result = await withTimeout(runReaders(readers, join(caseFolder, images[0]!.model.name), verdict, random), CASE_TIME_LIMIT_MS);
  } catch (error) {
    if (!(error instanceof Defect)) throw error;
    result = { outcome: error.outcome, detail: error.message, stricter: false };
  }
  const elapsedMs = performance.now() - started;
  const peakAfter = process.resourceUsage().maxRSS * 1024;
  const rssGrowthBytes = Math.max(process.memoryUsage().rss, peakAfter > peakBefore ? peakAfter : 0) - rssBefore;
  if (rssGrowthBytes > CASE_MEMORY_LIMIT_BYTES && result.outcome !== 'untyped' && result.outcome !== 'timeout') {
    result = { outcome: 'memory', detail: `RSS grew ${Math.round(rssGrowthBytes / 2 ** 20)} MB`, stricter: false };
  }
  if (result.outcome !== 'timeout') {
    const leaked = openDescriptors() - descriptorsBefore;
    if (leaked > 0 && !DEFECT_CLASSES.includes(result.outcome as (typeof DEFECT_CLASSES)[number])) {
      result = { outcome: 'leak', detail: `${leaked} file descriptor(s) left open (${result.detail || result.outcome})`, stricter: false };
    }
    await rm(caseFolder, { recursive: true, force: true });
  }
  return { seed, ...result, mutations, oracle, elapsedMs, rssGrowthBytes };
}

/** Open file descriptors of this process (Linux; 0 elsewhere, which disables the check). */
function openDescriptors(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

/** Writes the file a hostile locator (`..\secret.txt`) reaches from any case folder. */
export async function plantSecret(folder: string): Promise<void> {
  await writeFile(join(folder, 'secret.txt'), SECRET_TEXT);
}
