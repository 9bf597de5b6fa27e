/**
 * openDisk, readImageMetadata and check on images served over HTTP by a real server (Debian's nginx on 127.0.0.1,
 * serving a temporary folder): the shared fixtures and a generated 3-deep chain read equal to their local reads,
 * a child's parents are found relative to its URL, and servers that fail give typed errors.
 */
import { copyFile, mkdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectRejection, nginx, sharedFixturePath, sharedFixtures, startNginx, testFolder } from '@vhdkit/test-support';
import type { NginxServer } from '@vhdkit/test-support';
import { VhdSourceError, check, createDifferencingDisk, createDynamicDisk, openDisk, readImageMetadata } from '../src/index.js';
import type { VhdSourceErrorCode } from '../src/index.js';
import { openChain } from '../src/chain/open-disk.js';
import { patchHeader } from './helpers/chain-images.js';
import { expectVhdIoError, readWholeDisk, writeIntoDisk } from './helpers/disk-io.js';

const MiB = 1024 * 1024;
const server = nginx();
const shared = sharedFixtures();
const folder = testFolder('vhd-diff-http-');
let web: NginxServer;
/** A second server on the same folder: another origin. */
let other: NginxServer;
/** Shared fixtures whose parent is not among them (so neither the file nor the URL opens as a chain). */
const PARENT_ABSENT = new Set(['dfvfs-fat-differential.vhd']);
let served: string;

function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let index = 0; index < length; index++) bytes[index] = (index * 31 + seed) & 0xff;
  return bytes;
}

