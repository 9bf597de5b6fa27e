import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interop, run, sha256Bytes, tempDir } from '@vhdkit/test-support';
import { createDifferencingDisk, createDynamicDisk, createFixedDisk, readImageMetadata } from '../src/index.js';
import { fingerprint, rawFooter, readTail } from './create-support.js';

/**
 * Children made here, read by other implementations: libvhdi (vhdiinfo, pyvhdi with the chain set up by hand),
 * QEMU (accepts the file and its size; it ignores parents) and 7-Zip (follows the relative locator beside the child).
 * The expected content is always what QEMU reads from the parent alone.
 */

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const tools = {
  qemuImg: interop('qemu-img'),
  qemuIo: interop('qemu-io'),
  vhdiinfo: interop('vhdiinfo'),
  pyvhdi: interop('pyvhdi'),
  sevenZip: interop('7zz'),
};
const missing = Object.values(tools).some((tool) => !tool.available);

function ok(command: string, args: string[]): string {
  const result = run(command, args);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return result.stdout.toString('utf8');
}

/**
 * sha256 of standard input, read in 4 MiB pieces by the Debian python (OpenSSL's SHA-256): hashing GiB-sized
 * content this way is several times faster than through Node's event loop on a busy machine.
 */
const HASH_STDIN = `
import hashlib, sys
h = hashlib.sha256(); n = 0
while True:
    piece = sys.stdin.buffer.read(4 << 20)
    if not piece: break
    h.update(piece); n += len(piece)
print(h.hexdigest(), n)
`;

function parseHash(output: string): { sha256: string; bytes: number } {
  const [sha256, bytes] = output.trim().split(' ');
  return { sha256: sha256!, bytes: Number(bytes) };
}

/** The virtual disk 7-Zip extracts from a (child) image: its sha256, length and 7-Zip's error output. */
async function sevenZipContent(imagePath: string, scratch: string): Promise<{ sha256: string; bytes: number; stderr: string }> {
  const errors = join(scratch, '7zz.stderr');
  const output = ok('sh', ['-c', '7zz x -tvhd -so "$1" 2>"$2" | "$3" -c "$4"', 'sh', imagePath, errors, tools.pyvhdi.command, HASH_STDIN]);
  const stderr = await readFile(errors, 'utf8');
  await rm(errors);
  return { ...parseHash(output), stderr };
}

/** pyvhdi reading a chain: the images from the base up; the last one is read (all of it, or its first `limit` bytes). */
const PYVHDI_CHAIN = `
import hashlib, sys, pyvhdi
limit = int(sys.argv[1]); paths = sys.argv[2:]
files = []
for path in paths:
    f = pyvhdi.file(); f.open(path)
    if files: f.set_parent(files[-1])
    files.append(f)
top = files[-1]
size = top.get_media_size() if limit < 0 else min(limit, top.get_media_size())
h = hashlib.sha256(); offset = 0
while offset < size:
    chunk = top.read_buffer_at_offset(min(16 << 20, size - offset), offset)
    h.update(chunk); offset += len(chunk)
print(h.hexdigest(), size, top.get_media_size())
`;

function pyvhdiChain(chain: string[], limit = -1): { sha256: string; bytesRead: number; mediaSize: number } {
  const [sha256, bytesRead, mediaSize] = ok(tools.pyvhdi.command, ['-c', PYVHDI_CHAIN, String(limit), ...chain]).trim().split(' ');
  return { sha256: sha256!, bytesRead: Number(bytesRead), mediaSize: Number(mediaSize) };
}

function vhdiinfo(path: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of ok('vhdiinfo', [path]).split('\n')) {
    const match = /^\t([^:]+?)\s*:\s*(.*)$/.exec(line);
    if (match) fields[match[1]!] = match[2]!;
  }
  return fields;
}

/**
 * How QEMU is told to open an image: plainly, or — for images this toolkit made (creator 'vhdk'), whose size QEMU
 * would otherwise take from the smaller CHS geometry — by the footer's current size.
 */
function qemuImage(path: string, currentSize: boolean): { formatArgs: string[]; image: string } {
  return currentSize
    ? { formatArgs: ['--image-opts'], image: `driver=vpc,force_size_calc=current_size,file.driver=file,file.filename=${path}` }
    : { formatArgs: ['-f', 'vpc'], image: path };
}

