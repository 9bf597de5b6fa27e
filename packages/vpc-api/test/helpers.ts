import { spawn, spawnSync } from 'node:child_process';
import { lstat, open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { sha256File } from '@vhdkit/test-support';
import { createDynamicDisk, createFixedDisk, openDisk } from '@vhdkit/vhd-diff';
import { LinuxVolumeProbe } from '../src/volume/linux-volume-probe.js';
import type { VolumeFacts, VolumeProbe } from '../src/volume/volume-probe.js';

export const MIB = 1024 * 1024;
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The `vpc` bin as npm links it (it loads the bundled CLI, dist/cli-bundle/). */
export const CLI_BIN = path.join(PACKAGE_ROOT, 'bin/vpc.js');
export const CLI_WITH_VOLUME = path.join(PACKAGE_ROOT, 'test/fixtures/vpc-with-volume.mjs');

export async function makeDynamic(file: string, sizeBytes: number): Promise<string> {
  await createDynamicDisk(file, sizeBytes);
  return file;
}

/** Sector 0 with an MBR whose entry 0 is an active partition of type `typeByte`. */
export function mbrSector(typeByte: number): Uint8Array {
  const sector = new Uint8Array(512);
  sector[0x1be] = 0x80;
  sector[0x1be + 4] = typeByte;
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

/** A fixed image whose sector 0 holds an MBR (fixed data starts at file offset 0, so it is written in place). */
export async function makeFixedWithMbr(file: string, sizeBytes: number, typeByte: number): Promise<string> {
  await createFixedDisk(file, sizeBytes);
  const handle = await open(file, 'r+');
  try {
    await handle.write(mbrSector(typeByte), 0, 512, 0);
  } finally {
    await handle.close();
  }
  return file;
}

/** A dynamic image whose sector 0 holds an MBR, written through vhd-diff (one block allocated: small to hash). */
export async function makeDynamicWithMbr(file: string, sizeBytes: number, typeByte: number): Promise<string> {
  await createDynamicDisk(file, sizeBytes);
  const disk = await openDisk(file, { writable: true });
  try {
    await disk.write(mbrSector(typeByte), 0);
  } finally {
    await disk.close();
  }
  return file;
}

export interface FileSnapshot {
  path: string;
  sha256: string;
  mtimeMs: number;
  size: number;
}

export async function snapshot(file: string): Promise<FileSnapshot> {
  const stats = await stat(file);
  return { path: file, sha256: await sha256File(file), mtimeMs: stats.mtimeMs, size: stats.size };
}

export async function expectUnchanged(before: FileSnapshot): Promise<void> {
  expect(await snapshot(before.path)).toEqual(before);
}

export async function isFile(target: string): Promise<boolean> {
  try {
    return (await stat(target)).isFile();
  } catch {
    return false;
  }
}

export async function exists(target: string): Promise<boolean> {
  try {
    await lstat(target);
    return true;
  } catch {
    return false;
  }
}

/** Every entry below `folder` (relative paths, sorted): detects stray temporary files and leftover folders. */
export async function tree(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true });
  const names = entries.map(String);
  names.sort();
  return names;
}

/** The real probe with some facts replaced (the simulated volumes). */
export function simulatedProbe(overrides: Partial<VolumeFacts>): VolumeProbe {
  const real = new LinuxVolumeProbe();
  return { probe: async (folder) => ({ ...(await real.probe(folder)), ...overrides }) };
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Simulated volume facts (runs the CLI through test/fixtures/vpc-with-volume.mjs). */
  volume?: Partial<VolumeFacts> | { throw: string };
  input?: Uint8Array;
}

function cliEnv(options: CliOptions): NodeJS.ProcessEnv {
  // LC_ALL and LC_MESSAGES outrank LANG: unset unless a test sets them, so LANG decides as tests expect.
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: undefined, LC_MESSAGES: undefined, LANG: 'C.UTF-8', ...options.env };
  if (options.volume !== undefined) env.VPC_TEST_VOLUME = JSON.stringify(options.volume);
  return env;
}

export function runVpc(args: readonly string[], options: CliOptions = {}): CliRun {
  const entry = options.volume === undefined ? CLI_BIN : CLI_WITH_VOLUME;
  const result = spawnSync(process.execPath, [entry, ...args], {
    cwd: options.cwd ?? '/', env: cliEnv(options), input: options.input, maxBuffer: 1 << 28,
  });
  return { status: result.status, stdout: result.stdout.toString('utf8'), stdoutBytes: result.stdout, stderr: result.stderr.toString('utf8') };
}

/** Same, asynchronously (for concurrent or signalled runs). */
export function spawnVpc(args: readonly string[], options: CliOptions = {}) {
  const entry = options.volume === undefined ? CLI_BIN : CLI_WITH_VOLUME;
  return spawn(process.execPath, [entry, ...args], { cwd: options.cwd ?? '/', env: cliEnv(options) });
}

/** The documented failure line: `0x%08X NAME: message`. */
export function failureLine(run: CliRun): { hresult: string; name: string; message: string } | undefined {
  const match = /^(0x[0-9A-F]{8}) ([A-Z0-9_]+): (.*)$/.exec(run.stderr.split('\n')[0] ?? '');
  return match === null ? undefined : { hresult: match[1]!, name: match[2]!, message: match[3]! };
}
