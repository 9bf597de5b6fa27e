import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { run, testFolder } from '@vhdkit/test-support';
import { check, createDifferencingDisk, createDynamicDisk, exportStream, exportToFile, importRaw, openDisk } from '../src/index.js';
import { listFolder, rawFooter, readTail } from './create-support.js';
import { KiB, MiB, rawLayout } from './helpers/chain-images.js';
import { pyvhdiContent, qemuContent, readers, readersMissing, sevenZipContent } from './helpers/independent-readers.js';

const folder = testFolder('vhdkit-export-');
const GiB = 1024 * MiB;
const UNUSED = 0xffffffff;

/** Blocks allocated in any of the images' BATs (read at literal offsets): what a dynamic export must store. */
async function blocksHeldByChain(paths: string[]): Promise<number> {
  const held = new Set<number>();
  for (const path of paths) (await rawLayout(path)).bat.forEach((entry, index) => entry !== UNUSED && held.add(index));
  return held.size;
}

/** Streams the export to a file and returns the bytes the stream gave. */
async function streamToFile(stream: NodeJS.ReadableStream, path: string): Promise<number> {
  let bytes = 0;
  stream.on('data', (chunk: Uint8Array) => {
    bytes += chunk.length;
  });
  await pipeline(stream, createWriteStream(path));
  return bytes;
}

describe.skipIf(readersMissing)('a chain exported as one standalone VHD', { timeout: 60_000 }, () => {
  let paths: { parent: string; child: string };
  /** The chain's content as 7-Zip reads the chain (following the child's relative locator). */
  let expected: Buffer;

  beforeAll(async () => {
    const chainFolder = await folder.nextFolder();
    const raw = Buffer.alloc(6 * MiB + 512);
    randomBytes(1 * MiB + 100).copy(raw, 0);
    randomBytes(700 * KiB).copy(raw, 4 * MiB);
    await writeFile(`${chainFolder}/base.raw`, raw);
    paths = { parent: `${chainFolder}/base.vhd`, child: `${chainFolder}/child.vhd` };
    await importRaw(`${chainFolder}/base.raw`, paths.parent, { type: 'dynamic', blockSize: 512 * KiB });
    await createDifferencingDisk(paths.child, paths.parent);
    const child = await openDisk(paths.child, { writable: true });
    await child.write(randomBytes(3000), 100); // inside a block the parent holds
    await child.write(randomBytes(5000), 2 * MiB + 1234); // a block only the child holds, unaligned
    await child.write(randomBytes(512 * KiB), 6 * MiB - 512 * KiB + 512); // the last (partial) block
    await child.close();
    expected = sevenZipContent(paths.child);
    expect(expected.length).toBe(6 * MiB + 512);
    const ours = await openDisk(paths.child);
    const read = Buffer.alloc(ours.virtualSize);
    await ours.read(read, 0);
    await ours.close();
    expect(read.equals(expected)).toBe(true);
  });

  it('dynamic: the promised length is what the stream gives; only the blocks the chain holds are stored; every reader sees the chain', async () => {
    const exported = await exportStream(paths.child, { type: 'dynamic' });
    const stored = await blocksHeldByChain([paths.parent, paths.child]);
    expect(exported).toMatchObject({ diskType: 'dynamic', virtualSize: 6 * MiB + 512, blockSize: 512 * KiB, storedBlocks: stored });
    const bitmapBytes = 512;
    expect(exported.length).toBe(1536 + Math.ceil((13 * 4) / 512) * 512 + stored * (bitmapBytes + 512 * KiB) + 512);
    const out = folder.nextPath('flat.vhd');
    expect(await streamToFile(exported.stream(), out)).toBe(exported.length);
    expect((await stat(out)).size).toBe(exported.length);
    expect(rawFooter(await readTail(out, 512))).toMatchObject({ diskType: 3, currentSize: 6 * MiB + 512, checksumValid: true });
    expect((await qemuContent(out, `${out}.raw`)).equals(expected)).toBe(true);
    expect(sevenZipContent(out).equals(expected)).toBe(true);
    expect(pyvhdiContent(out).equals(expected)).toBe(true);
    expect((await check(out)).issues).toEqual([]);
  });

  it('fixed: the disk then the footer, length virtual size + 512', async () => {
    const exported = await exportStream(paths.child, { type: 'fixed' });
    expect(exported.length).toBe(6 * MiB + 512 + 512);
    const out = folder.nextPath('flat-fixed.vhd');
    expect(await streamToFile(exported.stream(), out)).toBe(exported.length);
    expect((await qemuContent(out, `${out}.raw`)).equals(expected)).toBe(true);
    expect(sevenZipContent(out).equals(expected)).toBe(true);
    expect((await check(out)).issues).toEqual([]);
  });

  it('as a web ReadableStream from an open disk (left open for the caller)', async () => {
    const disk = await openDisk(paths.child);
    const exported = await exportStream(disk, { type: 'dynamic' });
    const out = folder.nextPath('web.vhd');
    await exported.webStream().pipeTo(Writable.toWeb(createWriteStream(out)) as WritableStream<Uint8Array>);
    expect((await stat(out)).size).toBe(exported.length);
    expect(sevenZipContent(out).equals(expected)).toBe(true);
    const still = Buffer.alloc(100);
    await disk.read(still, 100);
    expect(still.equals(expected.subarray(100, 200))).toBe(true);
    await disk.close();
  });

  it('exportToFile: the same image published atomically, progress up to the length', async () => {
    const out = folder.nextPath('file.vhd');
    const progress: number[] = [];
    const written = await exportToFile(paths.child, out, { type: 'dynamic', onProgress: (p) => progress.push(p.bytesWritten) });
    expect((await stat(out)).size).toBe(written.fileSize);
    expect(progress.at(-1)).toBe(written.fileSize);
    expect(sevenZipContent(out).equals(expected)).toBe(true);
  });

  it('an aborted stream fails with ABORTED; an aborted exportToFile leaves no file', async () => {
    const controller = new AbortController();
    const exported = await exportStream(paths.child, { type: 'fixed', signal: controller.signal });
    const stream = exported.stream();
    let received = 0;
    const sink = new Writable({
      write(chunk: Uint8Array, _encoding, callback) {
        received += chunk.length;
        controller.abort();
        callback();
      },
    });
    await expect(pipeline(stream, sink)).rejects.toMatchObject({ code: 'ABORTED' });
    expect(received).toBeLessThan(exported.length);

    const caseFolder = await folder.nextFolder();
    const stop = new AbortController();
    const onProgress = ({ bytesWritten }: { bytesWritten: number }) => {
      if (bytesWritten > 0) stop.abort();
    };
    await expect(exportToFile(paths.child, `${caseFolder}/x.vhd`, { type: 'fixed', signal: stop.signal, onProgress })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await listFolder(caseFolder)).toEqual([]);
  });

  it('an export streams once; a second stream is refused', async () => {
    const exported = await exportStream(paths.child, { type: 'dynamic' });
    const stream = exported.stream();
    expect(() => exported.webStream()).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }) as Error);
    stream.destroy();
    await exported.close();
  });
});

