/**
 * vhd-diff over vhd-format's seam: openDisk on bytes, Blobs and any RandomAccessSource reads what the file path reads;
 * hostile images give typed errors or the bytes vhd-format's own chain reader gives; nothing from outside the chain
 * leaks into messages; a child with block size 0 is refused before merge can touch it.
 */
import { copyFile, readFile, readdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChainReader, MAX_CHAIN_DEPTH, bytesSource, computeChecksum, openImageChain, pickedSources } from '@vhdkit/vhd-format';
import { sharedFixtures, testFolder } from '@vhdkit/test-support';
import { check, createDifferencingDisk, createDynamicDisk, merge, openDisk, readImageMetadata } from '../src/index.js';
import { pointParentAt } from './helpers/chain-images.js';
import { expectVhdIoError, readWholeDisk, writeIntoDisk } from './helpers/disk-io.js';

const MiB = 1024 * 1024;
const folder = testFolder('vhd-diff-seam-');
const shared = sharedFixtures();

function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let index = 0; index < length; index++) bytes[index] = (index * 31 + seed) & 0xff;
  return bytes;
}

async function chainOnDisk(): Promise<{ parent: string; child: string; dir: string }> {
  const dir = await folder.nextFolder();
  const parent = join(dir, 'parent.vhd');
  const child = join(dir, 'child.vhd');
  await createDynamicDisk(parent, 8 * MiB);
  await writeIntoDisk(parent, pattern(3 * MiB, 1), 512 * 1024);
  await createDifferencingDisk(child, parent);
  await writeIntoDisk(child, pattern(100_000, 2), 2 * MiB + 1000);
  return { parent, child, dir };
}

async function readAll(disk: Awaited<ReturnType<typeof openDisk>>): Promise<Uint8Array> {
  try {
    const bytes = new Uint8Array(disk.virtualSize);
    expect(await disk.read(bytes, 0)).toBe(disk.virtualSize);
    return bytes;
  } finally {
    await disk.close();
  }
}

describe('openDisk on sources other than a path', () => {
  it('bytes and a Blob read what the file reads; a source with a resolver opens the whole chain', async () => {
    const { parent, child } = await chainOnDisk();
    const parentBytes = new Uint8Array(await readFile(parent));
    const childBytes = new Uint8Array(await readFile(child));
    const fromFile = await readWholeDisk(parent);
    expect(Buffer.from(await readAll(await openDisk(parentBytes))).equals(Buffer.from(fromFile))).toBe(true);
    expect(Buffer.from(await readAll(await openDisk(new Blob([parentBytes.slice().buffer])))).equals(Buffer.from(fromFile))).toBe(true);

    const chainFromFile = await readWholeDisk(child);
    const viaSource = await openDisk(bytesSource(childBytes, { name: 'child.vhd' }), {
      resolveParent: pickedSources([bytesSource(parentBytes, { name: 'parent.vhd' })]),
    });
    expect(viaSource.parent?.path).toBe('parent.vhd');
    expect(Buffer.from(await readAll(viaSource)).equals(Buffer.from(chainFromFile))).toBe(true);
    // The streams (read-ahead, zero stretches) work over a source that is not a file, too.
    const streamed = await openDisk(bytesSource(childBytes, { name: 'child.vhd' }), { resolveParent: pickedSources([bytesSource(parentBytes, { name: 'parent.vhd' })]) });
    const chunks: Uint8Array[] = [];
    for await (const chunk of streamed.readableWebStream()) chunks.push(chunk);
    await streamed.close();
    expect(Buffer.concat(chunks).equals(Buffer.from(chainFromFile))).toBe(true);
  }, 30_000);

  it('only a file can be opened for writing', async () => {
    const { parent } = await chainOnDisk();
    await expectVhdIoError(openDisk(new Uint8Array(await readFile(parent)), { writable: true }), 'READ_ONLY');
  });

  it('maxDepth beyond the one limit (32) is refused', async () => {
    const { child } = await chainOnDisk();
    await expectVhdIoError(openDisk(child, { maxDepth: 33 }), 'OUT_OF_RANGE');
  });
});

