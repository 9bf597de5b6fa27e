import { mkdir, stat, utimes, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VhdFormatError } from '@vhdkit/vhd-format';
import { tempDir } from '@vhdkit/test-support';
import {
  createDifferencingDisk,
  createDynamicDisk,
  createFixedDisk,
  readImageMetadata,
  type CreatedDisk,
} from '../src/index.js';
import { planDifferencingChild } from '../src/create/differencing.js';
import { writeImageFile } from '../src/create/write-image.js';
import { fingerprint, listFolder, rawFooter, rawHeader, readBytes, utf16le, vhdSeconds } from './create-support.js';
import { expectVhdIoError } from './helpers/disk-io.js';

const MiB = 1024 * 1024;
const NOW = new Date('2026-03-04T05:06:07.890Z');
const CHILD_ID = Uint8Array.from([0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0x4c, 0xde, 0x8f, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd]);

/** Independent of the code under test: the bytes in order as 8-4-4-4-12 hex. */
function idText(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const roundUp = (value: number, multiple: number) => Math.ceil(value / multiple) * multiple;

/**
 * Checks every byte of an empty child against the Windows layout (docs/windows-child-layout.md), reading fields at literal
 * offsets, and returns the decoded locator paths. `relative` undefined means only W2ku is expected.
 */
async function expectWindowsLayoutChild(childPath: string, parentPath: string, relative: string | undefined, blockSize: number) {
  const bytes = await readBytes(childPath);
  const parentBytes = await readBytes(parentPath);
  const parentFooter = rawFooter(parentBytes.subarray(parentBytes.length - 512));
  const parentStats = await stat(parentPath);

  const footer = rawFooter(bytes.subarray(bytes.length - 512));
  expect(Buffer.from(bytes.subarray(0, 512)).equals(Buffer.from(bytes.subarray(bytes.length - 512)))).toBe(true);
  expect(footer).toEqual({
    cookie: 'conectix',
    features: 2,
    formatVersion: 0x00010000,
    dataOffset: 512n,
    timestamp: vhdSeconds(NOW),
    creatorApplication: 'vhdk',
    creatorVersion: 0x00010000,
    creatorHostOs: 'Wi2k',
    originalSize: parentFooter.originalSize,
    currentSize: parentFooter.currentSize,
    cylinders: parentFooter.cylinders,
    heads: parentFooter.heads,
    sectorsPerTrack: parentFooter.sectorsPerTrack,
    diskType: 4,
    checksum: footer.checksum,
    uniqueId: CHILD_ID,
    savedState: 0,
    reservedAllZero: true,
    checksumValid: true,
  });

  const entries = Math.ceil(parentFooter.currentSize / blockSize);
  const batRegionBytes = roundUp(entries * 4, 4096);
  const absolute = utf16leBytes(windowsStyle(parentPath));
  const relativeData = relative === undefined ? undefined : utf16leBytes(relative);
  const header = rawHeader(bytes.subarray(512, 1536));
  const w2ruOffset = 8192 + batRegionBytes;
  const locatorEnd = relativeData ? w2ruOffset + Math.max(65536, roundUp(relativeData.length, 4096)) : w2ruOffset;
  const unused = { platformCode: '\0\0\0\0', dataSpace: 0, dataLength: 0, reserved: 0, dataOffset: 0 };
  expect(header).toEqual({
    cookie: 'cxsparse',
    dataOffset: 0xffffffffffffffffn,
    tableOffset: 8192,
    headerVersion: 0x00010000,
    maxTableEntries: entries,
    blockSize,
    checksum: header.checksum,
    parentUniqueId: parentFooter.uniqueId,
    parentTimestamp: vhdSeconds(parentStats.mtime),
    reserved1: 0,
    parentUnicodeName: basename(parentPath),
    locators: [
      { platformCode: 'W2ku', dataSpace: 4096, dataLength: absolute.length, reserved: 0, dataOffset: 4096 },
      relativeData
        ? { platformCode: 'W2ru', dataSpace: 65536, dataLength: relativeData.length, reserved: 0, dataOffset: w2ruOffset }
        : unused,
      unused, unused, unused, unused, unused, unused,
    ],
    reserved2AllZero: true,
    checksumValid: true,
  });

  // Block 0's data would start 4 KiB-aligned after the last region, its bitmap in the sector before; the footer of
  // the empty image sits where that bitmap will go.
  const footerOffset = roundUp(locatorEnd + 512, 4096) - 512;
  expect(bytes.length).toBe(footerOffset + 512);

  // Every byte outside the known regions is zero; the BAT region is entirely 0xFF.
  const expected = new Uint8Array(bytes.length);
  expected.set(bytes.subarray(0, 1536), 0);
  expected.set(absolute, 4096);
  expected.fill(0xff, 8192, 8192 + batRegionBytes);
  if (relativeData) expected.set(relativeData, w2ruOffset);
  expected.set(bytes.subarray(footerOffset), footerOffset);
  expect(Buffer.from(bytes).equals(Buffer.from(expected))).toBe(true);
  expect(utf16le(bytes.subarray(4096, 4096 + absolute.length))).toBe(windowsStyle(parentPath));
  if (relativeData) expect(utf16le(bytes.subarray(w2ruOffset, w2ruOffset + relativeData.length))).toBe(relative);
}

function utf16leBytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf16le'));
}

