/**
 * The built inspector page in Debian's headless chromium, served with `script-src 'self'`: the Windows-made
 * child (with a parent made to its recorded unique id) through the file input and by URL, the QEMU pair with
 * invalid checksums (parent matched by unique id), a file that is no VHD, and a 2040 GiB sparse image whose
 * open time the page measures. Any console error or CSP violation fails the test.
 */
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sharedFixturePath, sharedFixtures, tempDir } from '@vhdkit/test-support';
import type { SharedFixtureFacts } from '@vhdkit/test-support';
import { createDynamicDisk, createFixedDisk, openDisk } from '@vhdkit/vhd-diff';
import { bytesSource, readImage, uniqueIdFromString } from '@vhdkit/vhd-format';
import { startStaticServer } from '../scripts/static-server.mjs';
import { chromiumProbe, launchChromium, watchPageErrors } from './chromium.js';
import { BlockFill, chainIds, drawnMap, fieldNote, fieldValue, finished, legendCounts, locatorPaths } from './page-reads.js';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist');
const repoRoot = join(here, '..', '..', '..');
const screenshotDir = join(repoRoot, 'test-output');
const MAX_SIZE = 2040 * 1024 ** 3;

const browserProbe = chromiumProbe();
const shared = sharedFixtures();

function facts(file: string): SharedFixtureFacts {
  return shared.facts.find((fact) => fact.file === file)!;
}

