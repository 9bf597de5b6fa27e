import { spawnSync } from 'node:child_process';
import { chmod, mkdir, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VhdFormatError, encodeDynamicHeader, encodeFooter, decodeDynamicHeader, decodeFooter } from '@vhdkit/vhd-format';
import { sharedFixturePath, sharedFixtures, tempDir } from '@vhdkit/test-support';
import { createDifferencingDisk, createDynamicDisk, createFixedDisk, readImageMetadata, undecodedMetadataBat } from '../src/index.js';
import { readBytes } from './create-support.js';
import { expectVhdIoError } from './helpers/disk-io.js';

const MiB = 1024 * 1024;
const shared = sharedFixtures();

function idText(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

let folder: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  folder = await tempDir('vhd-diff-metadata-');
});
afterAll(() => folder.cleanup());

const facts = (file: string) => shared.facts.find((fact) => fact.file === file)!;

describe.skipIf(!shared.available)('readImageMetadata on real images', () => {
  it('the Windows-made child: footer, header, locators and BAT as measured', async () => {
    const fact = facts('dfvfs-fat-differential.vhd');
    const metadata = await readImageMetadata(sharedFixturePath(fact.file));
    expect(metadata.path).toBe(sharedFixturePath(fact.file));
    expect(metadata.fileSize).toBe(fact.fileSize);
    expect(metadata.problems).toEqual([]);
    expect(metadata.footer).toMatchObject({
      creatorApplication: fact.creatorApplication,
      creatorHostOs: fact.creatorHostOs,
      currentSize: fact.currentSize,
      originalSize: fact.originalSize,
      geometry: fact.geometry,
      diskType: 4,
      timestamp: fact.timestamp,
      dataOffset: 512n,
    });
    expect(idText(metadata.footer.uniqueId)).toBe(fact.uniqueId);
    expect(metadata.header).toMatchObject({
      tableOffset: fact.tableOffset,
      maxTableEntries: fact.maxTableEntries,
      blockSize: fact.blockSize,
      parentTimestamp: fact.parentTimestamp,
      parentUnicodeName: fact.parentUnicodeName,
    });
    expect(idText(metadata.header!.parentUniqueId)).toBe(fact.parentUniqueId);
    expect(metadata.parentLocatorPaths).toEqual(fact.parentLocators!.map(({ platformCode, path }) => ({ platformCode, path })));
    expect(metadata.bat?.length).toBe(fact.maxTableEntries);
    expect(Array.from(metadata.bat!).filter((entry) => entry !== 0xffffffff)).toHaveLength(fact.allocatedBlocks!);
  });

  it('a QEMU-made dynamic image', async () => {
    const fact = facts('dfvfs-ext2.vhd');
    const metadata = await readImageMetadata(sharedFixturePath(fact.file), { strict: true });
    expect(metadata.footer.diskType).toBe(3);
    expect(metadata.footer.currentSize).toBe(fact.currentSize);
    expect(metadata.header?.tableOffset).toBe(fact.tableOffset);
    expect(metadata.parentLocatorPaths).toEqual([]);
    expect(Array.from(metadata.bat!).filter((entry) => entry !== 0xffffffff)).toHaveLength(fact.allocatedBlocks!);
  });

  it('bad checksums: recorded as problems by default, NOT_A_VHD with the format error when strict', async () => {
    const path = sharedFixturePath('dfvfs-image-differential.vhd');
    const lenient = await readImageMetadata(path);
    expect(lenient.footer.diskType).toBe(4);
    expect(lenient.header?.parentUnicodeName).toBe(facts('dfvfs-image-differential.vhd').parentUnicodeName);
    const codes = lenient.problems.map((problem) => problem.code);
    expect(codes.filter((code) => code === 'BAD_CHECKSUM').length).toBeGreaterThanOrEqual(2);
    expect(lenient.problems.every((problem) => problem.message.length > 0)).toBe(true);

    const error = await expectVhdIoError(readImageMetadata(path, { strict: true }));
    expect(error.code).toBe('NOT_A_VHD');
    expect(error.cause).toBeInstanceOf(VhdFormatError);
    expect((error.cause as VhdFormatError).code).toBe('BAD_CHECKSUM');
  });
});

async function withPatchedHeader(name: string, patch: (header: ReturnType<typeof decodeDynamicHeader>) => void): Promise<string> {
  const path = join(folder.path, name);
  await createDynamicDisk(path, 4 * MiB);
  const bytes = await readBytes(path);
  const header = decodeDynamicHeader(bytes.subarray(512, 1536));
  patch(header);
  bytes.set(encodeDynamicHeader(header), 512);
  await writeFile(path, bytes);
  return path;
}

