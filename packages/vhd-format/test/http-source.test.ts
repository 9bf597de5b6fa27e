/**
 * httpSource against a real server: Debian's nginx on 127.0.0.1, serving a temporary folder (the shared fixtures,
 * linked in, and files the tests write and replace).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectRejection, nginx, repoFixturePath, repoFixtures, sharedFixturePath, sharedFixtures, startNginx, testFolder } from '@vhdkit/test-support';
import type { NginxServer } from '@vhdkit/test-support';
import { decodeDynamicHeader, decodeFooter, decodeLocatorPath, httpSource, parentUrl, VhdSourceError } from '../src/index.js';
import type { HttpSourceOptions, VhdSourceErrorCode } from '../src/index.js';

const server = nginx();
const shared = sharedFixtures();
const folder = testFolder('vhdkit-http-');
let web: NginxServer;

/** Every image served: the real ones from other tools (read whole and at random) and the repository's generated ones. */
const sharedImages = shared.facts.map((facts) => ({ file: facts.file, path: sharedFixturePath(facts.file) }));
const images = [...sharedImages, ...repoFixtures().map((facts) => ({ file: facts.file, path: repoFixturePath(facts.file) }))];

/** A deterministic PRNG (mulberry32), so a failing case can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function expectCode(promise: Promise<unknown>, code: VhdSourceErrorCode): Promise<VhdSourceError> {
  return expectRejection(promise, VhdSourceError, code);
}

/** The global fetch, counting calls and optionally failing some of them first. */
function countingFetch(failFirst = 0): { fetch: typeof fetch; calls: () => number } {
  let calls = 0;
  return {
    calls: () => calls,
    fetch: (input, init) => {
      calls++;
      if (calls <= failFirst) return Promise.reject(new TypeError('fetch failed (injected)'));
      return fetch(input, init);
    },
  };
}

/** A file in the served folder, replaced atomically with `bytes` and the given mtime (nginx's ETag is mtime-size). */
function serveFile(name: string, bytes: Uint8Array, mtimeSeconds: number): void {
  const path = join(folder.path(), name);
  const next = `${path}.next`;
  writeFileSync(next, bytes);
  utimesSync(next, mtimeSeconds, mtimeSeconds);
  renameSync(next, path);
}

const quick: HttpSourceOptions = { retryDelayMs: 1 };