function expectSourceError(promise: Promise<unknown>, code: VhdSourceErrorCode): Promise<VhdSourceError> {
  return expectRejection(promise, VhdSourceError, code);
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** A report or message about the served folder, with the server's URLs written as the folder's paths. */
function asLocal(text: string): string {
  return text.replaceAll(web.url('ranges', ''), `${served}/`);
}

/** A served file's local path. */
function local(file: string): string {
  return join(served, file);
}

/**
 * Rewrites `child`'s W2ru locator to `path` and blanks its header parent name, so the locator is its only candidate
 * (W2ku, an absolute Windows path, is never tried against a URL).
 */
async function pointW2ruAt(child: string, path: string): Promise<void> {
  // The child's own child records its modification time: patching must not change it (a second may pass meanwhile).
  const { atime, mtime } = await stat(child);
  await patchHeader(child, (header) => {
    header.setUint32(64, 0); // parent unicode name: empty
  });
  const bytes = new Uint8Array(await readFile(child));
  const footerAt = bytes.length - 512;
  const headerAt = Number(new DataView(bytes.buffer, footerAt).getBigUint64(16));
  const view = new DataView(bytes.buffer);
  let found = false;
  for (let entry = 0; entry < 8; entry++) {
    const at = headerAt + 576 + entry * 24;
    if (view.getUint32(at) !== 0x57327275) continue; // 'W2ru'
    const data = Buffer.from(path, 'utf16le');
    expect(data.length).toBeLessThanOrEqual(view.getUint32(at + 4));
    bytes.set(data, Number(view.getBigUint64(at + 16)));
    view.setUint32(at + 8, data.length);
    found = true;
  }
  expect(found).toBe(true);
  await writeFile(child, bytes);
  await patchHeader(child, () => undefined); // the header checksum, over the new locator length
  await utimes(child, atime, mtime);
}

/** base (dynamic) ← middle ← top, each with its own writes; a second folder holds the top alone (its parents missing). */
async function makeChain(dir: string): Promise<void> {
  const base = join(dir, 'base.vhd');
  const middle = join(dir, 'middle.vhd');
  const top = join(dir, 'top.vhd');
  await createDynamicDisk(base, 6 * MiB, { blockSize: 512 * 1024 });
  await writeIntoDisk(base, pattern(2 * MiB + 512, 1), 256 * 1024);
  await createDifferencingDisk(middle, base);
  await writeIntoDisk(middle, pattern(700_000, 2), MiB + 1000);
  await createDifferencingDisk(top, middle);
  await writeIntoDisk(top, pattern(300_000, 3), 2 * MiB - 4096);
  await writeIntoDisk(top, pattern(4096, 4), 5 * MiB);
}

// Each test takes well under a second on an idle machine; the limit is for machines shared by many jobs.
describe.skipIf(!server.available)('images over HTTP (nginx)', { timeout: 30_000 }, () => {
  beforeAll(async () => {
    served = await folder.nextFolder();
    for (const facts of shared.facts) await symlink(sharedFixturePath(facts.file), join(served, facts.file));
    // dfvfs-image-differential.vhd names its parent 'image.vhd' (header name, no locators): serve it under that name.
    if (shared.available) await symlink(sharedFixturePath('dfvfs-image.vhd'), join(served, 'image.vhd'));
    await makeChain(served);
    const alone = join(served, 'alone');
    await mkdir(alone);
    await copyFile(join(served, 'top.vhd'), join(alone, 'top.vhd'));
    web = await startNginx(served);
    other = await startNginx(served);
  });
  afterAll(async () => {
    await web?.stop();
    await other?.stop();
  });

  it('serves every shared fixture', () => {
    expect(shared.facts.length).toBeGreaterThanOrEqual(shared.available ? 4 : 0);
  });

  describe.each(shared.facts.filter((facts) => !PARENT_ABSENT.has(facts.file)).map((facts) => [facts.file, facts.diskType] as const))('%s', (file, diskType) => {
    it('reads over HTTP (a URL string and a URL object) the bytes it reads as a file', async () => {
      const localBytes = await readWholeDisk(local(file));
      expect(same(await readWholeDisk(web.url('ranges', file)), localBytes)).toBe(true);
      const disk = await openDisk(new URL(web.url('ranges', file)));
      try {
        expect(disk.path).toBe(web.url('ranges', file));
        if (diskType === 'differencing') expect(disk.parent?.path).toBe(web.url('ranges', 'image.vhd'));
        const bytes = new Uint8Array(disk.virtualSize);
        expect(await disk.read(bytes, 0)).toBe(disk.virtualSize);
        expect(same(bytes, localBytes)).toBe(true);
      } finally {
        await disk.close();
      }
    });
  });

  it.each(shared.facts.filter((facts) => PARENT_ABSENT.has(facts.file)).map((facts) => facts.file))('%s looks for its absent parent beside its URL, as beside its file', async (file) => {
    const overHttp = await expectVhdIoError(openDisk(web.url('ranges', file)), 'PARENT_NOT_FOUND');
    const asFile = await expectVhdIoError(openDisk(local(file)), 'PARENT_NOT_FOUND');
    expect(overHttp.message).toContain(web.url('ranges', 'fat-parent.vhd'));
    expect(asLocal(overHttp.message)).toBe(asFile.message);
  });

  describe.each(shared.facts.map((facts) => facts.file))('%s', (file) => {
    it('has the metadata and the check report it has as a file', async () => {
      const overHttp = await readImageMetadata(web.url('ranges', file));
      const asFile = await readImageMetadata(local(file));
      expect(overHttp.path).toBe(web.url('ranges', file));
      expect(overHttp.fileSize).toBe(asFile.fileSize);
      expect(overHttp.footer).toEqual(asFile.footer);
      expect(overHttp.header).toEqual(asFile.header);
      expect(overHttp.bat).toEqual(asFile.bat);
      expect(overHttp.problems).toEqual(asFile.problems);
      const report = await check(web.url('ranges', file));
      expect(JSON.parse(asLocal(JSON.stringify(report)))).toEqual(await check(local(file)));
    });
  });

  it('reads a generated 3-deep chain with writes at every level, parents found relative to the URL', async () => {
    const localBytes = await readWholeDisk(join(served, 'top.vhd'));
    // The local read sees every level's writes (the model these bytes must match).
    expect(same(localBytes.subarray(256 * 1024, 256 * 1024 + 1000), pattern(1000, 1))).toBe(true);
    expect(same(localBytes.subarray(5 * MiB, 5 * MiB + 4096), pattern(4096, 4))).toBe(true);
    expect(same(localBytes.subarray(MiB + 1000, MiB + 1000 + 1000), pattern(700_000, 2).subarray(0, 1000))).toBe(true);
    const disk = await openChain(web.url('ranges', 'top.vhd'));
    const sources = [disk.file.source, disk.parent?.file.source, disk.parent?.parent?.file.source];
    try {
      expect(sources.map((source) => source?.name)).toEqual(['top.vhd', 'middle.vhd', 'base.vhd'].map((name) => web.url('ranges', name)));
      const bytes = new Uint8Array(disk.virtualSize);
      expect(await disk.read(bytes, 0)).toBe(disk.virtualSize);
      expect(same(bytes, localBytes)).toBe(true);
    } finally {
      await disk.close();
    }
    // close() closed every HTTP source of the chain.
    for (const source of sources) await expectSourceError(source!.read(0, 512), 'CLOSED');
    expect((await check(web.url('ranges', 'top.vhd'))).ok).toBe(true);
  });

  it('refuses to open a URL for writing (READ_ONLY) and reports a child whose parents the server lacks', async () => {
    await expectVhdIoError(openDisk(web.url('ranges', 'top.vhd'), { writable: true }), 'READ_ONLY');
    await expectVhdIoError(openDisk(new URL(web.url('ranges', 'top.vhd')), { writable: true }), 'READ_ONLY');
    const missing = await expectVhdIoError(openDisk(web.url('ranges', 'alone/top.vhd')), 'PARENT_NOT_FOUND');
    expect(missing.message).toContain(web.url('ranges', 'alone/middle.vhd'));
  });

  it('never follows a UNC locator of a URL child: not to another host, not to its own', async () => {
    const dir = join(served, 'cross');
    await mkdir(dir);
    await makeChain(dir);
    const chainBytes = await readWholeDisk(join(dir, 'top.vhd'));
    // middle.vhd's parent, named by a UNC locator: \\<other server>\ranges\cross\base.vhd (a share, not a URL).
    const otherHost = new URL(other.url('ranges', '')).host;
    await pointW2ruAt(join(dir, 'middle.vhd'), `\\\\${otherHost}\\ranges\\cross\\base.vhd`);
    const elsewhere = await expectVhdIoError(openDisk(web.url('ranges', 'cross/top.vhd')), 'PARENT_NOT_FOUND');
    expect(elsewhere.message).not.toContain(otherHost);
    expect(elsewhere.message).not.toContain('cross/base.vhd');
    await expectVhdIoError(openDisk(other.url('ranges', 'cross/top.vhd')), 'PARENT_NOT_FOUND');
    // The same chain with a relative locator opens, with the bytes it had.
    await pointW2ruAt(join(dir, 'middle.vhd'), '.\\base.vhd');
    const disk = await openDisk(other.url('ranges', 'cross/top.vhd'));
    try {
      expect(disk.parent?.parent?.path).toBe(other.url('ranges', 'cross/base.vhd'));
      const bytes = new Uint8Array(disk.virtualSize);
      await disk.read(bytes, 0);
      expect(same(bytes, chainBytes)).toBe(true);
    } finally {
      await disk.close();
    }
  });

  it('gives typed errors for a server without ranges and for a missing file', async () => {
    await expectSourceError(openDisk(web.url('no-ranges', 'base.vhd')), 'RANGES_UNSUPPORTED');
    await expectSourceError(readImageMetadata(web.url('no-ranges', 'base.vhd')), 'RANGES_UNSUPPORTED');
    const notFound = await expectSourceError(openDisk(web.url('ranges', 'nothing-here.vhd')), 'HTTP_STATUS');
    expect(notFound.status).toBe(404);
    expect((await expectSourceError(check(web.url('ranges', 'nothing-here.vhd')), 'HTTP_STATUS')).status).toBe(404);
  });
});
