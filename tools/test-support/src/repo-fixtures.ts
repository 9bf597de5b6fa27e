import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** The repository's own generated images (fixtures/expected.json). Empty when not generated yet. */
export function repoFixtures(): RepoFixtureFacts[] {
  const expected = join(fixturesDir, 'expected.json');
  if (!existsSync(expected)) return [];
  return JSON.parse(readFileSync(expected, 'utf8')) as RepoFixtureFacts[];
}

export function repoFixturePath(file: string): string {
  return join(fixturesDir, file);
}
