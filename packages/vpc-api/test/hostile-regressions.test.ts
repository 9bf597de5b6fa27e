/**
 * Regressions for issue 15 (hostile images): every reproduction in ../shared/fixtures/hostile (README there) and
 * every one it describes, asserting the behaviour the issue asks for: bounded time and memory, a typed error with
 * a corruption HRESULT at the CLI (never DISP_E_EXCEPTION, never a stack trace), correct bytes, parents and
 * children preserved, nothing leaked. Fixtures are read in place; anything that writes works on a copy.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, open, readFile, readdir, rename, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedFixturePath, sharedFixtures, testFolder } from '@vhdkit/test-support';
import { VhdIoError, createDifferencingDisk, createDynamicDisk, openDisk } from '@vhdkit/vhd-diff';
import { errorLine, runBounded, type BoundedRun } from './bounded-run.js';

const fixtures = sharedFixtures();
const folder = testFolder('vhdkit-hostile-regressions-');
const MiB = 1024 * 1024;
/** What the issue asks a corrupt image to map to (ERROR_FILE_CORRUPT 0x80070570, ERROR_DISK_CORRUPT 0x80070571). */
const CORRUPTION = ['ERROR_FILE_CORRUPT', 'ERROR_DISK_CORRUPT'];
/** Per-command memory bound: Node itself takes ~50 MB; the issue allows 128 MB of growth. */
const RSS_BOUND = 256 * MiB;
const hostile = (name: string) => sharedFixturePath(`hostile/${name}`);
const sha256 = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

async function copyOf(name: string): Promise<string> {
  const target = folder.nextPath(name);
  await copyFile(hostile(name), target);
  await chmod(target, 0o644);
  return target;
}

/** Ended by itself, within its bounds, with the error-line contract when it failed. */
function expectBoundedTyped(run: BoundedRun, what: string): void {
  expect(run.killedFor, `${what}: killed for ${run.killedFor}`).toBeUndefined();
  expect(run.signal, what).toBeNull();
  expect(run.peakRssBytes, `${what}: peak RSS`).toBeLessThan(RSS_BOUND);
  expect(run.stderr, `${what}: stack trace`).not.toMatch(/\n\s+at .+:\d+:\d+/);
  if (run.status === 1) {
    expect(errorLine(run), `${what}: ${run.stderr.split('\n')[0]}`).toBeDefined();
    expect(errorLine(run)!.name, `${what}: ${run.stderr.split('\n')[0]}`).not.toBe('DISP_E_EXCEPTION');
  }
}

/** Failed with a corruption HRESULT. */
function expectCorrupt(run: BoundedRun, what: string): void {
  expectBoundedTyped(run, what);
  expect(run.status, `${what}: ${run.stderr.split('\n')[0]}`).toBe(1);
  expect(CORRUPTION, `${what}: ${run.stderr.split('\n')[0]}`).toContain(errorLine(run)!.name);
}

/** Patches a u32 of the dynamic header (at the footer's data offset) and refreshes its checksum. */
async function patchHeaderU32(path: string, fieldOffset: number, value: number): Promise<void> {
  const bytes = await readFile(path);
  const headerOffset = Number(bytes.readBigUInt64BE(bytes.length - 512 + 16));
  bytes.writeUInt32BE(value, headerOffset + fieldOffset);
  bytes.writeUInt32BE(0, headerOffset + 36);
  let sum = 0;
  for (let index = 0; index < 1024; index++) sum = (sum + bytes[headerOffset + index]!) >>> 0;
  bytes.writeUInt32BE(~sum >>> 0, headerOffset + 36);
  await writeFile(path, bytes);
}

/** `text` as UTF-16 (LE for locators, BE for the header's parent name), spelled as latin1 for byte-level replaces. */
function utf16Latin1(text: string, littleEndian: boolean): string {
  const encoded = Buffer.from(text, 'utf16le');
  return (littleEndian ? encoded : encoded.swap16()).toString('latin1');
}

