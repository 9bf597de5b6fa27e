import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireInterop } from './interop.js';

/** Facts that other tools measured from one real image (../shared/fixtures/expected.json). */
export interface SharedFixtureFacts {
  file: string;
  sha256: string;
  fileSize: number;
  footerCopyAtStart: boolean;
  diskType: 'fixed' | 'dynamic' | 'differencing';
  creatorApplication: string;
  creatorVersion: string;
  creatorHostOs: string;
  originalSize: number;
  currentSize: number;
  geometry: { cylinders: number; heads: number; sectorsPerTrack: number };
  timestamp: number;
  uniqueId: string;
  footerChecksum: string;
  footerChecksumValid: boolean;
  dataOffset: number;
  headerCookie?: string;
  tableOffset?: number;
  headerVersion?: string;
  maxTableEntries?: number;
  blockSize?: number;
  headerChecksum?: string;
  headerChecksumValid?: boolean;
  allocatedBlocks?: number;
  parentUniqueId?: string;
  parentTimestamp?: number;
  parentUnicodeName?: string;
  parentLocators?: { platformCode: string; dataSpace: number; dataLength: number; dataOffset: number; path: string }[];
  contentSha256: string | null;
  notes: string;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** ../shared/fixtures beside the repository (VHDKIT_SHARED overrides the shared folder). */
function sharedDir(): string {
  const shared = process.env.VHDKIT_SHARED ?? join(repoRoot, '..', 'shared');
  return join(shared, 'fixtures');
}

/**
 * The real images made by other tools, read in place (never copied into the repository).
 * `available` is false with a reason when the folder is missing; under VPC_REQUIRE_INTEROP=1 that throws.
 */
export function sharedFixtures(): { available: boolean; reason?: string; dir: string; facts: SharedFixtureFacts[] } {
  const dir = sharedDir();
  const expected = join(dir, 'expected.json');
  if (!existsSync(expected)) {
    const reason = `shared fixtures not found at ${dir}`;
    if (requireInterop()) throw new Error(`VPC_REQUIRE_INTEROP=1 but ${reason}`);
    console.warn(`[fixtures] skipping tests on real images: ${reason}`);
    return { available: false, reason, dir, facts: [] };
  }
  const facts = JSON.parse(readFileSync(expected, 'utf8')) as SharedFixtureFacts[];
  return { available: true, dir, facts };
}

export function sharedFixturePath(file: string): string {
  return join(sharedDir(), file);
}
