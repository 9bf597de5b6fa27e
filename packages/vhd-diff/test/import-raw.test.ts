import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { open, readFile, stat, writeFile } from 'node:fs/promises';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { testFolder } from '@vhdkit/test-support';
import { VhdIoError, check, importRaw, openDisk } from '../src/index.js';
import type { ImportOptions } from '../src/index.js';
import { listFolder, rawFooter, readTail } from './create-support.js';
import { KiB, MiB, rawLayout } from './helpers/chain-images.js';
import { paddedTo, pyvhdiContent, qemuContent, readers, readersMissing, sevenZipContent } from './helpers/independent-readers.js';

const folder = testFolder('vhdkit-import-');

/** A raw disk of `length` bytes: random bytes in `ranges` ([start, end)), zeros elsewhere. */
function rawDisk(length: number, ranges: [number, number][]): Buffer {
  const bytes = Buffer.alloc(length);
  for (const [start, end] of ranges) randomBytes(end - start).copy(bytes, start);
  return bytes;
}

/** Odd length (not whole sectors); a zero stretch covering whole blocks of 512 KiB and 2 MiB. */
const ODD = rawDisk(5 * MiB + 3077, [[0, 1536 * KiB + 5], [4 * MiB + 100, 5 * MiB + 3077]]);

/** Blocks of `blockSize` holding a non-zero byte: what a dynamic import must store, no more. */
function nonZeroBlocks(raw: Uint8Array, blockSize: number): number {
  let count = 0;
  for (let start = 0; start < raw.length; start += blockSize) if (raw.subarray(start, start + blockSize).some((byte) => byte !== 0)) count++;
  return count;
}

/** The file size of a packed dynamic image, from the specification's sizes: footer copy, header, BAT, blocks, footer. */
function packedFileSize(virtualSize: number, blockSize: number, blocks: number): number {
  const entries = Math.ceil(virtualSize / blockSize);
  const bitmapBytes = Math.ceil(blockSize / 512 / 8 / 512) * 512;
  return 512 + 1024 + Math.ceil((entries * 4) / 512) * 512 + blocks * (bitmapBytes + blockSize) + 512;
}

async function writeRaw(bytes: Uint8Array): Promise<string> {
  const path = folder.nextPath('disk.raw');
  await writeFile(path, bytes);
  return path;
}

/** A sparse file: `length` bytes, mostly a hole, with random bytes written at `offsets`. */
async function sparseRaw(length: number, offsets: number[]): Promise<{ path: string; bytes: Buffer }> {
  const path = folder.nextPath('sparse.raw');
  const bytes = Buffer.alloc(length);
  const handle = await open(path, 'w');
  try {
    await handle.truncate(length);
    for (const offset of offsets) {
      const piece = randomBytes(700);
      piece.copy(bytes, offset);
      await handle.write(piece, 0, piece.length, offset);
    }
  } finally {
    await handle.close();
  }
  return { path, bytes };
}

/** A child process's stdout: a real pipe, of a length the importer cannot know. */
function pipeOf(path: string): Readable {
  const child = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'inherit'] });
  return child.stdout;
}

async function expectReadersSee(imagePath: string, expected: Buffer): Promise<void> {
  expect((await qemuContent(imagePath, `${imagePath}.qemu.raw`)).equals(expected)).toBe(true);
  expect(sevenZipContent(imagePath).equals(expected)).toBe(true);
  expect(pyvhdiContent(imagePath).equals(expected)).toBe(true);
  const report = await check(imagePath);
  expect(report.issues).toEqual([]);
}