describe('readImageMetadata: damage and non-VHDs', () => {
  it('a file that is not a VHD: NOT_A_VHD, the format error as cause, a message that says so', async () => {
    const path = join(folder.path, 'text.vhd');
    await writeFile(path, 'hello '.repeat(1000));
    const error = await expectVhdIoError(readImageMetadata(path));
    expect(error.code).toBe('NOT_A_VHD');
    expect(error.path).toBe(path);
    expect(error.cause).toBeInstanceOf(VhdFormatError);
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/not a valid VHD/);
  });

  it('a file shorter than a footer: NOT_A_VHD', async () => {
    const path = join(folder.path, 'tiny.vhd');
    await writeFile(path, new Uint8Array(100));
    const error = await expectVhdIoError(readImageMetadata(path));
    expect(error.code).toBe('NOT_A_VHD');
    expect(error.message).toMatch(/shorter than a VHD footer/);
  });

  it('a folder: NOT_A_VHD', async () => {
    const error = await expectVhdIoError(readImageMetadata(folder.path));
    expect(error.code).toBe('NOT_A_VHD');
  });

  it('a missing file: IO with the Node error as cause (errno kept)', async () => {
    const error = await expectVhdIoError(readImageMetadata(join(folder.path, 'missing.vhd')));
    expect(error.code).toBe('IO');
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('an old Virtual PC 511-byte footer at the end is accepted', async () => {
    const path = join(folder.path, 'short-footer.vhd');
    await createFixedDisk(path, 3 * MiB);
    const whole = await readImageMetadata(path);
    await truncate(path, 3 * MiB + 511);
    const short = await readImageMetadata(path, { strict: true });
    expect(short.footer.uniqueId).toEqual(whole.footer.uniqueId);
    expect(short.footer.currentSize).toBe(3 * MiB);
    expect(short.problems).toEqual([]);
  });

  it('a damaged trailing footer: the copy at offset 0 is used and the damage recorded; strict refuses', async () => {
    const path = join(folder.path, 'damaged-end.vhd');
    const created = await createDynamicDisk(path, 4 * MiB);
    const bytes = await readBytes(path);
    bytes.fill(0, bytes.length - 512, bytes.length - 504); // wipe the trailing cookie
    await writeFile(path, bytes);
    const metadata = await readImageMetadata(path);
    expect(metadata.footer.uniqueId).toEqual(created.uniqueId);
    expect(metadata.header?.maxTableEntries).toBe(2);
    expect(metadata.problems).toHaveLength(1);
    expect(metadata.problems[0]).toMatchObject({ severity: 'error', offset: bytes.length - 512 });
    expect(metadata.problems[0]!.message).toMatch(/copy at offset 0/);
    expect((await expectVhdIoError(readImageMetadata(path, { strict: true }))).code).toBe('NOT_A_VHD');
  });

  it('a trailing footer with a bad checksum but an intact copy: the copy is used', async () => {
    const path = join(folder.path, 'bad-checksum-end.vhd');
    const created = await createDynamicDisk(path, 4 * MiB);
    const bytes = await readBytes(path);
    bytes[bytes.length - 512 + 30] ^= 0xff; // inside the creator application: checksum no longer matches
    await writeFile(path, bytes);
    const metadata = await readImageMetadata(path);
    expect(metadata.footer.creatorApplication).toBe('vhdk');
    expect(metadata.footer.uniqueId).toEqual(created.uniqueId);
    expect(metadata.problems.map((problem) => problem.code)).toEqual(['BAD_CHECKSUM']);
  });

  it('a BAT beyond the end of the file: CORRUPT, before allocating a table for it', async () => {
    const path = await withPatchedHeader('huge-bat.vhd', (header) => {
      header.maxTableEntries = 0xfffffff0; // a 16 GiB table, in a 4 KiB file
    });
    const error = await expectVhdIoError(readImageMetadata(path));
    expect(error.code).toBe('CORRUPT');
    expect(error.message).toMatch(/exceed the limit/);
    // Without the BAT the header itself is still readable.
    expect((await readImageMetadata(path, { bat: false })).header?.maxTableEntries).toBe(0xfffffff0);
  });

  it('a BAT too small for the disk size: CORRUPT wherever the BAT is read; recorded when it is not', async () => {
    const path = await withPatchedHeader('short-bat.vhd', (header) => {
      header.maxTableEntries = 1;
    });
    for (const strict of [false, true]) {
      const error = await expectVhdIoError(readImageMetadata(path, { strict }));
      expect(error.code).toBe('CORRUPT');
      expect(error.message).toMatch(/the BAT has 1 entries, but a 4194304-byte disk with 2097152-byte blocks needs 2/);
    }
    const metadata = await readImageMetadata(path, { bat: false });
    expect(metadata.problems.map((problem) => problem.code)).toEqual(['TABLE_OUT_OF_RANGE']);
    expect(metadata.header?.maxTableEntries).toBe(1);
  });

  it('a parent locator pointing outside the file: recorded (lenient) or CORRUPT (strict)', async () => {
    const dir = join(folder.path, 'bad-locator');
    await mkdir(dir);
    await createDynamicDisk(join(dir, 'p.vhd'), 3 * MiB);
    await createDifferencingDisk(join(dir, 'c.vhd'), join(dir, 'p.vhd'));
    const bytes = await readBytes(join(dir, 'c.vhd'));
    const header = decodeDynamicHeader(bytes.subarray(512, 1536));
    header.parentLocators[1]!.platformDataOffset = 10 * MiB;
    bytes.set(encodeDynamicHeader(header), 512);
    await writeFile(join(dir, 'c.vhd'), bytes);
    const metadata = await readImageMetadata(join(dir, 'c.vhd'));
    expect(metadata.parentLocatorPaths.map((locator) => locator.platformCode)).toEqual(['W2ku']);
    expect(metadata.problems.map((problem) => problem.code)).toEqual(['BAD_LOCATOR']);
    expect((await expectVhdIoError(readImageMetadata(join(dir, 'c.vhd'), { strict: true }))).code).toBe('CORRUPT');
  });

  it('a header placed outside the file: CORRUPT', async () => {
    const path = join(folder.path, 'far-header.vhd');
    await createDynamicDisk(path, 4 * MiB);
    const bytes = await readBytes(path);
    const footer = decodeFooter(bytes.subarray(bytes.length - 512));
    footer.dataOffset = 1n << 40n;
    const encoded = encodeFooter(footer);
    bytes.set(encoded, 0);
    bytes.set(encoded, bytes.length - 512);
    await writeFile(path, bytes);
    const error = await expectVhdIoError(readImageMetadata(path));
    expect(error.code).toBe('CORRUPT');
    expect(error.message).toMatch(/outside/);
  });

  it('{ bat: false } skips the table', async () => {
    const path = join(folder.path, 'no-bat.vhd');
    await createDynamicDisk(path, 4 * MiB);
    const metadata = await readImageMetadata(path, { bat: false });
    expect(metadata.header).toBeDefined();
    expect(metadata.bat).toBeUndefined();
  });

  it('reading changes neither the bytes nor any time of the file', async () => {
    const path = join(folder.path, 'times.vhd');
    await createDynamicDisk(path, 4 * MiB);
    await utimes(path, new Date('2001-01-01T00:00:00Z'), new Date('2021-06-01T12:00:00Z'));
    const before = await stat(path);
    const metadata = await readImageMetadata(path);
    const after = await stat(path);
    expect([after.atimeMs, after.mtimeMs, after.ctimeMs]).toEqual([before.atimeMs, before.mtimeMs, before.ctimeMs]);
    expect(metadata.mtime.getTime()).toBe(new Date('2021-06-01T12:00:00Z').getTime());
  });

  it('a reader who does not own the file (O_NOATIME refused) still reads it, read-only', async () => {
    // Linux allows O_NOATIME only to the owner; run the reader as "nobody" on a file root owns.
    expect(process.getuid?.(), 'this test switches to uid 65534 and must run as root').toBe(0);
    const dir = join(folder.path, 'not-owner');
    await mkdir(dir);
    await chmod(folder.path, 0o755);
    await chmod(dir, 0o755);
    const path = join(dir, 'p.vhd');
    const created = await createDynamicDisk(path, 3 * MiB);
    const entry = resolve(fileURLToPath(import.meta.url), '../../dist/index.js');
    const script = `import { readImageMetadata } from ${JSON.stringify(entry)};
      const metadata = await readImageMetadata(process.argv[1]);
      console.log(JSON.stringify({ size: metadata.footer.currentSize, entries: metadata.bat.length, problems: metadata.problems.length }));`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script, path], { uid: 65534, gid: 65534, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ size: created.virtualSize, entries: 2, problems: 0 });
  });
});

