import { execFileSync, spawnSync } from 'node:child_process';
import { rmdir } from 'node:fs/promises';
import { expect } from 'vitest';

/**
 * Runs `use` with the empty folder `dir` mounted as a tmpfs of `bytes`, then unmounts and removes it: writes past
 * that size fail with ENOSPC, as on a really full volume. Needs root (the tests run as root); a failed mount fails
 * the test, it is never skipped.
 */
export async function withSmallVolume(dir: string, bytes: number, use: (dir: string) => Promise<void>): Promise<void> {
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { encoding: 'utf8' });
  expect(mounted.status, `mount -t tmpfs failed (needs root): ${mounted.stderr}`).toBe(0);
  try {
    await use(dir);
  } finally {
    execFileSync('umount', [dir]);
    await rmdir(dir);
  }
}