function windowsStyle(posixPath: string): string {
  return posixPath.replaceAll('/', '\\');
}

describe('createDifferencingDisk: the child of each kind of parent', () => {
  let folder: { path: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    folder = await tempDir('vhd-diff-create-');
  });
  afterAll(() => folder.cleanup());

  const parents: { kind: string; make: (path: string) => Promise<CreatedDisk>; blockSize: number }[] = [
    { kind: 'dynamic, 4 MiB, 2 MiB blocks', make: (path) => createDynamicDisk(path, 4 * MiB), blockSize: 2 * MiB },
    { kind: 'dynamic, odd size, 512 KiB blocks', make: (path) => createDynamicDisk(path, 5 * MiB + 3 * 512, { blockSize: 512 * 1024 }), blockSize: 512 * 1024 },
    { kind: 'fixed, 3 MiB', make: (path) => createFixedDisk(path, 3 * MiB), blockSize: 2 * MiB },
    { kind: 'dynamic, 2040 GiB (a 4 MiB BAT)', make: (path) => createDynamicDisk(path, 2040 * 1024 * MiB), blockSize: 2 * MiB },
  ];

  it.each(parents)('$kind', async ({ make, blockSize }) => {
    const dir = join(folder.path, `p${Math.random().toString(16).slice(2)}`);
    await mkdir(dir);
    const parentPath = join(dir, 'parent.vhd');
    const parent = await make(parentPath);
    const before = await fingerprint(parentPath);

    const childPath = join(dir, 'child.vhd');
    const created = await createDifferencingDisk(childPath, parentPath, { now: NOW, uniqueId: CHILD_ID });

    await expectWindowsLayoutChild(childPath, parentPath, '.\\parent.vhd', blockSize);
    expect(await fingerprint(parentPath)).toEqual(before);
    expect(await listFolder(dir)).toEqual(['child.vhd', 'parent.vhd']);
    expect(created).toEqual({
      path: childPath,
      diskType: 'differencing',
      virtualSize: parent.virtualSize,
      fileSize: (await stat(childPath)).size,
      blockSize,
      uniqueId: CHILD_ID,
      uniqueIdText: idText(CHILD_ID),
      parent: {
        path: parentPath,
        uniqueIdText: idText(parent.uniqueId),
        locators: [
          { platformCode: 'W2ku', path: windowsStyle(parentPath) },
          { platformCode: 'W2ru', path: '.\\parent.vhd' },
        ],
      },
    });

    // The package's own reader agrees with the byte-level check.
    const metadata = await readImageMetadata(childPath, { strict: true });
    expect(metadata.problems).toEqual([]);
    expect(metadata.footer.diskType).toBe(4);
    expect(metadata.footer.uniqueId).toEqual(CHILD_ID);
    expect(metadata.footer.currentSize).toBe(parent.virtualSize);
    expect(metadata.header?.parentUniqueId).toEqual(parent.uniqueId);
    expect(metadata.header?.blockSize).toBe(blockSize);
    expect(metadata.bat?.length).toBe(Math.ceil(parent.virtualSize / blockSize));
    expect(metadata.bat?.every((entry) => entry === 0xffffffff)).toBe(true);
    expect(metadata.parentLocatorPaths).toEqual(created.parent?.locators);
  });

  it('a grandchild: the child of a differencing image inherits its block size and points at it', async () => {
    const dir = join(folder.path, 'chain');
    await mkdir(dir);
    await createDynamicDisk(join(dir, 'base.vhd'), 6 * MiB, { blockSize: 1 * MiB });
    const child = await createDifferencingDisk(join(dir, 'child.vhd'), join(dir, 'base.vhd'));
    const before = await fingerprint(join(dir, 'child.vhd'));
    const grandchild = await createDifferencingDisk(join(dir, 'grandchild.vhd'), join(dir, 'child.vhd'), { now: NOW, uniqueId: CHILD_ID });

    await expectWindowsLayoutChild(join(dir, 'grandchild.vhd'), join(dir, 'child.vhd'), '.\\child.vhd', 1 * MiB);
    expect(grandchild.parent?.uniqueIdText).toBe(child.uniqueIdText);
    expect(await fingerprint(join(dir, 'child.vhd'))).toEqual(before);
  });

  it('accepts already-read parent metadata and writes the same bytes as from the path', async () => {
    const dir = join(folder.path, 'metadata');
    await mkdir(dir);
    const parentPath = join(dir, 'p.vhd');
    await createDynamicDisk(parentPath, 4 * MiB);
    const metadata = await readImageMetadata(parentPath);
    await createDifferencingDisk(join(dir, 'a.vhd'), metadata, { now: NOW, uniqueId: CHILD_ID });
    await createDifferencingDisk(join(dir, 'b.vhd'), parentPath, { now: NOW, uniqueId: CHILD_ID });
    expect(Buffer.from(await readBytes(join(dir, 'a.vhd'))).equals(Buffer.from(await readBytes(join(dir, 'b.vhd'))))).toBe(true);
  });

  it.each([
    ['parent in a subfolder of the child\'s folder', 'base/p.vhd', 'c.vhd', '.\\base\\p.vhd'],
    ['parent one folder up', 'p.vhd', 'kids/c.vhd', '..\\p.vhd'],
    ['parent in a sibling folder', 'base/p.vhd', 'kids/c.vhd', '..\\base\\p.vhd'],
  ])('relative locator: %s', async (_label, parentRelative, childRelative, expectedRelative) => {
    const dir = join(folder.path, `rel${Math.random().toString(16).slice(2)}`);
    await mkdir(join(dir, 'base'), { recursive: true });
    await mkdir(join(dir, 'kids'));
    const parentPath = join(dir, parentRelative);
    await createDynamicDisk(parentPath, 3 * MiB);
    const created = await createDifferencingDisk(join(dir, childRelative), parentPath, { now: NOW, uniqueId: CHILD_ID });
    expect(created.parent?.locators).toEqual([
      { platformCode: 'W2ku', path: windowsStyle(parentPath) },
      { platformCode: 'W2ru', path: expectedRelative },
    ]);
    await expectWindowsLayoutChild(join(dir, childRelative), parentPath, expectedRelative, 2 * MiB);
    const metadata = await readImageMetadata(join(dir, childRelative));
    expect(metadata.parentLocatorPaths).toEqual(created.parent?.locators);
  });

  it('leaves the parent\'s access time alone (O_NOATIME) as well as its bytes and modification time', async () => {
    const dir = join(folder.path, 'atime');
    await mkdir(dir);
    const parentPath = join(dir, 'p.vhd');
    await createDynamicDisk(parentPath, 3 * MiB);
    // An access time older than the modification time is one that a relatime mount would update on any read.
    await utimes(parentPath, new Date('2001-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
    const before = await stat(parentPath);
    await createDifferencingDisk(join(dir, 'c.vhd'), parentPath);
    const after = await stat(parentPath);
    expect(after.atimeMs).toBe(before.atimeMs);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.ctimeMs).toBe(before.ctimeMs);
    const header = rawHeader((await readBytes(join(dir, 'c.vhd'))).subarray(512, 1536));
    expect(header.parentTimestamp).toBe(vhdSeconds(new Date('2020-01-01T00:00:00Z')));
  });

  it('a parent last modified before 2000 is recorded with parent timestamp 0', async () => {
    const dir = join(folder.path, 'old-parent');
    await mkdir(dir);
    await createFixedDisk(join(dir, 'p.vhd'), MiB);
    await utimes(join(dir, 'p.vhd'), new Date('1995-05-05T00:00:00Z'), new Date('1995-05-05T00:00:00Z'));
    await createDifferencingDisk(join(dir, 'c.vhd'), join(dir, 'p.vhd'));
    expect(rawHeader((await readBytes(join(dir, 'c.vhd'))).subarray(512, 1536)).parentTimestamp).toBe(0);
  });

  it('writes only W2ku when child and parent are on different roots (Windows drive letters)', async () => {
    const dir = join(folder.path, 'roots');
    await mkdir(dir);
    const parentPath = join(dir, 'p.vhd');
    await createDynamicDisk(parentPath, 4 * MiB);
    const metadata = { ...(await readImageMetadata(parentPath)), path: 'D:\\base\\p.vhd' };
    const plan = planDifferencingChild('C:\\vms\\c.vhd', metadata, { now: NOW, uniqueId: CHILD_ID });
    expect(plan.created.parent?.locators).toEqual([{ platformCode: 'W2ku', path: 'D:\\base\\p.vhd' }]);

    // Written out, the child has the W2ku region and the BAT, and nothing where W2ru would be.
    const childPath = join(dir, 'c.vhd');
    await writeImageFile(childPath, plan.file);
    const bytes = await readBytes(childPath);
    const header = rawHeader(bytes.subarray(512, 1536));
    expect(header.locators[0]).toEqual({ platformCode: 'W2ku', dataSpace: 4096, dataLength: 26, reserved: 0, dataOffset: 4096 });
    expect(header.locators.slice(1).every((entry) => entry.dataOffset === 0 && entry.platformCode === '\0\0\0\0')).toBe(true);
    expect(header.tableOffset).toBe(8192);
    expect(utf16le(bytes.subarray(4096, 4096 + 26))).toBe('D:\\base\\p.vhd');
    expect(bytes.length).toBe(roundUp(8192 + 4096 + 512, 4096));
    expect(rawFooter(bytes.subarray(bytes.length - 512)).diskType).toBe(4);
  });
});