describe('typed refusals', () => {
  it('not a VHD, a bad type, an existing destination', async () => {
    const notVhd = folder.nextPath('text.vhd');
    await writeFile(notVhd, 'hello');
    await expect(exportStream(notVhd, { type: 'dynamic' })).rejects.toMatchObject({ code: 'NOT_A_VHD' });
    const image = folder.nextPath('small.vhd');
    await createDynamicDisk(image, 4 * MiB);
    await expect(exportStream(image, { type: 'differencing' as 'dynamic' })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    const existing = folder.nextPath('existing.vhd');
    await writeFile(existing, 'mine');
    await expect(exportToFile(image, existing, { type: 'dynamic' })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    expect(await readFile(existing, 'utf8')).toBe('mine');
  });
});

describe.skipIf(!readers.pyvhdi.available || !readers.qemuImg.available)('a 2040 GiB sparse child', { timeout: 60_000 }, () => {
  it('exports as a small file holding its one block, read back by libvhdi and QEMU', async () => {
    const caseFolder = await folder.nextFolder();
    const parent = `${caseFolder}/big.vhd`;
    const child = `${caseFolder}/big-child.vhd`;
    await createDynamicDisk(parent, 2040 * GiB);
    await createDifferencingDisk(child, parent);
    const data = randomBytes(64 * KiB);
    const offset = 1500 * GiB + 4096;
    const disk = await openDisk(child, { writable: true });
    await disk.write(data, offset);
    await disk.close();

    const exported = await exportStream(child, { type: 'dynamic' });
    expect(exported.storedBlocks).toBe(1);
    const entries = (2040 * GiB) / (2 * MiB);
    expect(exported.length).toBe(1536 + entries * 4 + (512 + 2 * MiB) + 512);
    const out = `${caseFolder}/big-flat.vhd`;
    expect(await streamToFile(exported.stream(), out)).toBe(exported.length);

    const info = JSON.parse(run(readers.qemuImg.command, ['info', '--output=json', '--image-opts', `driver=vpc,force_size_calc=current_size,file.driver=file,file.filename=${out}`]).stdout.toString('utf8')) as { 'virtual-size': number };
    expect(info['virtual-size']).toBe(2040 * GiB);
    const around = run(readers.pyvhdi.command, [
      '-c',
      'import sys, pyvhdi\nf = pyvhdi.file(); f.open(sys.argv[1]); sys.stdout.buffer.write(f.read_buffer_at_offset(int(sys.argv[3]), int(sys.argv[2])))',
      out, String(offset - 4096), String(data.length + 8192),
    ]);
    expect(around.status, around.stderr).toBe(0);
    expect(around.stdout.equals(Buffer.concat([Buffer.alloc(4096), data, Buffer.alloc(4096)]))).toBe(true);
    expect((await check(out)).issues).toEqual([]);
  });
});