function qemuVirtualSize(path: string, currentSize = false): number {
  const { formatArgs, image } = qemuImage(path, currentSize);
  return (JSON.parse(ok('qemu-img', ['info', '--output=json', ...formatArgs, image])) as { 'virtual-size': number })['virtual-size'];
}

/** What QEMU reads from an image on its own, as sha256 (only the first `limit` bytes for huge images). */
async function qemuContentSha256(path: string, scratch: string, options: { currentSize?: boolean; limit?: number } = {}): Promise<string> {
  const { formatArgs, image } = qemuImage(path, options.currentSize ?? false);
  const raw = join(scratch, `${basename(path)}.raw`);
  if (options.limit === undefined) {
    ok('qemu-img', ['convert', ...formatArgs, image, '-O', 'raw', raw]);
  } else {
    ok('qemu-img', ['dd', ...formatArgs, '-O', 'raw', `if=${image}`, `of=${raw}`, 'bs=1M', `count=${options.limit / MiB}`]);
  }
  const { sha256 } = parseHash(ok('sh', ['-c', '"$1" -c "$2" < "$3"', 'sh', tools.pyvhdi.command, HASH_STDIN, raw]));
  await rm(raw);
  return sha256;
}

/**
 * The parent's bytes (sha256, for parents up to 256 MiB; hashing larger ones twice per test costs seconds) and its
 * size, modification and change times (any write to the file would move both times).
 */
async function parentState(path: string) {
  const stats = await stat(path);
  return stats.size <= 256 * MiB ? await fingerprint(path) : { size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs };
}

interface ParentCase {
  name: string;
  /** Creates the parent at `path` and fills it with known bytes. */
  make: (path: string) => Promise<void>;
  /** Made by this toolkit: compare sizes and content by the footer's current size. */
  ours?: boolean;
  /** Sparse 2040 GiB: compare metadata and the first MiBs only. */
  huge?: boolean;
}

/** Known data at the start, in the middle and in the last sector of the disk. */
function fill(path: string, virtualSize: number, currentSize = false): void {
  const writes = [
    `write -P 0x11 0 65536`,
    `write -P 0x22 ${Math.floor(virtualSize / 2 / 512) * 512 - 4096} 8192`,
    `write -P 0x33 ${virtualSize - 512} 512`,
  ];
  const { formatArgs, image } = qemuImage(path, currentSize);
  for (const write of writes) ok('qemu-io', ['-c', write, ...formatArgs, image]);
}

function qemuParent(subformat: 'dynamic' | 'fixed', size: number): (path: string) => Promise<void> {
  return async (path) => {
    ok('qemu-img', ['create', '-q', '-f', 'vpc', '-o', `subformat=${subformat}`, path, String(size)]);
    fill(path, qemuVirtualSize(path));
  };
}

const parents: ParentCase[] = [
  { name: 'qemu-img dynamic 3 MiB', make: qemuParent('dynamic', 3 * MiB) },
  { name: 'qemu-img fixed 3 MiB', make: qemuParent('fixed', 3 * MiB) },
  { name: 'qemu-img dynamic 200 MiB + 512', make: qemuParent('dynamic', 200 * MiB + 512) },
  { name: 'qemu-img dynamic 1 GiB', make: qemuParent('dynamic', GiB) },
  { name: 'qemu-img dynamic 10,000,000 bytes', make: qemuParent('dynamic', 10_000_000) },
  { name: 'qemu-img fixed 67 MiB + 3 sectors', make: qemuParent('fixed', 67 * MiB + 1536) },
  { name: 'qemu-img dynamic 2040 GiB (sparse)', make: qemuParent('dynamic', 2040 * GiB), huge: true },
  {
    name: 'vhdkit dynamic 5 MiB + 3 sectors, 512 KiB blocks',
    make: async (path) => {
      await createDynamicDisk(path, 5 * MiB + 1536, { blockSize: 512 * 1024 });
      fill(path, 5 * MiB + 1536, true);
    },
    ours: true,
  },
  {
    name: 'vhdkit fixed 3 MiB + 1 sector',
    make: async (path) => {
      await createFixedDisk(path, 3 * MiB + 512);
      fill(path, 3 * MiB + 512, true);
    },
    ours: true,
  },
  {
    name: 'vhdkit dynamic 2040 GiB (sparse)',
    make: async (path) => {
      await createDynamicDisk(path, 2040 * GiB);
      fill(path, 2040 * GiB, true);
    },
    ours: true,
    huge: true,
  },
];