/** A 4 MiB dynamic parent with data and a differencing child holding 50 KB of its own. */
async function writtenChain(dir: string): Promise<{ parent: string; child: string }> {
  const parent = join(dir, 'aa.vhd');
  const child = join(dir, 'c1.vhd');
  await createDynamicDisk(parent, 4 * MiB, { blockSize: 512 * 1024 });
  const parentDisk = await openDisk(parent, { writable: true });
  await parentDisk.write(new Uint8Array(MiB).fill(0x11), 0);
  await parentDisk.close();
  await createDifferencingDisk(child, parent);
  const childDisk = await openDisk(child, { writable: true });
  await childDisk.write(new Uint8Array(50_000).fill(0x22), 100_000);
  await childDisk.close();
  return { parent, child };
}

describe.runIf(fixtures.available)('hostile fixtures', { timeout: 180_000 }, () => {
  it.each(['check-locator-abort.vhd', 'check-locator-4g.vhd', 'check-locator-1g.vhd'])('check on %s ends in bounded time and memory with a report', async (name) => {
    for (const json of [false, true]) {
      const run = await runBounded(['check', ...(json ? ['--json'] : []), hostile(name)], { rssLimitBytes: 2 * RSS_BOUND });
      expectBoundedTyped(run, `check ${name}`);
      expect([1, 2]).toContain(run.status);
      if (run.status === 1 && !json) expect(CORRUPTION).toContain(errorLine(run)!.name);
    }
    for (const command of ['info', 'cat']) expectBoundedTyped(await runBounded([command, hostile(name)]), `${command} ${name}`);
  });

  it('refuses block size 0: no read reports bytes it did not fill (block-size-0-dynamic.vhd)', async () => {
    const cat = await runBounded(['cat', hostile('block-size-0-dynamic.vhd')]);
    expectCorrupt(cat, 'cat');
    expect(cat.stdout.length).toBe(0);
    await expect(openDisk(hostile('block-size-0-dynamic.vhd'))).rejects.toBeInstanceOf(VhdIoError);
  });

  it('does not merge (or delete) a child whose header says block size 0', async () => {
    const { parent, child } = await writtenChain(await folder.nextFolder());
    await patchHeaderU32(child, 32, 0);
    const [childBefore, parentBefore] = [await sha256(child), await sha256(parent)];
    const merge = await runBounded(['merge', child]);
    expectCorrupt(merge, 'merge');
    expect(existsSync(child)).toBe(true);
    expect(await sha256(child)).toBe(childBefore);
    expect(await sha256(parent)).toBe(parentBefore);
  });

  it('refuses block size 1000 in cat, write and convert with a corruption HRESULT (block-size-1000.vhd)', async () => {
    expectCorrupt(await runBounded(['cat', hostile('block-size-1000.vhd')]), 'cat');
    const copy = await copyOf('block-size-1000.vhd');
    const before = await sha256(copy);
    expectCorrupt(await runBounded(['write', copy, '--offset', '0', '--input', '-'], { input: Buffer.from('x') }), 'write');
    expect(await sha256(copy)).toBe(before);
    const destination = folder.nextPath('converted.vhd');
    expectCorrupt(await runBounded(['convert', hostile('block-size-1000.vhd'), destination, '--type', 'dynamic']), 'convert');
    expect(existsSync(destination)).toBe(false);
  });

  it('refuses to write into a ~4 GiB block (block-size-4g.vhd): nothing allocated', async () => {
    const copy = await copyOf('block-size-4g.vhd');
    const [before, sizeBefore] = [await sha256(copy), (await stat(copy)).size];
    expectCorrupt(await runBounded(['write', copy, '--offset', '0', '--input', '-'], { input: Buffer.from('x'), rssLimitBytes: 2 * RSS_BOUND }), 'write');
    expect((await stat(copy)).size).toBe(sizeBefore);
    expect(await sha256(copy)).toBe(before);
  });

  it('never serves the footer as disk data: a fixed image shorter than its size is corrupt (fixed-footer-only.vhd)', async () => {
    const cat = await runBounded(['cat', hostile('fixed-footer-only.vhd')]);
    expect(cat.stdout.includes('conectix')).toBe(false);
    expectCorrupt(cat, 'cat');
    const check = await runBounded(['check', hostile('fixed-footer-only.vhd')]);
    expectBoundedTyped(check, 'check');
    expect(check.status).not.toBe(0);
  });

  it.each(['locator-offset-above-2p53.vhd', 'original-size-above-2p53.vhd'])('info on %s: text and --json agree, never DISP_E_EXCEPTION', async (name) => {
    const text = await runBounded(['info', hostile(name)]);
    const json = await runBounded(['--json', 'info', hostile(name)]);
    expectBoundedTyped(text, 'info');
    expectBoundedTyped(json, 'info --json');
    expect(text.status).toBe(json.status);
    if (text.status === 1) expect(CORRUPTION).toContain(errorLine(text)!.name);
  });

  it.each(['repair-bad-trailing-footer-a.vhd', 'repair-bad-trailing-footer-b.vhd'])('check --repair on %s keeps the good footer: same disk after, clean check', async (name) => {
    const copy = await copyOf(name);
    const infoBefore = await runBounded(['--json', 'info', copy]);
    expect(infoBefore.status, infoBefore.stderr).toBe(0);
    const described = JSON.parse(infoBefore.stdout.toString('utf8')) as { type: string };
    // -b is a differencing child whose parent is not shipped: its footer and header are compared, not its bytes.
    const standalone = described.type !== 'differencing';
    const catBefore = standalone ? await runBounded(['cat', copy], { outputLimitBytes: 256 * MiB }) : undefined;
    if (catBefore) expect(catBefore.status, catBefore.stderr).toBe(0);
    expectBoundedTyped(await runBounded(['check', '--repair', copy]), 'check --repair');
    const infoAfter = await runBounded(['--json', 'info', copy]);
    expect(infoAfter.status, infoAfter.stderr).toBe(0);
    expect(infoAfter.stdout.toString('utf8').replaceAll(copy, 'COPY')).toBe(infoBefore.stdout.toString('utf8').replaceAll(copy, 'COPY'));
    if (catBefore) {
      const catAfter = await runBounded(['cat', copy], { outputLimitBytes: 256 * MiB });
      expect(catAfter.status, catAfter.stderr).toBe(0);
      expect(catAfter.stdout.equals(catBefore.stdout)).toBe(true);
    }
    const bytes = await readFile(copy);
    expect(bytes.subarray(-512).equals(bytes.subarray(0, 512)), 'trailing footer = the good copy at 0').toBe(true);
  });
});

