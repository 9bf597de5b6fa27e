/**
 * Library-level regressions for issue 15 on the images in ../shared/fixtures/hostile: the readers fail only
 * with typed errors, refuse what the open-time rules forbid, and never return bytes that are not the disk's.
 * (The images that abort or balloon `check` are exercised through the CLI in vpc-api, where a crash cannot take
 * the test process with it.)
 */
import { copyFile, chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { sha256Bytes, sharedFixturePath, sharedFixtures, testFolder } from '@vhdkit/test-support';
import { VhdIoError, check, createDifferencingDisk, createDynamicDisk, openDisk, readImageMetadata, repair } from '../src/index.js';
import { VhdFormatError, uniqueIdToString } from '@vhdkit/vhd-format';

const fixtures = sharedFixtures();
const folder = testFolder('vhdkit-hostile-lib-');
const hostile = (name: string) => sharedFixturePath(`hostile/${name}`);

/** Runs a reader; returns its value, or the error when it is typed (anything else fails the test). */
async function typed<T>(action: () => Promise<T>): Promise<{ value: T } | { error: VhdIoError | VhdFormatError }> {
  try {
    return { value: await action() };
  } catch (error) {
    if (error instanceof VhdIoError || error instanceof VhdFormatError) return { error };
    throw error;
  }
}

async function virtualBytes(path: string): Promise<Uint8Array> {
  const disk = await openDisk(path);
  try {
    const bytes = new Uint8Array(disk.virtualSize).fill(0xa5);
    expect(await disk.read(bytes, 0)).toBe(disk.virtualSize);
    return bytes;
  } finally {
    await disk.close();
  }
}

describe.runIf(fixtures.available)('hostile fixtures through the library', { timeout: 60_000 }, () => {
  it.each([
    ['block-size-0-dynamic.vhd', 'block size 0'],
    ['block-size-1000.vhd', 'block size 1000'],
    ['block-size-4g.vhd', 'block size ~4 GiB'],
    ['fixed-footer-only.vhd', 'a fixed image shorter than its size'],
  ])('openDisk refuses %s (%s) as CORRUPT', async (name) => {
    const opened = await typed(() => openDisk(hostile(name)));
    if ('value' in opened) await opened.value.close();
    expect('error' in opened ? opened.error : undefined).toBeInstanceOf(VhdIoError);
    expect('error' in opened ? (opened.error as VhdIoError).code : 'opened').toBe('CORRUPT');
  });

  it('original-size-above-2p53.vhd: the informational original size is a check warning; the disk opens and reads', async () => {
    const name = 'original-size-above-2p53.vhd';
    const metadata = await readImageMetadata(hostile(name));
    expect(metadata.footer.originalSize).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
    const report = await check(hostile(name));
    expect(report.issues.map((issue) => `${issue.code}:${issue.severity}`)).toEqual(['FOOTER_BAD_SIZE:warning']);
    expect(report.ok).toBe(true);
    const bytes = await virtualBytes(hostile(name));
    expect(bytes.length).toBe(metadata.footer.currentSize);
    expect(bytes.every((byte) => byte === 0)).toBe(true); // no block is allocated
  });

  it.each(['block-size-0-dynamic.vhd', 'block-size-1000.vhd', 'block-size-4g.vhd', 'fixed-footer-only.vhd', 'locator-offset-above-2p53.vhd', 'repair-bad-trailing-footer-a.vhd', 'repair-bad-trailing-footer-b.vhd'])(
    'readImageMetadata and check fail only with typed errors on %s',
    async (name) => {
      await typed(() => readImageMetadata(hostile(name)));
      const report = await typed(() => check(hostile(name)));
      if ('value' in report) expect(report.value.ok, JSON.stringify(report.value.issues.slice(0, 3))).toBe(false);
    },
  );

  it('a stream never carries bytes the disk does not hold (block-size-0-dynamic.vhd: refused, or zeros)', async () => {
    const opened = await typed(() => openDisk(hostile('block-size-0-dynamic.vhd')));
    if ('error' in opened) return; // refused at open: nothing to stream (the behaviour the issue asks for)
    const disk = opened.value;
    try {
      const parts: Buffer[] = [];
      for await (const part of disk.createReadStream()) parts.push(part as Buffer);
      const streamed = Buffer.concat(parts);
      expect(streamed.every((byte) => byte === 0)).toBe(true);
    } finally {
      await disk.close();
    }
  });

  it.each(['repair-bad-trailing-footer-a.vhd', 'repair-bad-trailing-footer-b.vhd'])('repair of %s puts the good footer at the end and keeps the disk', async (name) => {
    const copy = folder.nextPath(name);
    await copyFile(hostile(name), copy);
    await chmod(copy, 0o644);
    const before = await readImageMetadata(copy);
    expect(before.problems.length).toBeGreaterThan(0); // the damaged trailing footer is noticed, and the copy used
    // -a stands alone (its bytes are compared); -b is a child whose parent is not shipped.
    const standalone = before.footer.diskType !== 4;
    const bytesBefore = standalone ? sha256Bytes(await virtualBytes(copy)) : undefined;
    await repair(copy);
    const after = await readImageMetadata(copy);
    expect(after.problems).toEqual([]);
    expect(uniqueIdToString(after.footer.uniqueId)).toBe(uniqueIdToString(before.footer.uniqueId));
    expect(after.footer.currentSize).toBe(before.footer.currentSize);
    expect(after.footer.dataOffset).toBe(before.footer.dataOffset);
    if (standalone) {
      expect(sha256Bytes(await virtualBytes(copy))).toBe(bytesBefore);
      expect((await check(copy)).ok).toBe(true);
    }
  });

});

describe('a parent that is some other file', () => {
  it("openDisk names its path and the kind of damage, and carries none of its bytes (message, cause or inspection)", async () => {
    const dir = await folder.nextFolder();
    await createDynamicDisk(join(dir, 'parent.vhd'), 4 * 1024 * 1024);
    await createDifferencingDisk(join(dir, 'child.vhd'), join(dir, 'parent.vhd'));
    const secret = join(dir, 'secret.txt');
    await writeFile(secret, 'SECRET'.repeat(400));
    const opened = await typed(() => openDisk(join(dir, 'child.vhd'), { parentPath: secret }));
    if ('value' in opened) await opened.value.close();
    const error = 'error' in opened ? opened.error : undefined;
    expect(error).toBeInstanceOf(VhdIoError);
    expect(error).toMatchObject({ code: 'NOT_A_VHD', path: secret });
    expect(error!.message).toBe(`${secret} (named as a parent) is not a VHD (BAD_COOKIE)`);
    expect(error!.cause).toBeUndefined();
    expect(inspect(error, { depth: 10 })).not.toMatch(/SECRET|ECRETS|CRETSE|RETSEC|ETSECR|TSECRE/);
  });
});