describe.skipIf(readersMissing)('a raw disk imported, read back by QEMU, 7-Zip and libvhdi', { timeout: 60_000 }, () => {
  const virtualSize = Math.ceil(ODD.length / 512) * 512;

  it.each([
    ['dynamic, 2 MiB blocks', { type: 'dynamic' }, 2 * MiB],
    ['dynamic, 512 KiB blocks', { type: 'dynamic', blockSize: 512 * KiB }, 512 * KiB],
  ] as const)('%s: the same bytes, only the non-zero blocks stored, the BAT before them', async (_name, options, blockSize) => {
    const source = await writeRaw(ODD);
    const imagePath = folder.nextPath('odd.vhd');
    const imported = await importRaw(source, imagePath, options);
    const stored = nonZeroBlocks(ODD, blockSize);
    expect(stored).toBeLessThan(Math.ceil(ODD.length / blockSize));
    expect(imported).toMatchObject({ diskType: 'dynamic', virtualSize, sourceBytes: ODD.length, storedBlocks: stored, blockSize });
    expect((await stat(imagePath)).size).toBe(packedFileSize(virtualSize, blockSize, stored));
    expect(imported.fileSize).toBe(packedFileSize(virtualSize, blockSize, stored));
    const layout = await rawLayout(imagePath);
    expect(layout.tableOffset).toBe(1536);
    expect(layout.bat.filter((entry) => entry !== 0xffffffff)).toHaveLength(stored);
    await expectReadersSee(imagePath, paddedTo(ODD, virtualSize));
  });

  it('fixed: the bytes, zero padding to a whole sector, then the footer', async () => {
    const source = await writeRaw(ODD);
    const imagePath = folder.nextPath('odd-fixed.vhd');
    const imported = await importRaw(source, imagePath, { type: 'fixed' });
    expect(imported).toMatchObject({ diskType: 'fixed', virtualSize, fileSize: virtualSize + 512, sourceBytes: ODD.length });
    expect((await stat(imagePath)).size).toBe(virtualSize + 512);
    const footer = rawFooter(await readTail(imagePath, 512));
    expect(footer).toMatchObject({ cookie: 'conectix', diskType: 2, currentSize: virtualSize, originalSize: virtualSize, checksumValid: true });
    await expectReadersSee(imagePath, paddedTo(ODD, virtualSize));
  });

  it.each(['dynamic', 'fixed'] as const)('a sparse 24 MiB file as %s: three stored blocks, or holes', async (type) => {
    const { path, bytes } = await sparseRaw(24 * MiB, [5, 10 * MiB + 4000, 24 * MiB - 700]);
    const imagePath = folder.nextPath(`sparse-${type}.vhd`);
    const imported = await importRaw(path, imagePath, { type });
    expect(imported.virtualSize).toBe(24 * MiB);
    if (type === 'dynamic') {
      expect(imported.storedBlocks).toBe(3);
      expect((await stat(imagePath)).size).toBe(packedFileSize(24 * MiB, 2 * MiB, 3));
    } else {
      // Only the three 2 MiB chunks holding data and the footer were written; the rest is a hole.
      expect((await stat(imagePath)).blocks * 512).toBeLessThanOrEqual(3 * 2 * MiB + 4 * KiB);
    }
    await expectReadersSee(imagePath, bytes);
  });
});