/** make-big-bat.py's three modes at a reduced size (64 Ki entries of 512-byte blocks instead of 4 Mi). */
async function bigBatImage(path: string, mode: 'random' | 'valid' | 'same', entries = 64 * 1024): Promise<void> {
  const blockSize = 512;
  const size = entries * blockSize;
  const footer = Buffer.alloc(512);
  footer.write('conectix', 0, 'latin1');
  footer.writeUInt32BE(2, 8);
  footer.writeUInt32BE(0x10000, 12);
  footer.writeBigUInt64BE(512n, 16);
  footer.write('test', 28, 'latin1');
  footer.writeUInt32BE(0x10000, 32);
  footer.write('Wi2k', 36, 'latin1');
  footer.writeBigUInt64BE(BigInt(size), 40);
  footer.writeBigUInt64BE(BigInt(size), 48);
  footer.writeUInt32BE((1024 << 16) | (16 << 8) | 63, 56);
  footer.writeUInt32BE(3, 60);
  footer.fill(0x5a, 68, 84);
  const header = Buffer.alloc(1024);
  header.write('cxsparse', 0, 'latin1');
  header.writeBigUInt64BE(0xffff_ffff_ffff_ffffn, 8);
  header.writeBigUInt64BE(1536n, 16);
  header.writeUInt32BE(0x10000, 24);
  header.writeUInt32BE(entries, 28);
  header.writeUInt32BE(blockSize, 32);
  for (const [bytes, at] of [[footer, 64], [header, 36]] as const) {
    let sum = 0;
    for (const byte of bytes) sum = (sum + byte) >>> 0;
    bytes.writeUInt32BE(~sum >>> 0, at);
  }
  const firstBlockSector = Math.ceil((1536 + entries * 4) / 512);
  const bat = Buffer.alloc(entries * 4);
  let seed = 1;
  for (let index = 0; index < entries; index++) {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    const entry = mode === 'random' ? seed % 0xffff_fffe : mode === 'valid' ? firstBlockSector + 2 * index : firstBlockSector;
    bat.writeUInt32BE(entry, index * 4);
  }
  const handle = await open(path, 'w');
  try {
    await handle.write(footer, 0, 512, 0);
    await handle.write(header, 0, 1024, 512);
    await handle.write(bat, 0, bat.length, 1536);
    let end = firstBlockSector * 512 + (mode === 'valid' ? 2 * entries * 512 : 0);
    if (mode === 'same') {
      await handle.write(Buffer.concat([Buffer.alloc(512, 0xff), Buffer.alloc(512, 0x58)]), 0, 1024, end);
      end += 1024;
    }
    await handle.write(footer, 0, 512, end);
  } finally {
    await handle.close();
  }
}