// Each test takes well under a second on an idle machine; the limit is for machines shared by many jobs.
describe.skipIf(!server.available)('httpSource over nginx', { timeout: 30_000 }, () => {
  beforeAll(async () => {
    for (const image of images) await symlink(image.path, join(folder.path(), image.file));
    web = await startNginx(folder.path());
  });
  afterAll(async () => {
    await web?.stop();
  });

  it('serves the shared fixtures and the repository images', () => {
    expect(images.length).toBeGreaterThanOrEqual(shared.available ? 9 : 5);
  });

  describe.each(images.map((image) => [image.file, image.path] as const))('%s', (file, path) => {
    const bytes = new Uint8Array(readFileSync(path));

    it('opens with the size, the URL as name and Last-Modified as modifiedTime', async () => {
      const source = await httpSource(web.url('ranges', file));
      expect(source.size).toBe(bytes.length);
      expect(source.name).toBe(web.url('ranges', file));
      expect(source.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
      expect(source.modifiedTime?.getTime()).toBe(Math.floor(statSync(path).mtimeMs / 1000) * 1000);
      await source.close();
    });

    it('reads the whole file, in parts fetched in parallel, equal to its bytes on disk', async () => {
      const source = await httpSource(web.url('ranges', file), { partBytes: 256 * 1024, maxConcurrentRequests: 4 });
      const whole = await source.read(0, source.size);
      expect(whole.length).toBe(bytes.length);
      expect(Buffer.from(whole).equals(Buffer.from(bytes))).toBe(true);
      await source.close();
    });
  });

  describe.each(sharedImages.map((image) => [image.file, image.path] as const))('%s at random', (file, path) => {
    const bytes = new Uint8Array(readFileSync(path));

    it('reads sector by sector with read-ahead: the same bytes, one request per 256 KiB window', async () => {
      const counting = countingFetch();
      const source = await httpSource(web.url('ranges', file), { fetch: counting.fetch, readAheadBytes: 256 * 1024 });
      const sectors: Uint8Array[] = [];
      for (let offset = 0; offset < source.size; offset += 512) sectors.push(await source.read(offset, Math.min(512, source.size - offset)));
      expect(Buffer.concat(sectors).equals(Buffer.from(bytes))).toBe(true);
      expect(counting.calls()).toBe(1 + Math.ceil(bytes.length / (256 * 1024)));
      await source.close();
    });

    it('reads 64 random ranges, all in flight together, each equal to the same bytes on disk', async () => {
      const source = await httpSource(web.url('ranges', file), { maxConcurrentRequests: 8 });
      const next = random(bytes.length);
      const ranges = Array.from({ length: 64 }, () => {
        const offset = Math.floor(next() * bytes.length);
        return { offset, length: Math.min(bytes.length - offset, 1 + Math.floor(next() * 70_000)) };
      });
      ranges.push({ offset: 0, length: 1 }, { offset: bytes.length - 512, length: 512 }, { offset: 7, length: 0 });
      const reads = await Promise.all(ranges.map(({ offset, length }) => source.read(offset, length)));
      reads.forEach((read, index) => {
        const { offset, length } = ranges[index]!;
        expect(Buffer.from(read).equals(Buffer.from(bytes.subarray(offset, offset + length))), `range ${offset}+${length}`).toBe(true);
      });
      await source.close();
    });
  });

  it.skipIf(!shared.available)('the Windows-made child, read over HTTP, names its parent by a URL beside it (W2ru)', async () => {
    const child = await httpSource(web.url('ranges', 'dfvfs-fat-differential.vhd'));
    const footer = decodeFooter(await child.read(child.size - 512, 512));
    const header = decodeDynamicHeader(await child.read(Number(footer.dataOffset), 1024), { fileSize: child.size });
    const relative = header.parentLocators.find((entry) => entry.platformCode === 'W2ru')!;
    const path = decodeLocatorPath('W2ru', await child.read(relative.platformDataOffset, relative.platformDataLength))!;
    expect(path).toBe('.\\fat-parent.vhd');
    const parent = parentUrl(child.name, path);
    expect(parent).toBe(web.url('ranges', 'fat-parent.vhd'));
    // The parent was never published with the child (see the fixture's notes): the server says so.
    const error = await expectCode(httpSource(parent!), 'HTTP_STATUS');
    expect(error.status).toBe(404);
    await child.close();
  });

  describe('a file replaced while it is read', () => {
    const size = 1 << 20;

    it.each([
      ['ETag (If-Match, If-Range)', 'ranges'],
      ['Last-Modified only (If-Unmodified-Since, If-Range)', 'no-etag'],
    ] as const)('is SOURCE_CHANGED, never mixed bytes: validator %s', async (_validator, location) => {
      const name = `replaced-${location}.bin`;
      const before = randomBytes(size);
      serveFile(name, before, 1_700_000_000);
      const source = await httpSource(web.url(location, name), { maxConcurrentRequests: 2 });
      if (location === 'no-etag') expect(source.etag).toBeUndefined();
      expect(source.lastModified).toBe(new Date(1_700_000_000_000).toUTCString());

      // 32 reads of 32 KiB, two in flight; the file is replaced (same size, new content and mtime) as soon as the
      // first one is back: by then its freed slot has already sent the third request, so at most two more requests
      // can still see the old version; every later one must be refused.
      const reads = Array.from({ length: 32 }, (_, index) => ({ offset: index * 32 * 1024, length: 32 * 1024 }));
      let replaced = false;
      const outcomes = await Promise.allSettled(
        reads.map(({ offset, length }) =>
          source.read(offset, length).then((read) => {
            if (!replaced) serveFile(name, randomBytes(size), 1_700_000_100);
            replaced = true;
            return read;
          }),
        ),
      );
      let changed = 0;
      outcomes.forEach((outcome, index) => {
        const { offset, length } = reads[index]!;
        if (outcome.status === 'fulfilled') {
          expect(Buffer.from(outcome.value).equals(before.subarray(offset, offset + length)), `read at ${offset} holds the old bytes`).toBe(true);
        } else {
          expect(outcome.reason).toBeInstanceOf(VhdSourceError);
          expect((outcome.reason as VhdSourceError).code).toBe('SOURCE_CHANGED');
          changed++;
        }
      });
      expect(changed).toBeGreaterThanOrEqual(reads.length - 3);
      await expectCode(source.read(0, 512), 'SOURCE_CHANGED');
      await source.close();
    });

    it('a file that shrank is SOURCE_CHANGED too', async () => {
      serveFile('shrinking.bin', randomBytes(size), 1_700_000_000);
      const source = await httpSource(web.url('ranges', 'shrinking.bin'));
      serveFile('shrinking.bin', randomBytes(size / 2), 1_700_000_000);
      await expectCode(source.read(size - 1024, 1024), 'SOURCE_CHANGED');
      await expectCode(source.read(0, 1024), 'SOURCE_CHANGED');
      await source.close();
    });
  });

  it('a server without range support is RANGES_UNSUPPORTED at open', async () => {
    const error = await expectCode(httpSource(web.url('no-ranges', images[0]!.file)), 'RANGES_UNSUPPORTED');
    expect(error.status).toBe(200);
    expect(error.source).toBe(web.url('no-ranges', images[0]!.file));
  });

  it('dropped connections are retried, then NETWORK', async () => {
    const counting = countingFetch();
    await expectCode(httpSource(web.url('drop', 'any.vhd'), { ...quick, retries: 2, fetch: counting.fetch }), 'NETWORK');
    expect(counting.calls()).toBe(3);
  });

  it('a transient network failure is retried and the read still returns the right bytes', async () => {
    const { file, path } = images[0]!;
    const bytes = new Uint8Array(readFileSync(path));
    const opening = countingFetch(1);
    const source = await httpSource(web.url('ranges', file), { ...quick, fetch: opening.fetch });
    expect(opening.calls()).toBe(2);
    const read = await source.read(1000, 5000);
    expect(Buffer.from(read).equals(Buffer.from(bytes.subarray(1000, 6000)))).toBe(true);
    await source.close();
  });

  it('an error status is HTTP_STATUS: 404 and 403 at once, 503 after its retries', async () => {
    for (const [location, status, attempts] of [
      ['status-404', 404, 1],
      ['status-403', 403, 1],
      ['status-503', 503, 3],
    ] as const) {
      const counting = countingFetch();
      const error = await expectCode(httpSource(web.url(location, 'x.vhd'), { ...quick, retries: 2, fetch: counting.fetch }), 'HTTP_STATUS');
      expect(error.status).toBe(status);
      expect(counting.calls()).toBe(attempts);
    }
    await expectCode(httpSource(web.url('ranges', 'missing.vhd')), 'HTTP_STATUS');
  });

  describe('aborting and closing', () => {
    const size = 4 << 20;
    beforeAll(async () => {
      serveFile('slow.bin', randomBytes(size), 1_700_000_000);
    });

    it('an AbortSignal stops a read in flight with ABORTED; the source stays usable', async () => {
      const source = await httpSource(web.url('slow', 'slow.bin'));
      const controller = new AbortController();
      // 4 MiB at 256 KiB/s would take 16 s: abort once the request is under way.
      const reading = source.read(0, size, { signal: controller.signal });
      setTimeout(() => controller.abort(new Error('user cancelled')), 100);
      const error = await expectCode(reading, 'ABORTED');
      expect((error.cause as Error).message).toBe('user cancelled');
      const expected = readFileSync(join(folder.path(), 'slow.bin')).subarray(size - 100);
      expect(Buffer.from(await source.read(size - 100, 100)).equals(expected)).toBe(true);
      await source.close();
    });

    it('an already aborted signal rejects at once, when opening and when reading', async () => {
      const aborted = AbortSignal.abort();
      await expectCode(httpSource(web.url('ranges', 'slow.bin'), { signal: aborted }), 'ABORTED');
      const source = await httpSource(web.url('ranges', 'slow.bin'));
      await expectCode(source.read(0, 10, { signal: aborted }), 'ABORTED');
      await source.close();
    });

    it('close() ends reads in flight with CLOSED and refuses later ones', async () => {
      const source = await httpSource(web.url('slow', 'slow.bin'));
      const reading = source.read(0, size);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await source.close();
      await expectCode(reading, 'CLOSED');
      await expectCode(source.read(0, 10), 'CLOSED');
    });

    it('reads outside the file are OUT_OF_RANGE, without a request', async () => {
      const counting = countingFetch();
      const source = await httpSource(web.url('ranges', 'slow.bin'), { fetch: counting.fetch });
      for (const [offset, length] of [
        [size - 10, 11],
        [-1, 5],
        [0, 1.5],
        [Number.MAX_SAFE_INTEGER, 1],
      ]) {
        await expectCode(source.read(offset!, length!), 'OUT_OF_RANGE');
      }
      expect(counting.calls()).toBe(1);
      await source.close();
    });
  });
});