describe('refusals that protect data and secrets', () => {
  it('one depth limit: a 32-image chain opens, a child of its top is refused at creation', async () => {
    const dir = await folder.nextFolder();
    let top = join(dir, 'd0.vhd');
    await createDynamicDisk(top, 1 * MiB);
    for (let depth = 1; depth < MAX_CHAIN_DEPTH; depth++) {
      const next = join(dir, `d${depth}.vhd`);
      await createDifferencingDisk(next, top);
      top = next;
    }
    const disk = await openDisk(top);
    let layers = 0;
    for (let layer: typeof disk.parent = disk; layer; layer = layer.parent) layers++;
    expect(layers).toBe(MAX_CHAIN_DEPTH);
    await disk.close();
    const refused = await expectVhdIoError(createDifferencingDisk(join(dir, 'too-deep.vhd'), top), 'CHAIN_TOO_DEEP');
    expect(refused.params).toMatchObject({ reason: 'parent-chain-full', maxDepth: MAX_CHAIN_DEPTH });
    await expect(readFile(join(dir, 'too-deep.vhd'))).rejects.toMatchObject({ code: 'ENOENT' });
  }, 120_000);

  it('a child whose block size was patched to 0: opening is CORRUPT and merge leaves the child alone', async () => {
    const { child } = await chainOnDisk();
    const bytes = new Uint8Array(await readFile(child));
    const header = new DataView(bytes.buffer, 512, 1024);
    header.setUint32(32, 0);
    header.setUint32(36, computeChecksum(bytes.subarray(512, 1536), 36));
    await writeFile(child, bytes);
    const opened = await expectVhdIoError(openDisk(child), 'CORRUPT');
    expect(opened.message).toMatch(/block size 0/);
    await expectVhdIoError(merge(child));
    expect(Buffer.from(await readFile(child)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('a parent candidate that is not a VHD: NOT_A_VHD, and not one byte of it in the message', async () => {
    const { parent, child } = await chainOnDisk();
    await writeFile(parent, `SECRET-${'x'.repeat(5000)}-SECRET`);
    const error = await expectVhdIoError(openDisk(child), 'NOT_A_VHD');
    expect(error.message).not.toMatch(/SECRET|xxxx/);
    expect(error.message).toContain(parent);
  });
});

describe('every read fills what it reports, or fails', () => {
  it('a file cut short after opening: CORRUPT, with the blocking and the thread-pool paths', async () => {
    for (const blockingReads of [false, true]) {
      const { parent } = await chainOnDisk();
      const disk = await openDisk(parent, { blockingReads });
      try {
        await truncate(parent, 4096);
        const target = new Uint8Array(64 * 1024).fill(0x5a);
        await expectVhdIoError(disk.read(target, 1 * MiB), 'CORRUPT');
      } finally {
        await disk.close();
      }
    }
  }, 30_000);
});

describe('check applies the chain rules every reader applies', () => {
  it('a looping chain is an error (CHAIN_LOOP), not a clean report; a folder is NOT_A_VHD as for info', async () => {
    const { child, dir } = await chainOnDisk();
    const grandchild = join(dir, 'grandchild.vhd');
    await createDifferencingDisk(grandchild, child);
    // Point the child at the grandchild (id, name; locators dropped): child → grandchild → child.
    await pointParentAt(child, grandchild);
    const report = await check(grandchild, { timestampMismatch: 'accept' });
    expect(report.ok).toBe(false);
    expect(report.issues.map((issue) => issue.code)).toContain('CHAIN_LOOP');
    await expectVhdIoError(check(dir), 'NOT_A_VHD');
    await expectVhdIoError(readImageMetadata(dir), 'NOT_A_VHD');
  }, 30_000);
});

describe.skipIf(!shared.available)('the hostile images through vhd-diff', () => {
  const hostileDir = join(shared.dir, 'hostile');

  it('every one: a typed error, or exactly the bytes vhd-format\'s source-based chain reader gives', async () => {
    const files = (await readdir(hostileDir)).filter((file) => file.endsWith('.vhd'));
    expect(files.length).toBeGreaterThan(10);
    const outcomes: Record<string, string> = {};
    for (const file of files) {
      const path = join(folder.path(), `hostile-${file}`);
      await copyFile(join(hostileDir, file), path);
      const disk = await openDisk(path).catch((error: unknown) => error);
      if (!('read' in (disk as object))) {
        expect(disk, file).toMatchObject({ name: 'VhdIoError' });
        outcomes[file] = (disk as { code: string }).code;
        // The image's own metadata fails the same way, unless only its parent is missing.
        if (outcomes[file] !== 'PARENT_NOT_FOUND') await expectVhdIoError(readImageMetadata(path), outcomes[file] as 'CORRUPT');
        continue;
      }
      const bytes = await readAll(disk as Awaited<ReturnType<typeof openDisk>>);
      const layers = await openImageChain(bytesSource(new Uint8Array(await readFile(path)), { name: path }), { resolveParent: () => Promise.resolve(undefined) });
      const expected = new Uint8Array(bytes.length);
      await new ChainReader(layers).read(expected, 0);
      expect(Buffer.from(bytes).equals(Buffer.from(expected)), file).toBe(true);
      outcomes[file] = 'read';
    }
    expect(outcomes).toMatchObject({
      'block-size-0-dynamic.vhd': 'CORRUPT',
      'block-size-1000.vhd': 'CORRUPT',
      'block-size-4g.vhd': 'CORRUPT',
      'fixed-footer-only.vhd': 'CORRUPT',
      'repair-bad-trailing-footer-a.vhd': 'read',
      // A differencing child whose parent is not shipped.
      'repair-bad-trailing-footer-b.vhd': 'PARENT_NOT_FOUND',
    });
  }, 60_000);
});
