import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** Facts written by tools/make-fixtures beside each image it generates in fixtures/. */
export interface RepoFixtureFacts {
  file: string;
  madeBy: string;
  diskType: 'fixed' | 'dynamic' | 'differencing';
  fileSize: number;
  sha256: string;
  virtualSize: number;
  blockSize?: number;
  /** sha256 of the virtual disk's bytes (qemu-img convert -O raw, size as QEMU reports it). */
  contentSha256: string;
  /** The data pattern written with qemu-io, for humans and model checks. */
  pattern: { offset: number; length: number; byte: number }[];
  parent?: string;
}

const fixturesDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../fixtures');

/**
 * The repository's own generated images (fixtures/expected.json). They are committed with the repository, so a
 * missing or empty list is an error, never a reason to test nothing.
 */
export function repoFixtures(): RepoFixtureFacts[] {
  const expected = join(fixturesDir, 'expected.json');
  if (!existsSync(expected)) throw new Error(`${expected} is missing: run npm run fixtures and commit the result`);
  const facts = JSON.parse(readFileSync(expected, 'utf8')) as RepoFixtureFacts[];
  if (facts.length === 0) throw new Error(`${expected} lists no images`);
  return facts;
}

/**
 * Path of a generated image, ready to open. Images are committed gzip-compressed (`name.vhd.gz`: QEMU's 2 MiB blocks
 * are mostly zeros), so the first call unpacks one into a per-content cache folder under the OS temp dir and later
 * calls reuse it. The unpacked bytes are checked against the `sha256` recorded in expected.json.
 */
export function repoFixturePath(file: string): string {
  const plain = join(fixturesDir, file);
  if (existsSync(plain)) return plain;
  const packed = `${plain}.gz`;
  if (!existsSync(packed)) throw new Error(`fixture ${file} not found in ${fixturesDir} (as ${file} or ${file}.gz)`);
  const compressed = readFileSync(packed);
  const cacheDir = join(tmpdir(), `vhdkit-fixtures-${createHash('sha256').update(compressed).digest('hex').slice(0, 16)}`);
  const unpacked = join(cacheDir, file);
  if (existsSync(unpacked)) return unpacked;
  const bytes = gunzipSync(compressed);
  const expected = repoFixtures().find((facts) => facts.file === file)?.sha256;
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (expected !== undefined && expected !== actual) throw new Error(`${packed} unpacks to sha256 ${actual}, expected.json says ${expected}`);
  mkdirSync(cacheDir, { recursive: true });
  // Write then rename, so a concurrent test worker never sees a half-written image.
  const partial = `${unpacked}.${process.pid}.partial`;
  writeFileSync(partial, bytes);
  renameSync(partial, unpacked);
  return unpacked;
}