describe.skipIf(readersMissing)('from a pipe', { timeout: 60_000 }, () => {
  it('of unknown length: the BAT follows the blocks; every reader sees what the file import gives', async () => {
    const source = await writeRaw(ODD);
    const fromFile = folder.nextPath('file.vhd');
    const fromPipe = folder.nextPath('pipe.vhd');
    await importRaw(source, fromFile, { type: 'dynamic' });
    const piped = await importRaw(pipeOf(source), fromPipe, { type: 'dynamic' });
    const stored = nonZeroBlocks(ODD, 2 * MiB);
    expect(piped).toMatchObject({ virtualSize: Math.ceil(ODD.length / 512) * 512, sourceBytes: ODD.length, storedBlocks: stored });
    const layout = await rawLayout(fromPipe);
    expect(layout.tableOffset).toBe(1536 + stored * (512 + 2 * MiB));
    expect(layout.fileSize).toBe(packedFileSize(piped.virtualSize, 2 * MiB, stored));
    const expected = paddedTo(ODD, piped.virtualSize);
    await expectReadersSee(fromPipe, expected);
    const disk = await openDisk(fromFile);
    const fileContent = Buffer.alloc(disk.virtualSize);
    await disk.read(fileContent, 0);
    await disk.close();
    expect(fileContent.equals(expected)).toBe(true);
  });

  it.each(['dynamic', 'fixed'] as const)('with a size given, %s: byte for byte the file import (same id and time)', async (type) => {
    const source = await writeRaw(ODD);
    const same = { type, uniqueId: randomBytes(16), now: new Date('2026-01-02T03:04:05Z') } satisfies ImportOptions;
    const fromFile = folder.nextPath('file.vhd');
    const fromPipe = folder.nextPath('pipe.vhd');
    await importRaw(source, fromFile, same);
    await importRaw(pipeOf(source), fromPipe, { ...same, size: ODD.length });
    expect((await readFile(fromPipe)).equals(await readFile(fromFile))).toBe(true);
  });

  it('a Node Readable of small, unaligned chunks', async () => {
    const pieces = Array.from({ length: Math.ceil(ODD.length / 77_777) }, (_, index) => ODD.subarray(index * 77_777, (index + 1) * 77_777));
    const imagePath = folder.nextPath('chunks.vhd');
    const imported = await importRaw(Readable.from(pieces), imagePath, { type: 'dynamic', blockSize: 512 * KiB });
    expect(imported.storedBlocks).toBe(nonZeroBlocks(ODD, 512 * KiB));
    await expectReadersSee(imagePath, paddedTo(ODD, imported.virtualSize));
  });
});