describe('big BAT images (make-big-bat.py modes, reduced)', { timeout: 180_000 }, () => {
  it.each(['random', 'valid', 'same'] as const)('check --json on mode %s is bounded: memory, and a report of bounded size', async (mode) => {
    const image = folder.nextPath(`big-bat-${mode}.vhd`);
    await bigBatImage(image, mode);
    const run = await runBounded(['--json', 'check', image], { rssLimitBytes: 2 * RSS_BOUND, outputLimitBytes: 16 * MiB });
    expectBoundedTyped(run, `check ${mode}`);
    expect(run.stdout.length, 'report size').toBeLessThan(MiB);
    expect(run.status).toBe(mode === 'valid' ? 0 : 2);
  });

  it('cat on the random-BAT image fails as corrupt instead of reading', async () => {
    const image = folder.nextPath('big-bat-random-cat.vhd');
    await bigBatImage(image, 'random');
    expectCorrupt(await runBounded(['cat', image]), 'cat');
  });
});

describe('special files, chains and paths', { timeout: 180_000 }, () => {
  it('a FIFO as image or parent fails at once with a typed error; a waiting write obeys SIGTERM', async () => {
    const dir = await folder.nextFolder();
    const fifo = join(dir, 'f.vhd');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    for (const command of ['info', 'check', 'cat']) {
      const run = await runBounded([command, fifo], { timeoutMs: 20_000 });
      expectBoundedTyped(run, `${command} on a FIFO`);
      expect(run.status, `${command} on a FIFO`).toBe(1);
    }
    const child = join(dir, 'child.vhd');
    const createDiff = await runBounded(['create-diff', child, fifo], { timeoutMs: 20_000 });
    expectBoundedTyped(createDiff, 'create-diff over a FIFO parent');
    expect(createDiff.status).toBe(1);
    expect(existsSync(child)).toBe(false);

    const image = join(dir, 'w.vhd');
    await createDynamicDisk(image, MiB);
    const write = await runBounded(['write', image, '--offset', '0', '--input', '-'], { silentStdin: true, timeoutMs: 20_000, signal: { name: 'SIGTERM', afterMs: 1_000 } });
    expect(write.killedFor, 'write on a silent pipe ignored SIGTERM').toBeUndefined();
    expect(write.status).not.toBe(0);
  });

  it('a stale merge journal never weakens the parent-modified guard', async () => {
    const { parent, child } = await writtenChain(await folder.nextFolder());
    // A merge that fails before touching the parent: the parent cannot be opened for writing.
    const asRoot = process.getuid?.() === 0;
    const lock = (locked: boolean) => (asRoot ? spawnSync('chattr', [locked ? '+i' : '-i', parent]).status === 0 : (chmod(parent, locked ? 0o444 : 0o644), true));
    expect(await lock(true)).toBe(true);
    try {
      const failed = await runBounded(['merge', child]);
      expect(failed.status).toBe(1);
    } finally {
      await lock(false);
    }
    expect(existsSync(child)).toBe(true);
    const parentDisk = await openDisk(parent, { writable: true });
    await parentDisk.write(new Uint8Array(512).fill(0x33), 2 * MiB);
    await parentDisk.close();
    // The guard compares whole seconds (the child records the parent's mtime in VHD seconds): a change within the
    // second the child was made cannot be seen, so the change is dated a few seconds later, as a real one would be.
    const written = (await stat(parent)).mtime;
    await utimes(parent, written, new Date(written.getTime() + 5_000));
    const parentBefore = await sha256(parent);
    const merge = await runBounded(['merge', child]);
    expectBoundedTyped(merge, 'merge after the parent changed');
    expect(merge.status, merge.stdout.toString()).toBe(1);
    expect(errorLine(merge)!.name).toBe('VM_E_PARENT_MODIFIED');
    expect(existsSync(child)).toBe(true);
    expect(await sha256(parent)).toBe(parentBefore);
  });

  it('one depth limit: create-diff refuses a 33rd image where opening would refuse the chain', async () => {
    const dir = await folder.nextFolder();
    let top = join(dir, 'd00.vhd');
    await createDynamicDisk(top, 4 * MiB, { blockSize: 512 * 1024 });
    for (let level = 1; level < 31; level++) {
      const next = join(dir, `d${String(level).padStart(2, '0')}.vhd`);
      await createDifferencingDisk(next, top);
      top = next;
    }
    // Control: the CLI makes the 32nd image (the deepest chain every reader opens) …
    const thirtySecond = join(dir, 'd31.vhd');
    const control = await runBounded(['create-diff', thirtySecond, top]);
    expect(control.status, control.stderr).toBe(0);
    const disk = await openDisk(thirtySecond);
    await disk.close();
    top = thirtySecond;
    // … and refuses the 33rd.
    const thirtyThird = join(dir, 'd32.vhd');
    const create = await runBounded(['create-diff', thirtyThird, top]);
    expectBoundedTyped(create, 'create-diff on a 32-image chain');
    expect(create.status).toBe(1);
    expect(existsSync(thirtyThird)).toBe(false);
  });

  it('a locator pointing outside the chain is never quoted: no bytes of that file in any output', async () => {
    const dir = await folder.nextFolder();
    const secret = join(dir, 'secret.txt');
    // Longer than a footer, like /etc/passwd: a reader that takes it for a VHD has bytes to quote.
    await writeFile(secret, 'SECRET'.repeat(400));
    const caseDir = join(dir, 'case');
    await mkdir(caseDir);
    const { parent, child } = await writtenChain(caseDir);
    await rename(parent, join(caseDir, 'gone.vhd'));
    // Every locator (relative and absolute) now names ..\secret.txt, UTF-16LE as W2ru/W2ku hold it.
    const bytes = await readFile(child);
    const headerOffset = Number(bytes.readBigUInt64BE(bytes.length - 512 + 16));
    const path = Buffer.from('..\\secret.txt', 'utf16le');
    for (let entry = 0; entry < 8; entry++) {
      const at = headerOffset + 576 + entry * 24;
      if (bytes.readUInt32BE(at + 8) === 0) continue;
      const dataOffset = Number(bytes.readBigUInt64BE(at + 16));
      bytes.fill(0, dataOffset, dataOffset + bytes.readUInt32BE(at + 8));
      path.copy(bytes, dataOffset);
      bytes.writeUInt32BE(path.length, at + 8);
    }
    bytes.writeUInt32BE(0, headerOffset + 36);
    let sum = 0;
    for (let index = 0; index < 1024; index++) sum = (sum + bytes[headerOffset + index]!) >>> 0;
    bytes.writeUInt32BE(~sum >>> 0, headerOffset + 36);
    await writeFile(child, bytes);
    for (const command of ['info', 'check', 'cat']) {
      const run = await runBounded([command, child]);
      expectBoundedTyped(run, command);
      const output = `${run.stdout.toString('latin1')}${run.stderr}`;
      expect(output, command).not.toMatch(/SECRET|ECRETS|CRETSE|RETSEC|ETSECR|TSECRE/);
    }
  });

  it('a symlink loop and a directory get one typed HRESULT from every command (never DISP_E_EXCEPTION)', async () => {
    const dir = await folder.nextFolder();
    await symlink(join(dir, 'b.vhd'), join(dir, 'a.vhd'));
    await symlink(join(dir, 'a.vhd'), join(dir, 'b.vhd'));
    const subfolder = join(dir, 'folder.vhd');
    await mkdir(subfolder);
    for (const target of [join(dir, 'a.vhd'), subfolder]) {
      const names = new Set<string>();
      for (const command of ['info', 'check', 'cat']) {
        const run = await runBounded([command, target]);
        expectBoundedTyped(run, `${command} ${target}`);
        expect(run.status).toBe(1);
        names.add(errorLine(run)!.name);
      }
      expect([...names], target).toHaveLength(1);
    }
  });

  it('a chain that loops is corrupt for cat and check', async () => {
    const dir = await folder.nextFolder();
    const { parent, child } = await writtenChain(dir);
    const grandchild = join(dir, 'c2.vhd');
    await createDifferencingDisk(grandchild, child);
    // Point c1 at c2 (names of equal length, so its locators are patched in place): c2 → c1 → c2 …
    const bytes = await readFile(child);
    const grandchildFooter = (await readFile(grandchild)).subarray(-512);
    const headerOffset = Number(bytes.readBigUInt64BE(bytes.length - 512 + 16));
    let patched = Buffer.from(bytes.toString('latin1').replaceAll(utf16Latin1('aa.vhd', true), utf16Latin1('c2.vhd', true)), 'latin1');
    patched = Buffer.from(patched.toString('latin1').replaceAll(utf16Latin1('aa.vhd', false), utf16Latin1('c2.vhd', false)), 'latin1');
    grandchildFooter.copy(patched, headerOffset + 40, 68, 84);
    patched.writeUInt32BE(0, headerOffset + 56);
    patched.writeUInt32BE(0, headerOffset + 36);
    let sum = 0;
    for (let index = 0; index < 1024; index++) sum = (sum + patched[headerOffset + index]!) >>> 0;
    patched.writeUInt32BE(~sum >>> 0, headerOffset + 36);
    // c2 recorded c1's modification time: keep it, so that the open reaches the loop and does not stop at a parent
    // timestamp that differs (it would whenever a second boundary fell between creating c2 and this rewrite).
    const { atime, mtime } = await stat(child);
    await writeFile(child, patched);
    await utimes(child, atime, mtime);
    expect(existsSync(parent)).toBe(true);
    // `info` describes the file itself and may succeed; reading through the chain must fail as corrupt.
    expectBoundedTyped(await runBounded(['info', grandchild]), 'info');
    expectCorrupt(await runBounded(['cat', grandchild]), 'cat');
    const check = await runBounded(['check', grandchild]);
    expectBoundedTyped(check, 'check');
    expect(check.status).not.toBe(0);
  });

  it('a creation killed with SIGKILL leaves no temporary file once that destination is created again', async () => {
    const dir = await folder.nextFolder();
    const destination = join(dir, 'big.vhd');
    const temporaries = async () => (await readdir(dir)).filter((name) => name.endsWith('.tmp'));
    let sawTemporary = false;
    // An import from a pipe nobody writes keeps its temporary file until it is killed (a plain creation is sparse
    // and may finish between two looks at the folder).
    await runBounded(['import', '-', destination, '--size', '4M', '--type', 'fixed'], {
      timeoutMs: 120_000,
      silentStdin: true,
      cwd: dir,
      onStart: (child) => {
        const watch = setInterval(() => {
          void temporaries().then((names) => {
            if (names.length === 0 || sawTemporary) return;
            sawTemporary = true;
            child.kill('SIGKILL');
          });
        }, 10);
        child.on('close', () => clearInterval(watch));
      },
    });
    expect(sawTemporary, 'the creation was killed while its temporary file existed').toBe(true);
    const again = await runBounded(['create', destination, '--size', '4M', '--type', 'dynamic'], { cwd: dir });
    expectBoundedTyped(again, 'create again');
    expect(again.status, again.stderr).toBe(0);
    expect(await temporaries()).toEqual([]);
  });
});
