import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { copyFile, readFile, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { sha256Bytes, sha256File, sharedFixturePath, testFolder } from '@vhdkit/test-support';
import { uniqueIdToString } from '@vhdkit/vhd-format';
import { MAX_CHAIN_DEPTH, check, convert, createDifferencingDisk, createDynamicDisk, merge, openDisk, readImageMetadata, repair, setParent } from '../src/index.js';
import { planDifferencingChild } from '../src/create/differencing.js';
import { writeImageFile } from '../src/create/write-image.js';
import { temporaryPathFor } from '../src/temporary-files.js';
import { MiB, footerUniqueId, patchHeader, patternBytes, sorted } from './helpers/chain-images.js';
import { expectVhdIoError, readWholeDisk, writeIntoDisk } from './helpers/disk-io.js';

const folder = testFolder('vhd-diff-hostile-');

/** A named pipe nobody writes to: a blocking open() of it would wait forever in the thread pool. */
function makeFifo(name: string): string {
  const path = folder.nextPath(name);
  execFileSync('mkfifo', [path]);
  return path;
}

describe('special files are refused at once, never waited on', () => {
  it('a FIFO as the image: metadata, open (read-only and writable), check and repair say NOT_A_VHD', async () => {
    const fifo = makeFifo('image.vhd');
    for (const attempt of [
      () => readImageMetadata(fifo),
      () => openDisk(fifo),
      () => openDisk(fifo, { writable: true }),
      () => check(fifo),
      () => repair(fifo),
    ]) {
      const error = await expectVhdIoError(attempt(), 'NOT_A_VHD');
      expect(error.params?.reason).toBe('not-a-file');
    }
  });

  it('a FIFO as the parent: creation refuses it and leaves no child; an explicit parent path refuses it too', async () => {
    const fifo = makeFifo('parent.vhd');
    const dir = await folder.nextFolder();
    await expectVhdIoError(createDifferencingDisk(`${dir}/child.vhd`, fifo), 'NOT_A_VHD');
    expect(await readdir(dir)).toEqual([]);

    const parent = folder.nextPath('real-parent.vhd');
    await createDynamicDisk(parent, 8 * MiB);
    const child = folder.nextPath('child.vhd');
    await createDifferencingDisk(child, parent);
    await expectVhdIoError(openDisk(child, { parentPath: fifo, timestampMismatch: 'accept' }), 'NOT_A_VHD');
  });

  it('a character device (/dev/zero) is not an image either', async () => {
    await expectVhdIoError(readImageMetadata('/dev/zero'), 'NOT_A_VHD');
    await expectVhdIoError(openDisk('/dev/zero', { writable: true }), 'NOT_A_VHD');
  });
});

/** A copy of a shared hostile fixture, for anything that may write. */
async function hostileCopy(name: string): Promise<string> {
  const copy = folder.nextPath(name);
  await copyFile(sharedFixturePath(`hostile/${name}`), copy);
  return copy;
}

/** A child holding 50 KB of its own data, then its header's block size patched to `blockSize` (checksum refreshed). */
async function childWithBlockSize(blockSize: number): Promise<{ parent: string; child: string }> {
  const parent = folder.nextPath('parent.vhd');
  await createDynamicDisk(parent, 8 * MiB);
  const child = folder.nextPath('child.vhd');
  await createDifferencingDisk(child, parent);
  await writeIntoDisk(child, patternBytes(50_000, 3), 4096);
  await patchHeader(child, (header) => header.setUint32(32, blockSize));
  return { parent, child };
}

describe('changes refuse an image whose block size is nonsense, and keep it', () => {
  it.each([0, 1000, 1536, 2 * MiB + 512])('block size %i: merge, convert, set-parent, repair and writable opens say CORRUPT; nothing changes', async (blockSize) => {
    const { parent, child } = await childWithBlockSize(blockSize);
    const before = { parent: await sha256File(parent), child: await sha256File(child) };
    const attempts = [
      () => merge(child),
      () => convert(child, folder.nextPath('flat.vhd'), { type: 'dynamic' }),
      () => setParent(child, parent),
      () => repair(child),
      () => openDisk(child, { writable: true }),
    ];
    for (const attempt of attempts) await expectVhdIoError(attempt(), 'CORRUPT');
    expect({ parent: await sha256File(parent), child: await sha256File(child) }).toEqual(before);
    expect(existsSync(`${child}.merge-journal`)).toBe(false);
  });

  it.each(['block-size-0-dynamic.vhd', 'block-size-1000.vhd', 'block-size-4g.vhd'])('fixture %s: opening (read-only or writable) and a convert are refused; the file is unchanged', async (name) => {
    const image = await hostileCopy(name);
    const before = await sha256File(image);
    // Read-only too: with block size 0, reads reported bytes they never filled (uninitialized memory reached callers).
    await expectVhdIoError(openDisk(image), 'CORRUPT');
    await expectVhdIoError(openDisk(image, { writable: true }), 'CORRUPT');
    const destination = folder.nextPath('flat.vhd');
    await expectVhdIoError(convert(image, destination, { type: 'fixed' }), 'CORRUPT');
    expect(existsSync(destination)).toBe(false);
    expect(await sha256File(image)).toBe(before);
  });
});

/** The virtual disk through our reader; a differencing child reads through a stand-in parent with its recorded id. */
async function diskBytes(image: string, parent?: string): Promise<Uint8Array> {
  return readWholeDisk(image, parent === undefined ? {} : { parentPath: parent, timestampMismatch: 'accept' });
}

describe('repair replaces a damaged structure only with a verified good one', () => {
  it.each([
    ['repair-bad-trailing-footer-a.vhd', false],
    ['repair-bad-trailing-footer-b.vhd', true],
  ] as const)('%s: the trailing footer (bad checksum) is replaced by the intact copy; the image opens and reads the same before and after', async (name, differencing) => {
    const image = await hostileCopy(name);
    let parent: string | undefined;
    if (differencing) {
      const metadata = await readImageMetadata(image, { bat: false });
      parent = folder.nextPath('stand-in-parent.vhd');
      await createDynamicDisk(parent, metadata.footer.currentSize, { uniqueId: metadata.header!.parentUniqueId });
      await writeIntoDisk(parent, patternBytes(3 * MiB, 9), 1000);
    }
    const copyAtStart = (await readFile(image)).subarray(0, 512);
    const before = await diskBytes(image, parent);
    const { repaired, after } = await repair(image);
    // The checker reports a trailing footer that fails its checksum, with an intact copy, as FOOTER_DAMAGED.
    expect(repaired.map((issue) => issue.code)).toContain('FOOTER_DAMAGED');
    expect(after.issues.filter((issue) => issue.code.startsWith('FOOTER_') || issue.code.startsWith('HEADER_'))).toEqual([]);
    const bytes = await readFile(image);
    // The good copy at offset 0 is kept and is now also the trailing footer; the image passes a strict read.
    expect(bytes.subarray(0, 512)).toEqual(copyAtStart);
    expect(bytes.subarray(bytes.length - 512)).toEqual(copyAtStart);
    await readImageMetadata(image, { strict: true });
    expect(sha256Bytes(await diskBytes(image, parent))).toBe(sha256Bytes(before));
  });

  it('a damaged trailing footer with no trustworthy copy is refused (CORRUPT) and the file left unchanged', async () => {
    const image = await hostileCopy('repair-bad-trailing-footer-a.vhd');
    const bytes = await readFile(image);
    bytes[100] = bytes[100]! ^ 0xff; // the copy at offset 0 now fails its checksum too, and disagrees with the trailing one
    await writeFile(image, bytes);
    await expectVhdIoError(repair(image), 'CORRUPT');
    expect(await readFile(image)).toEqual(bytes);
  });
});

/** Parent and child, 50 KB written into the child. */
async function family(): Promise<{ parent: string; child: string }> {
  const parent = folder.nextPath('parent.vhd');
  await createDynamicDisk(parent, 8 * MiB);
  const child = folder.nextPath('child.vhd');
  await createDifferencingDisk(child, parent);
  await writeIntoDisk(child, patternBytes(50_000, 5), 8192);
  return { parent, child };
}

/** Someone else writes into the parent later on (its modification time moves on by a minute). */
async function modifyParent(parent: string): Promise<void> {
  await writeIntoDisk(parent, patternBytes(4096, 6), 6 * MiB);
  const later = new Date((await stat(parent)).mtimeMs + 60_000);
  await utimes(parent, later, later);
}

describe('a stale merge journal never weakens the parent-modified guard', () => {
  it('a merge that fails before writing the parent leaves no journal; after the parent changes, merge refuses (PARENT_TIMESTAMP_MISMATCH)', async () => {
    const { parent, child } = await family();
    const parentBefore = await sha256File(parent);
    const controller = new AbortController();
    // Stopped at its first progress report, before any byte reaches the parent (as when the parent cannot be written).
    await expectVhdIoError(merge(child, { signal: controller.signal, onProgress: () => controller.abort() }), 'ABORTED');
    expect(await sha256File(parent)).toBe(parentBefore);
    expect(existsSync(`${child}.merge-journal`)).toBe(false);
    await modifyParent(parent);
    const childBefore = await sha256File(child);
    await expectVhdIoError(merge(child), 'PARENT_TIMESTAMP_MISMATCH');
    expect(await sha256File(child)).toBe(childBefore);
  });

  it('a journal left by an older merge (no parent record), or recording the parent unchanged, excuses nothing', async () => {
    const { parent, child } = await family();
    const metadata = await readImageMetadata(child, { bat: false });
    const ids = {
      childUniqueId: uniqueIdToString(metadata.footer.uniqueId),
      parentUniqueId: uniqueIdToString(metadata.header!.parentUniqueId),
    };
    // What the earlier code wrote before opening the parent, then left behind when that open failed.
    await writeFile(`${child}.merge-journal`, JSON.stringify({ kind: 'vhdkit-merge', version: 1, childPath: child, parentPath: parent, ...ids }));
    await modifyParent(parent);
    await expectVhdIoError(merge(child), 'PARENT_TIMESTAMP_MISMATCH');

    // A journal whose record is of another file (the parent was replaced by a copy since) excuses nothing either.
    const { dev, ino, size, mtimeMs } = await stat(parent);
    const record = { device: String(dev), inode: String(Number(ino) + 1), size: String(size - 512), mtimeNs: String(BigInt(Math.floor(mtimeMs)) * 1_000_000n) };
    await writeFile(`${child}.merge-journal`, JSON.stringify({ kind: 'vhdkit-merge', version: 2, childPath: child, parentPath: parent, ...ids, parentBefore: record }));
    await expectVhdIoError(merge(child), 'PARENT_TIMESTAMP_MISMATCH');
    expect(existsSync(child)).toBe(true);
  });
});

/** A dynamic base and children on top of it: `images` images in all; returns their paths, base first. */
async function chainOf(images: number): Promise<string[]> {
  const dir = await folder.nextFolder();
  const paths = [join(dir, 'image-0.vhd')];
  await createDynamicDisk(paths[0]!, MiB);
  for (let index = 1; index < images; index++) {
    paths.push(join(dir, `image-${index}.vhd`));
    await createDifferencingDisk(paths[index]!, paths[index - 1]!);
  }
  return paths;
}

describe('one depth limit: creation, opening, set-parent and check agree on MAX_CHAIN_DEPTH images', () => {
  it('a parent whose chain holds MAX_CHAIN_DEPTH images gets no child (CHAIN_TOO_DEEP, no file); one less does', async () => {
    expect(MAX_CHAIN_DEPTH).toBe(32);
    const paths = await chainOf(MAX_CHAIN_DEPTH);
    const top = paths[paths.length - 1]!;
    const disk = await openDisk(top); // the full chain opens
    await disk.close();
    expect((await check(top)).ok).toBe(true);
    const refused = folder.nextPath('one-too-many.vhd');
    const error = await expectVhdIoError(createDifferencingDisk(refused, top), 'CHAIN_TOO_DEEP');
    expect(error.params).toMatchObject({ reason: 'parent-chain-full', maxDepth: MAX_CHAIN_DEPTH });
    expect(existsSync(refused)).toBe(false);
    // set-parent may not make the chain too deep either.
    const base = folder.nextPath('other-base.vhd');
    await createDynamicDisk(base, MiB);
    const other = folder.nextPath('other-child.vhd');
    await createDifferencingDisk(other, base);
    await expectVhdIoError(setParent(other, top, { force: true }), 'CHAIN_TOO_DEEP');
    // Below the top there is room for one more.
    const allowed = folder.nextPath('allowed.vhd');
    await createDifferencingDisk(allowed, paths[paths.length - 2]!);
    await (await openDisk(allowed)).close();
  }, 60_000);

  it('check reports a chain of MAX_CHAIN_DEPTH + 1 images (made before creation refused it) as CHAIN_TOO_DEEP, and a loop as CHAIN_LOOP', async () => {
    const paths = await chainOf(MAX_CHAIN_DEPTH);
    // What earlier versions wrote: a 33rd image, planned and written without the depth rule.
    const extra = folder.nextPath('thirty-third.vhd');
    await writeImageFile(extra, planDifferencingChild(extra, await readImageMetadata(paths[paths.length - 1]!, { bat: false })).file);
    await expectVhdIoError(openDisk(extra), 'CHAIN_TOO_DEEP');
    const deep = await check(extra);
    expect(deep.ok).toBe(false);
    expect(deep.issues.map((issue) => issue.code)).toContain('CHAIN_TOO_DEEP');

    // Point the base's child at the top one (id and name, locators dropped): image-1 → image-2 → … → image-1.
    const [, first, second] = await chainOf(3);
    const secondId = await footerUniqueId(second!);
    await patchHeader(first!, (header, bytes) => {
      bytes.set(secondId, 40);
      header.setUint32(56, 0);
      bytes.fill(0, 64, 768);
      const name = 'image-2.vhd';
      for (let index = 0; index < name.length; index++) header.setUint16(64 + index * 2, name.charCodeAt(index));
    });
    const looping = await check(second!, { timestampMismatch: 'accept' });
    expect(looping.ok).toBe(false);
    expect(looping.issues.map((issue) => issue.code)).toContain('CHAIN_LOOP');
  }, 60_000);
});

describe('temporary files left by a killed creation are removed by the next one in that folder', () => {
  const distIndex = fileURLToPath(new URL('../dist/index.js', import.meta.url));

  /** A real child process that starts a 2040 GiB dynamic creation at `path` and SIGKILLs itself at its first progress. */
  function creationKilledMidway(path: string): Promise<NodeJS.Signals | null> {
    const script = `
      const { createDynamicDisk } = await import(${JSON.stringify(pathToFileURL(distIndex).href)});
      await createDynamicDisk(${JSON.stringify(path)}, 2040 * 1024 ** 3, { onProgress: () => process.kill(process.pid, 'SIGKILL') });
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
    return new Promise((resolvePromise) => child.on('close', (_status, signal) => resolvePromise(signal)));
  }

  it("SIGKILL mid-creation leaves a temporary naming its dead owner; the next creation there removes it, never a live owner's", async () => {
    const dir = await folder.nextFolder();
    expect(await creationKilledMidway(join(dir, 'killed.vhd'))).toBe('SIGKILL');
    const left = await readdir(dir);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^\.killed\.vhd\.[0-9a-f]{8}-\d+\.[0-9a-f]{12}\.tmp$/);
    // A temporary whose owner runs (this process) is somebody's creation in progress: it stays.
    const live = `.other.vhd.${basename(temporaryPathFor(join(dir, 'x'))).split('.').at(-3)}.0123456789ab.tmp`;
    await writeFile(join(dir, live), 'in progress');
    await createDynamicDisk(join(dir, 'next.vhd'), MiB);
    expect(sorted(await readdir(dir))).toEqual(sorted([live, 'next.vhd']));
  }, 60_000);
});