describe.skipIf(missing)('children of real parents, read by libvhdi, QEMU and 7-Zip', { timeout: 120_000 }, () => {
  let folder: { path: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    folder = await tempDir('vhd-diff-interop-');
  });
  afterAll(() => folder.cleanup());

  it.each(parents)('$name', async ({ name, make, ours = false, huge = false }) => {
    const dir = join(folder.path, name.replace(/[^a-z0-9]+/gi, '-'));
    await mkdir(dir);
    const parentPath = join(dir, 'parent.vhd');
    await make(parentPath);
    const parentFooter = rawFooter(await readTail(parentPath, 512));
    const before = await parentState(parentPath);

    const childPath = join(dir, 'child.vhd');
    const created = await createDifferencingDisk(childPath, parentPath);
    expect(await parentState(parentPath)).toEqual(before);

    // libvhdi: a differencing image pointing at the parent's id and name, of the parent's size.
    const info = vhdiinfo(childPath);
    expect(info['Disk type']).toBe('Differential');
    expect(info['Parent identifier']).toBe(created.parent?.uniqueIdText);
    expect(info['Parent identifier']).toBe(vhdiinfo(parentPath)['Identifier']);
    expect(info['Parent filename']).toBe('parent.vhd');
    expect(info['Media size']).toContain(`(${parentFooter.currentSize} bytes)`);

    // QEMU accepts the child and gives it the parent's size.
    expect(qemuVirtualSize(childPath)).toBe(qemuVirtualSize(parentPath));
    if (ours) expect(qemuVirtualSize(childPath, true)).toBe(parentFooter.currentSize);

    const limit = huge ? 8 * MiB : undefined;
    const expected = await qemuContentSha256(parentPath, dir, { currentSize: ours, limit });
    const chain = pyvhdiChain([parentPath, childPath], limit ?? -1);
    expect(chain.mediaSize).toBe(parentFooter.currentSize);
    expect(chain.sha256).toBe(expected);

    if (huge) {
      // 7-Zip opens the chain (listing it reads only metadata) and reports the parent's size.
      const listing = ok('7zz', ['l', '-tvhd', childPath]);
      expect(listing).not.toMatch(/Missing volume|ERROR/i);
      expect(listing).toContain(String(parentFooter.currentSize));
    } else {
      const sevenZip = await sevenZipContent(childPath, dir);
      expect(sevenZip.stderr).not.toMatch(/Missing volume|ERROR/i);
      expect(sevenZip.bytes).toBe(parentFooter.currentSize);
      expect(sevenZip.sha256).toBe(expected);
    }
  });

  it('a grandchild: the chain parent ← child (with a block written by QEMU) ← grandchild', async () => {
    const dir = join(folder.path, 'grandchild');
    await mkdir(dir);
    const base = join(dir, 'base.vhd');
    const child = join(dir, 'child.vhd');
    const grandchild = join(dir, 'grandchild.vhd');
    await qemuParent('dynamic', 6 * MiB)(base);
    const created = await createDifferencingDisk(child, base);
    // QEMU reads a child as a plain dynamic image: writing a whole block gives the child that block outright.
    ok('qemu-io', ['-f', 'vpc', '-c', `write -P 0x5a ${2 * MiB} ${2 * MiB}`, child]);
    const childBefore = await fingerprint(child);
    const createdGrandchild = await createDifferencingDisk(grandchild, child);
    expect(await fingerprint(child)).toEqual(childBefore);
    expect(createdGrandchild.parent?.uniqueIdText).toBe(created.uniqueIdText);

    const raw = join(dir, 'base.raw');
    ok('qemu-img', ['convert', '-f', 'vpc', '-O', 'raw', base, raw]);
    const expectedBytes = new Uint8Array(await readFile(raw));
    expectedBytes.fill(0x5a, 2 * MiB, 4 * MiB);
    const expected = sha256Bytes(expectedBytes);

    const info = vhdiinfo(grandchild);
    expect(info['Disk type']).toBe('Differential');
    expect(info['Parent identifier']).toBe(created.uniqueIdText);
    expect(info['Parent filename']).toBe('child.vhd');
    expect(qemuVirtualSize(grandchild)).toBe(qemuVirtualSize(base));
    expect(pyvhdiChain([base, child, grandchild]).sha256).toBe(expected);
    const sevenZip = await sevenZipContent(grandchild, dir);
    expect(sevenZip.sha256).toBe(expected);

    const metadata = await readImageMetadata(grandchild, { strict: true });
    expect(metadata.header?.blockSize).toBe(2 * MiB);
  });
});
