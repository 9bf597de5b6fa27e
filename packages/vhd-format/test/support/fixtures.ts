import { readFileSync } from 'node:fs';
import { sharedFixtures, sharedFixturePath } from '@vhdkit/test-support';
import type { SharedFixtureFacts } from '@vhdkit/test-support';

export interface LoadedFixture {
  facts: SharedFixtureFacts;
  bytes: Uint8Array;
}

/** The real images of ../shared/fixtures, loaded whole (each is about 2 MiB). */
export function loadSharedFixtures(): { available: boolean; fixtures: LoadedFixture[] } {
  const shared = sharedFixtures();
  return {
    available: shared.available,
    fixtures: shared.facts.map((facts) => ({ facts, bytes: new Uint8Array(readFileSync(sharedFixturePath(facts.file))) })),
  };
}

export function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

/** A sorted copy, so assertions can compare sets of values in a stable order. */
export function sorted<T>(values: Iterable<T>, compare?: (a: T, b: T) => number): T[] {
  // oxlint-disable-next-line unicorn/no-array-sort -- sorts a fresh copy; toSorted is ES2023, beyond our lib
  return [...values].sort(compare);
}