describe.skipIf(!readers.sevenZip.available)('--azure', () => {
  it('fixed, the virtual size rounded up to a whole MiB, the padding zeros, current size = original size = that size', async () => {
    const source = await writeRaw(ODD);
    const imagePath = folder.nextPath('azure.vhd');
    const imported = await importRaw(source, imagePath, { type: 'fixed', azure: true });
    expect(imported.virtualSize).toBe(6 * MiB);
    expect((await stat(imagePath)).size).toBe(6 * MiB + 512);
    const footer = rawFooter(await readTail(imagePath, 512));
    expect(footer).toMatchObject({ diskType: 2, currentSize: 6 * MiB, originalSize: 6 * MiB, checksumValid: true });
    expect(sevenZipContent(imagePath).equals(paddedTo(ODD, 6 * MiB))).toBe(true);
  });

  it('with a size: rounded up to a whole MiB as well', async () => {
    const imported = await importRaw(Readable.from([Buffer.from('boot')]), folder.nextPath('azure-size.vhd'), { type: 'fixed', azure: true, size: 3 * MiB + 1 });
    expect(imported.virtualSize).toBe(4 * MiB);
  });

  it('refuses a dynamic image (Azure takes fixed ones only)', async () => {
    await expect(importRaw(await writeRaw(ODD), folder.nextPath('azure-dyn.vhd'), { type: 'dynamic', azure: true })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });
});

/** Runs a failing import in a fresh folder: the error is a VhdIoError with `code`, and nothing but sources is left. */
async function expectNothingLeft(case_: (folderPath: string) => Promise<unknown>, code: string): Promise<void> {
  const caseFolder = await folder.nextFolder();
  const error = await case_(caseFolder).then(() => undefined, (thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(VhdIoError);
  expect((error as VhdIoError).code).toBe(code);
  expect((await listFolder(caseFolder)).filter((name) => !name.endsWith('.raw'))).toEqual([]);
}

describe('failures: a typed error and no file', () => {
  it('a file longer than the size asked for', async () => {
    const source = await writeRaw(ODD);
    await expectNothingLeft((at) => importRaw(source, `${at}/x.vhd`, { type: 'dynamic', size: 4 * MiB }), 'SIZE_TOO_SMALL');
  });

  it('a pipe longer than the size asked for (found while reading)', async () => {
    const source = await writeRaw(ODD);
    await expectNothingLeft((at) => importRaw(pipeOf(source), `${at}/x.vhd`, { type: 'fixed', size: 3 * MiB }), 'SIZE_TOO_SMALL');
  });

  it('an empty source', async () => {
    await expectNothingLeft((at) => importRaw(Readable.from([]), `${at}/x.vhd`, { type: 'dynamic' }), 'SIZE_TOO_SMALL');
    const empty = await writeRaw(new Uint8Array(0));
    await expectNothingLeft((at) => importRaw(empty, `${at}/x.vhd`, { type: 'fixed' }), 'SIZE_TOO_SMALL');
  });

  it('an abort while reading', async () => {
    const source = await writeRaw(ODD);
    const controller = new AbortController();
    const onProgress = ({ bytesWritten }: { bytesWritten: number }) => {
      if (bytesWritten > 0) controller.abort();
    };
    await expectNothingLeft((at) => importRaw(source, `${at}/x.vhd`, { type: 'dynamic', blockSize: 512 * KiB, signal: controller.signal, onProgress }), 'ABORTED');
  });

  it('an abort from a timer stops a file import, though its reads and writes block: the event loop keeps turning', async () => {
    // A sparse 16 GiB raw file: its copy takes seconds, far more than the 50 ms between turns, so an abort landing
    // before the end shows the loop turned (without turns the import would run to its end, never yielding).
    const source = folder.nextPath('huge.raw');
    await writeFile(source, new Uint8Array(0));
    const handle = await open(source, 'r+');
    await handle.truncate(16 * 1024 * MiB);
    await handle.close();
    const controller = new AbortController();
    let lastBytes = 0;
    const onProgress = ({ bytesWritten }: { bytesWritten: number }) => {
      if (lastBytes === 0 && bytesWritten > 0) setImmediate(() => controller.abort());
      lastBytes = bytesWritten;
    };
    await expectNothingLeft((at) => importRaw(source, `${at}/x.vhd`, { type: 'dynamic', signal: controller.signal, onProgress }), 'ABORTED');
    expect(lastBytes).toBeGreaterThan(0);
    expect(lastBytes).toBeLessThan(16 * 1024 * MiB);
  });

  it('an abort while a pipe stays open and silent: the pending read is interrupted', async () => {
    const silent = new PassThrough();
    silent.write(randomBytes(3 * MiB));
    const controller = new AbortController();
    const onProgress = ({ bytesWritten }: { bytesWritten: number }) => {
      if (bytesWritten > 0) setTimeout(() => controller.abort(), 50);
    };
    await expectNothingLeft((at) => importRaw(silent, `${at}/x.vhd`, { type: 'fixed', signal: controller.signal, onProgress }), 'ABORTED');
  });

  it('a source stream that fails', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('connection reset'));
      },
    });
    await expectNothingLeft((at) => importRaw(failing, `${at}/x.vhd`, { type: 'dynamic' }), 'IO');
  });

  it('a folder or a missing file as the source', async () => {
    await expectNothingLeft((at) => importRaw(folder.path(), `${at}/x.vhd`, { type: 'fixed' }), 'UNSUPPORTED');
    await expectNothingLeft((at) => importRaw(`${folder.path()}/missing.raw`, `${at}/x.vhd`, { type: 'fixed' }), 'IO');
  });

  it('bad options: a block size for a fixed image, a block size that is not a power of two', async () => {
    const source = await writeRaw(ODD);
    await expectNothingLeft((at) => importRaw(source, `${at}/x.vhd`, { type: 'fixed', blockSize: 2 * MiB }), 'UNSUPPORTED');
    await expectNothingLeft((at) => importRaw(source, `${at}/x.vhd`, { type: 'dynamic', blockSize: 3000 }), 'UNSUPPORTED');
  });

  it('an existing destination is left as it was', async () => {
    const source = await writeRaw(ODD);
    const existing = folder.nextPath('existing.vhd');
    await writeFile(existing, 'mine');
    await expect(importRaw(source, existing, { type: 'dynamic' })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    expect(await readFile(existing, 'utf8')).toBe('mine');
  });
});