describe.skipIf(!browserProbe.available || !shared.available)('inspector page in chromium', () => {
  const windowsChild = facts('dfvfs-fat-differential.vhd');
  const qemuChild = facts('dfvfs-image-differential.vhd');
  const qemuParent = facts('dfvfs-image.vhd');
  let folder: Awaited<ReturnType<typeof tempDir>>;
  let server: Awaited<ReturnType<typeof startStaticServer>>;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  let windowsParentPath: string;
  let bigPath: string;
  let notVhdPath: string;
  let patternPath: string;
  let fixedPath: string;

  beforeAll(async () => {
    if (!existsSync(join(dist, 'inspector.js'))) throw new Error(`${dist} has no built page: run npm run build`);
    folder = await tempDir('vhdkit-inspector-');
    // The Windows child's parent is not in the fixtures: make one with the unique id the child records.
    windowsParentPath = join(folder.path, 'fat-parent.vhd');
    await createDynamicDisk(windowsParentPath, windowsChild.currentSize, { uniqueId: uniqueIdFromString(windowsChild.parentUniqueId!) });
    bigPath = join(folder.path, 'sparse-2040-gib.vhd');
    await createDynamicDisk(bigPath, MAX_SIZE);
    patternPath = await writePatternImage(join(folder.path, 'pattern.vhd'));
    fixedPath = join(folder.path, 'fixed.vhd');
    await createFixedDisk(fixedPath, 3 * 1024 * 1024);
    notVhdPath = join(folder.path, 'notes.vhd');
    await writeFile(notVhdPath, 'not a disk image\n'.repeat(100));
    server = await startStaticServer({
      mounts: {
        '/': dist,
        '/images/dfvfs-fat-differential.vhd': sharedFixturePath(windowsChild.file),
        '/images/fat-parent.vhd': windowsParentPath,
      },
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await folder?.cleanup();
  });

  async function openPage(): Promise<void> {
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    pageErrors = watchPageErrors(page);
    const response = await page.goto(`${server.url}/`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
  }

  afterEach(async () => {
    await page?.close();
    expect(pageErrors).toEqual([]);
  });

  it('runs under a policy that refuses inline scripts, and the test sees the violation', async () => {
    await openPage();
    const inlineRan = await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'document.body.dataset.inlineRan = "yes"';
      document.body.append(script);
      return document.body.dataset.inlineRan === 'yes';
    });
    expect(inlineRan).toBe(false);
    await expect.poll(() => pageErrors.filter((error) => error.includes('CSP violation: script-src')).length).toBeGreaterThan(0);
    // This violation was provoked on purpose; every other test must have none.
    pageErrors.length = 0;
  });

  /** The Windows-made child's fields, locators, chain, check and map, as the page shows them. */
  async function expectWindowsChain(parentName: string): Promise<void> {
    expect(await finished(page)).toBe('done');
    expect(await chainIds(page)).toEqual([windowsChild.uniqueId, windowsChild.parentUniqueId]);
    expect(await page.textContent('table.chain tbody tr[data-layer="1"] td.path')).toBe(parentName);
    expect(await fieldValue(page, 0, 'footer', 'uniqueId')).toBe(windowsChild.uniqueId);
    expect(await fieldValue(page, 0, 'footer', 'currentSize')).toBe('4,194,304 bytes (4 MiB)');
    expect(await fieldValue(page, 0, 'footer', 'creatorApplication')).toBe(`'${windowsChild.creatorApplication}'`);
    expect(await fieldValue(page, 0, 'footer', 'diskType')).toBe('4 (differencing)');
    expect(await fieldValue(page, 0, 'footer', 'geometry')).toBe('120 cylinders, 4 heads, 17 sectors per track');
    expect(await fieldNote(page, 0, 'footer', 'checksum')).toBe('valid');
    expect(await fieldValue(page, 0, 'footer', 'checksum')).toBe(windowsChild.footerChecksum);
    expect(await fieldNote(page, 0, 'header', 'checksum')).toBe('valid');
    expect(await fieldValue(page, 0, 'header', 'parentUnicodeName')).toBe(windowsChild.parentUnicodeName);
    expect(await fieldValue(page, 0, 'header', 'parentUniqueId')).toBe(windowsChild.parentUniqueId);
    expect(await fieldValue(page, 0, 'header', 'tableOffset')).toBe(String(windowsChild.tableOffset));
    expect(await fieldValue(page, 0, 'header', 'blockSize')).toBe('2,097,152 bytes (2 MiB)');
    expect(await locatorPaths(page, 0)).toEqual(Object.fromEntries(windowsChild.parentLocators!.map((locator) => [locator.platformCode, locator.path])));
    expect(await page.getAttribute('.check', 'data-ok')).toBe('true');
    const legend = await legendCounts(page, 0);
    const allocated = legend[BlockFill.Allocated]! + legend[BlockFill.Partly]! + legend[BlockFill.Full]!;
    expect(allocated).toBe(windowsChild.allocatedBlocks);
    expect(legend[BlockFill.Empty]).toBe(windowsChild.maxTableEntries! - windowsChild.allocatedBlocks!);
    const map = await drawnMap(page, 0);
    expect(map.blocksPerCell).toBe(1);
    expect(map.unknown).toBe(0);
    expect(map.cells).toEqual(Object.fromEntries(Object.entries(legend).filter(([, count]) => count > 0)));
  }

  it('shows the Windows-made child and its parent picked together as files', async () => {
    await openPage();
    await page.setInputFiles('#file-input', [sharedFixturePath(windowsChild.file), windowsParentPath]);
    await expectWindowsChain('fat-parent.vhd');
    await mkdir(screenshotDir, { recursive: true });
    await page.screenshot({ path: join(screenshotDir, 'inspector.png'), fullPage: true });
  });

  it('opens the same chain by URL, the parent found beside the child through its relative locator', async () => {
    await openPage();
    await page.fill('#url-input', `${server.url}/images/dfvfs-fat-differential.vhd`);
    await page.click('#url-form button');
    await expectWindowsChain(`${server.url}/images/fat-parent.vhd`);
  });

  it('finds a renamed parent by unique id and reports invalid checksums', async () => {
    await openPage();
    // The child names its parent 'image.vhd'; the fixture is called dfvfs-image.vhd. Parent picked first on purpose.
    await page.setInputFiles('#file-input', [sharedFixturePath(qemuParent.file), sharedFixturePath(qemuChild.file)]);
    expect(await finished(page)).toBe('done');
    expect(await chainIds(page)).toEqual([qemuChild.uniqueId, qemuParent.uniqueId]);
    expect(await fieldNote(page, 0, 'footer', 'checksum')).toMatch(/^INVALID/);
    expect(await fieldNote(page, 0, 'header', 'checksum')).toMatch(/^INVALID/);
    expect(await fieldNote(page, 1, 'header', 'checksum')).toBe('valid');
    expect(await page.textContent('details[data-layer="0"] [data-locators]')).toBe('No parent locators.');
    expect(await page.getAttribute('.check', 'data-ok')).toBe('false');
    const codes = await page.$$eval('.check tr[data-code]', (rows) => rows.map((row) => (row as HTMLElement).dataset.code));
    expect(codes.some((code) => code?.includes('CHECKSUM'))).toBe(true);
  });

  it('shows a typed error for a file that is not a VHD', async () => {
    await openPage();
    await page.setInputFiles('#file-input', [notVhdPath]);
    expect(await finished(page)).toBe('error');
    expect(await page.getAttribute('.error-box', 'data-code')).toBe('NO_FOOTER');
    expect(await page.textContent('.error-box .code')).toBe('VhdFormatError NO_FOOTER');
  });

  it('ends every hostile image with its fields or a typed error, never a page fault', async () => {
    await openPage();
    const hostileDir = join(shared.dir, 'hostile');
    const images = (await readdir(hostileDir)).filter((name) => name.endsWith('.vhd')).toSorted();
    expect(images.length).toBeGreaterThan(0);
    const outcomes: Record<string, string> = {};
    for (const name of images) {
      await page.setInputFiles('#file-input', []);
      await page.setInputFiles('#file-input', [join(hostileDir, name)]);
      const state = await finished(page);
      const codes = await page.$$eval('.error-box', (boxes) => boxes.map((box) => (box as HTMLElement).dataset.code ?? ''));
      // An error is shown with its typed code (an untyped one would have an empty code).
      expect(codes.every((code) => code.length > 0), `${name}: ${codes.join(', ')}`).toBe(true);
      if (state === 'error') expect(codes.length, name).toBeGreaterThan(0);
      outcomes[name] = state === 'done' ? `shown, check ${await page.getAttribute('.check', 'data-ok') === 'true' ? 'ok' : 'errors'}` : `error ${codes.join(', ')}`;
    }
    console.log('[inspector] hostile images:', outcomes);
    // The documented ones (hostile/README.md): a block size the reader must refuse, a fixed image shorter than its
    // size, and a damaged trailing footer whose intact copy is used.
    expect(outcomes['block-size-0-dynamic.vhd']).toBe('error BAD_BLOCK_SIZE');
    expect(outcomes['fixed-footer-only.vhd']).toBe('error TRUNCATED');
    expect(outcomes['repair-bad-trailing-footer-a.vhd']).toMatch(/^shown/);
  });

  it('shows a fixed image: footer only, no table to draw', async () => {
    await openPage();
    await page.setInputFiles('#file-input', [fixedPath]);
    expect(await finished(page)).toBe('done');
    expect(await fieldValue(page, 0, 'footer', 'diskType')).toBe('2 (fixed)');
    expect(await fieldValue(page, 0, 'footer', 'dataOffset')).toBe('0xffffffffffffffff (none)');
    expect(await fieldValue(page, 0, 'footer', 'currentSize')).toBe('3,145,728 bytes (3 MiB)');
    expect(await page.$$('details[data-layer="0"] table[data-structure="header"]')).toHaveLength(0);
    expect(await page.$$('details[data-layer="0"] canvas.map')).toHaveLength(0);
    expect(await page.textContent('details[data-layer="0"] figure.allocation')).toContain('Fixed disk');
    expect(await page.getAttribute('.check', 'data-ok')).toBe('true');
  });

  it('shows the HTTP status of a URL that is not there as a typed error', async () => {
    await openPage();
    await page.fill('#url-input', `${server.url}/images/missing.vhd`);
    await page.click('#url-form button');
    expect(await finished(page)).toBe('error');
    expect(await page.getAttribute('.error-box', 'data-code')).toBe('HTTP_STATUS');
    expect(await page.textContent('.error-box .code')).toBe('VhdSourceError HTTP_STATUS');
    expect(await page.textContent('.error-box')).toContain('HTTP status 404');
    // The browser logs the failed request itself; that is the expected 404, not a page fault.
    pageErrors.splice(0, pageErrors.length, ...pageErrors.filter((error) => !error.includes('404 (Not Found)')));
  });

  it('draws fully written, partly written, allocated-but-unwritten and empty blocks', async () => {
    await openPage();
    await page.setInputFiles('#file-input', [patternPath]);
    expect(await finished(page)).toBe('done');
    const expected = {
      [BlockFill.Empty]: PATTERN_BLOCKS - PATTERN.full.length - PATTERN.partly.length - PATTERN.unwritten.length,
      [BlockFill.Allocated]: PATTERN.unwritten.length,
      [BlockFill.Partly]: PATTERN.partly.length,
      [BlockFill.Full]: PATTERN.full.length,
    };
    expect(await legendCounts(page, 0)).toEqual(expected);
    const map = await drawnMap(page, 0);
    expect(map.blocksPerCell).toBe(1);
    expect(map.unknown).toBe(0);
    expect(map.cells).toEqual(expected);
    // An allocated block whose bitmap marks nothing is worth knowing, not an error.
    expect(await page.getAttribute('.check tr[data-code="EMPTY_BITMAP"]', 'data-count')).toBe('1');
    expect(await page.getAttribute('.check', 'data-ok')).toBe('true');
    await page.screenshot({ path: join(screenshotDir, 'inspector-map.png'), fullPage: true });
  });

  it('opens a 2040 GiB sparse image and draws its ~1 M blocks grouped per pixel', async () => {
    await openPage();
    await page.setInputFiles('#file-input', [bigPath]);
    expect(await finished(page)).toBe('done');
    const openMs = Number(await page.getAttribute('.timing', 'data-open-ms'));
    expect(openMs).toBeGreaterThan(0);
    expect(await fieldValue(page, 0, 'footer', 'currentSize')).toBe('2,190,433,320,960 bytes (2040 GiB)');
    const blocks = MAX_SIZE / (2 * 1024 * 1024);
    expect(await legendCounts(page, 0)).toEqual({ [BlockFill.Empty]: blocks, [BlockFill.Allocated]: 0, [BlockFill.Partly]: 0, [BlockFill.Full]: 0 });
    const map = await drawnMap(page, 0);
    expect(map.blocksPerCell).toBeGreaterThan(1);
    expect(map.cells).toEqual({ [BlockFill.Empty]: Math.ceil(blocks / map.blocksPerCell) });
    expect(await page.getAttribute('.check', 'data-ok')).toBe('true');
    await page.screenshot({ path: join(screenshotDir, 'inspector-2040-gib.png'), fullPage: true });
    // Again, with the page's code compiled and the file in the cache: the figure a user sees from the second image on.
    await page.setInputFiles('#file-input', []);
    await page.setInputFiles('#file-input', [bigPath]);
    await page.waitForFunction((first) => document.querySelector<HTMLElement>('.timing')?.dataset.openMs !== first, String(openMs));
    expect(await finished(page)).toBe('done');
    const againMs = Number(await page.getAttribute('.timing', 'data-open-ms'));
    // A figure for the note (target < 100 ms), not an assertion: timing belongs to benchmarks.
    console.log(`[inspector] 2040 GiB sparse image metadata opened in the page in ${openMs.toFixed(1)} ms (first), ${againMs.toFixed(1)} ms (again); load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`);
  });
});

const PATTERN_BLOCK_BYTES = 2 * 1024 * 1024;
const PATTERN_BLOCKS = 256;
/** Which blocks of the pattern image get which fill. */
const PATTERN = {
  full: [0, 1, 2, 3, 64, 65, 66, 67, 68, 69, 70, 71, 200],
  partly: [8, 9, 10, 100, 101, 102, 103, 255],
  unwritten: [150],
};

/**
 * A 512 MiB dynamic image with every kind of block: written whole, one sector written, and (its bitmap zeroed
 * afterwards, as an interrupted write can leave it) allocated with nothing marked.
 */
async function writePatternImage(path: string): Promise<string> {
  await createDynamicDisk(path, PATTERN_BLOCKS * PATTERN_BLOCK_BYTES);
  const disk = await openDisk(path, { writable: true });
  try {
    const block = new Uint8Array(PATTERN_BLOCK_BYTES).fill(0x5a);
    for (const index of PATTERN.full) await disk.write(block, index * PATTERN_BLOCK_BYTES);
    for (const index of [...PATTERN.partly, ...PATTERN.unwritten]) await disk.write(block.subarray(0, 512), index * PATTERN_BLOCK_BYTES + 4096);
    await disk.flush();
  } finally {
    await disk.close();
  }
  const image = await readImage(bytesSource(new Uint8Array(await readFile(path))));
  const file = await open(path, 'r+');
  try {
    for (const index of PATTERN.unwritten) await file.write(new Uint8Array(image.geometry!.bitmapByteSize), 0, image.geometry!.bitmapByteSize, image.bat![index]! * 512);
  } finally {
    await file.close();
  }
  return path;
}