describe('createDifferencingDisk: refusals', () => {
  let folder: { path: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    folder = await tempDir('vhd-diff-refuse-');
  });
  afterAll(() => folder.cleanup());

  it('a parent that is not a VHD: NOT_A_VHD with the format error as the cause, and no child', async () => {
    const dir = join(folder.path, 'not-vhd');
    await mkdir(dir);
    await writeFile(join(dir, 'notes.txt'), 'x'.repeat(5000));
    const error = await expectVhdIoError(createDifferencingDisk(join(dir, 'c.vhd'), join(dir, 'notes.txt')), 'NOT_A_VHD');
    expect(error.cause).toBeInstanceOf(VhdFormatError);
    expect(error.message).toMatch(/not a valid VHD/);
    expect(await listFolder(dir)).toEqual(['notes.txt']);
  });

  it('a missing parent: IO with the Node error (ENOENT) as the cause', async () => {
    const error = await expectVhdIoError(createDifferencingDisk(join(folder.path, 'c.vhd'), join(folder.path, 'missing.vhd')), 'IO');
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect(await listFolder(folder.path)).not.toContain('c.vhd');
  });

  it('a damaged parent (bad footer checksum): CORRUPT, and no child', async () => {
    const dir = join(folder.path, 'damaged');
    await mkdir(dir);
    await createDynamicDisk(join(dir, 'p.vhd'), 3 * MiB);
    const bytes = await readBytes(join(dir, 'p.vhd'));
    bytes[bytes.length - 512 + 64] ^= 0x01; // checksum of the trailing footer
    bytes[64] ^= 0x01; // and of the copy, so there is no intact footer to fall back on
    await writeFile(join(dir, 'p.vhd'), bytes);
    await expectVhdIoError(createDifferencingDisk(join(dir, 'c.vhd'), join(dir, 'p.vhd')), 'CORRUPT');
    expect(await listFolder(dir)).toEqual(['p.vhd']);
  });

  it('a destination folder that does not exist: IO (ENOENT)', async () => {
    await createDynamicDisk(join(folder.path, 'p.vhd'), 3 * MiB);
    const error = await expectVhdIoError(createDifferencingDisk(join(folder.path, 'nowhere', 'c.vhd'), join(folder.path, 'p.vhd')), 'IO');
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('the parent itself as the destination: ALREADY_EXISTS, parent untouched', async () => {
    await createDynamicDisk(join(folder.path, 'self.vhd'), 3 * MiB);
    const before = await fingerprint(join(folder.path, 'self.vhd'));
    await expectVhdIoError(createDifferencingDisk(join(folder.path, 'self.vhd'), join(folder.path, 'self.vhd')), 'ALREADY_EXISTS');
    expect(await fingerprint(join(folder.path, 'self.vhd'))).toEqual(before);
  });

  it('a POSIX parent path containing a backslash: UNSUPPORTED (a locator could not express it)', async () => {
    const dir = join(folder.path, 'odd\\name');
    await mkdir(dir);
    await createDynamicDisk(join(dir, 'p.vhd'), 3 * MiB);
    await expectVhdIoError(createDifferencingDisk(join(folder.path, 'c2.vhd'), join(dir, 'p.vhd')), 'UNSUPPORTED');
    expect(await listFolder(folder.path)).not.toContain('c2.vhd');
  });

  it('a unique id that is not 16 bytes: UNSUPPORTED', async () => {
    await createDynamicDisk(join(folder.path, 'p2.vhd'), 3 * MiB);
    await expectVhdIoError(createDifferencingDisk(join(folder.path, 'c3.vhd'), join(folder.path, 'p2.vhd'), { uniqueId: new Uint8Array(15) }), 'UNSUPPORTED');
  });
});