describe('undecodedMetadataBat: the table as stored while metadata.bat is still undecoded', () => {
  it('gives the stored words until the table is decoded or metadata.bat is assigned; nothing without a table', async () => {
    const path = join(folder.path, 'undecoded.vhd');
    await createDynamicDisk(path, 4 * MiB);
    const read = await readImageMetadata(path);
    const stored = undecodedMetadataBat(read);
    expect(Array.from(stored!)).toEqual([0xffffffff, 0xffffffff]);
    expect(Array.from(read.bat!)).toEqual([0xffffffff, 0xffffffff]); // decodes it
    expect(undecodedMetadataBat(read)).toBeUndefined();

    const replaced = await readImageMetadata(path);
    const table = Uint32Array.of(7, 0xffffffff);
    replaced.bat = table;
    expect(undecodedMetadataBat(replaced)).toBeUndefined(); // the image's table is still undecoded, but it is not metadata.bat
    expect(replaced.bat).toBe(table);

    expect(undecodedMetadataBat(await readImageMetadata(path, { bat: false }))).toBeUndefined();
    await createFixedDisk(join(folder.path, 'undecoded-fixed.vhd'), 3 * MiB);
    expect(undecodedMetadataBat(await readImageMetadata(join(folder.path, 'undecoded-fixed.vhd')))).toBeUndefined();
  });
});
