/**
 * httpSource's HTTP rules, for answers nginx does not give (a wrong Content-Range, extra or missing bytes, an encoded
 * body, a weak ETag, a hidden Content-Range): an injected fetch plays the server over real bytes.
 */
import { describe, expect, it } from 'vitest';
import { expectRejection } from '@vhdkit/test-support';
import { httpSource, VhdSourceError } from '../src/index.js';
import type { VhdSourceErrorCode } from '../src/index.js';

const IMAGE_URL = 'https://example.test/images/disk.vhd';
const FILE = Uint8Array.from({ length: 10_000 }, (_, index) => (index * 7 + 3) & 0xff);
const ETAG = '"5f3-2710"';
const LAST_MODIFIED = 'Tue, 14 Nov 2023 22:13:20 GMT';

interface Seen {
  range: { first: number; last: number } | undefined;
  headers: Headers;
  signal: AbortSignal | undefined;
}

type Answer = (seen: Seen, call: number) => Response;

/** A 206 for the asked range of FILE, with the usual validators (each overridable, or dropped with null). */
function partial(seen: Seen, overrides: Record<string, string | null> = {}, body?: Uint8Array<ArrayBuffer>): Response {
  const { first, last } = seen.range!;
  const headers: Record<string, string | null> = {
    'content-range': `bytes ${first}-${last}/${FILE.length}`,
    etag: ETAG,
    'last-modified': LAST_MODIFIED,
    ...overrides,
  };
  const present = Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== null);
  return new Response(body ?? FILE.slice(first, last + 1), { status: 206, headers: present });
}

/** A fetch that records every request and answers with `answer`. */
function fakeFetch(answer: Answer): { fetch: typeof fetch; seen: Seen[] } {
  const seen: Seen[] = [];
  const fake = async (_input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const headers = new Headers(init?.headers);
    const match = /^bytes=(\d+)-(\d+)$/.exec(headers.get('range') ?? '');
    const request: Seen = { range: match ? { first: Number(match[1]), last: Number(match[2]) } : undefined, headers, signal: init?.signal ?? undefined };
    seen.push(request);
    return answer(request, seen.length);
  };
  return { fetch: fake as typeof fetch, seen };
}

function expectCode(promise: Promise<unknown>, code: VhdSourceErrorCode): Promise<VhdSourceError> {
  return expectRejection(promise, VhdSourceError, code);
}

describe('opening', () => {
  it('asks for byte 0 with the caller headers and pins the strong ETag', async () => {
    const server = fakeFetch((seen) => partial(seen));
    const source = await httpSource(IMAGE_URL, { fetch: server.fetch, headers: { authorization: 'Bearer t0ken' } });
    expect(source.size).toBe(FILE.length);
    expect(source.etag).toBe(ETAG);
    expect(source.modifiedTime?.toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(server.seen[0]!.headers.get('range')).toBe('bytes=0-0');
    expect(server.seen[0]!.headers.get('authorization')).toBe('Bearer t0ken');

    expect(Array.from(await source.read(9000, 3))).toEqual(Array.from(FILE.subarray(9000, 9003)));
    const read = server.seen[1]!.headers;
    expect([read.get('range'), read.get('if-match'), read.get('if-range'), read.get('authorization')]).toEqual(['bytes=9000-9002', ETAG, ETAG, 'Bearer t0ken']);
  });

  it('a Content-Range the page may not see (CORS) is RANGES_UNSUPPORTED with the reason', async () => {
    const server = fakeFetch((seen) => partial(seen, { 'content-range': null }));
    const error = await expectCode(httpSource(IMAGE_URL, { fetch: server.fetch }), 'RANGES_UNSUPPORTED');
    expect(error.message).toMatch(/expose Content-Range/);
  });

  it('an empty resource (416, bytes */0) opens with size 0', async () => {
    const server = fakeFetch(() => new Response(null, { status: 416, headers: { 'content-range': 'bytes */0', etag: ETAG } }));
    const source = await httpSource(IMAGE_URL, { fetch: server.fetch });
    expect(source.size).toBe(0);
    expect((await source.read(0, 0)).length).toBe(0);
    expect(server.seen).toHaveLength(1);
  });

  it.each([
    ['ftp://example.test/disk.vhd'],
    ['not a url at all'],
  ])('%s is BAD_URL', async (location) => {
    const server = fakeFetch((seen) => partial(seen));
    await expectCode(httpSource(location, { fetch: server.fetch }), 'BAD_URL');
    expect(server.seen).toHaveLength(0);
  });

  it('bad options are OUT_OF_RANGE', async () => {
    const server = fakeFetch((seen) => partial(seen));
    await expectCode(httpSource(IMAGE_URL, { fetch: server.fetch, maxConcurrentRequests: 0 }), 'OUT_OF_RANGE');
    await expectCode(httpSource(IMAGE_URL, { fetch: server.fetch, partBytes: 1.5 }), 'OUT_OF_RANGE');
    await expectCode(httpSource(IMAGE_URL, { fetch: server.fetch, retries: -1 }), 'OUT_OF_RANGE');
    await expectCode(httpSource(IMAGE_URL, { fetch: server.fetch, readAheadBytes: -4096 }), 'OUT_OF_RANGE');
  });
});

describe('answers that do not match the request', () => {
  it.each([
    ['another range', (seen: Seen) => partial({ ...seen, range: { first: seen.range!.first + 1, last: seen.range!.last + 1 } }), 'BAD_RESPONSE'],
    ['more bytes than asked', (seen: Seen) => partial(seen, {}, FILE.slice(seen.range!.first, seen.range!.last + 2)), 'BAD_RESPONSE'],
    ['a gzip-encoded body', (seen: Seen) => partial(seen, { 'content-encoding': 'gzip' }), 'BAD_RESPONSE'],
    ['another total size', (seen: Seen) => partial(seen, { 'content-range': `bytes ${seen.range!.first}-${seen.range!.last}/20000` }), 'SOURCE_CHANGED'],
    ['another ETag', (seen: Seen) => partial(seen, { etag: '"other"' }), 'SOURCE_CHANGED'],
    ['412 Precondition Failed', () => new Response(null, { status: 412 }), 'SOURCE_CHANGED'],
    ['the whole file to a conditional range', () => new Response(FILE, { status: 200, headers: { etag: ETAG } }), 'SOURCE_CHANGED'],
  ] as const)('%s is a typed error, not bytes', async (_case, wrongAnswer, code) => {
    const server = fakeFetch((seen, call) => (call === 1 ? partial(seen) : wrongAnswer(seen)));
    const source = await httpSource(IMAGE_URL, { fetch: server.fetch, retryDelayMs: 1 });
    const error = await expectCode(source.read(100, 50), code);
    expect(error.offset).toBe(100);
    expect(server.seen).toHaveLength(2);
  });

  it('fewer bytes than asked are retried, then SHORT_READ', async () => {
    const server = fakeFetch((seen, call) => (call === 1 ? partial(seen) : partial(seen, {}, FILE.slice(seen.range!.first, seen.range!.last))));
    const source = await httpSource(IMAGE_URL, { fetch: server.fetch, retries: 2, retryDelayMs: 1 });
    await expectCode(source.read(100, 50), 'SHORT_READ');
    expect(server.seen).toHaveLength(4);
  });

  it('a 200 from a server that gave no validator is RANGES_UNSUPPORTED', async () => {
    const server = fakeFetch((seen, call) => (call === 1 ? partial(seen, { etag: null, 'last-modified': null }) : new Response(FILE, { status: 200 })));
    const source = await httpSource(IMAGE_URL, { fetch: server.fetch });
    expect(server.seen).toHaveLength(1);
    await expectCode(source.read(0, 10), 'RANGES_UNSUPPORTED');
    expect(server.seen[1]!.headers.get('if-range')).toBeNull();
  });
});

describe('validators', () => {
  it('a weak ETag is not used for If-Match/If-Range (they need strong ones): Last-Modified guards the reads', async () => {
    const weak = 'W/"abc"';
    const server = fakeFetch((seen) => partial(seen, { etag: weak }));
    const source = await httpSource(IMAGE_URL, { fetch: server.fetch });
    await source.read(0, 10);
    const read = server.seen[1]!.headers;
    expect([read.get('if-match'), read.get('if-range'), read.get('if-unmodified-since')]).toEqual([null, LAST_MODIFIED, LAST_MODIFIED]);
  });
});

describe('retries and parts', () => {
  it('a 503 then a 206 returns the right bytes', async () => {
    const server = fakeFetch((seen, call) => (call === 2 ? new Response('busy', { status: 503 }) : partial(seen)));
    const source = await httpSource(IMAGE_URL, { fetch: server.fetch, retryDelayMs: 1 });
    expect(Array.from(await source.read(500, 20))).toEqual(Array.from(FILE.subarray(500, 520)));
    expect(server.seen).toHaveLength(3);
  });

  it('a body cut off midway is retried, and the retry gives the right bytes', async () => {
    const server = fakeFetch((seen, call) => {
      if (call !== 2) return partial(seen);
      // The connection drops after the first 100 bytes of the body.
      const { first } = seen.range!;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(FILE.slice(first, first + 100));
        },
        pull(controller) {
          controller.error(new TypeError('terminated'));
        },
      });
      return new Response(body, { status: 206, headers: { 'content-range': `bytes ${first}-${seen.range!.last}/${FILE.length}`, etag: ETAG } });
    });
    const source = await httpSource(IMAGE_URL, { fetch: server.fetch, retryDelayMs: 1 });
    expect(Buffer.from(await source.read(2000, 3000)).equals(Buffer.from(FILE.subarray(2000, 5000)))).toBe(true);
    expect(server.seen).toHaveLength(3);
  });

  it('a body cut off on every attempt is NETWORK after the retries', async () => {
    const server = fakeFetch((seen, call) => {
      if (call === 1) return partial(seen);
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          controller.error(new TypeError('terminated'));
        },
      });
      return new Response(body, { status: 206, headers: { 'content-range': `bytes ${seen.range!.first}-${seen.range!.last}/${FILE.length}`, etag: ETAG } });
    });
    const source = await httpSource(IMAGE_URL, { fetch: server.fetch, retries: 1, retryDelayMs: 1 });
    const error = await expectCode(source.read(2000, 3000), 'NETWORK');
    expect(error.message).toMatch(/terminated/);
    expect(server.seen).toHaveLength(3);
  });

  it('a 404 on a read is not retried', async () => {
    const server = fakeFetch((seen, call) => (call === 1 ? partial(seen) : new Response('gone', { status: 404 })));
    const source = await httpSource(IMAGE_URL, { fetch: server.fetch, retryDelayMs: 1 });
    const error = await expectCode(source.read(500, 20), 'HTTP_STATUS');
    expect(error.status).toBe(404);
    expect(server.seen).toHaveLength(2);
  });

  it('a large read is split into parts in flight together, reassembled in order', async () => {
    let inFlight = 0;
    let mostInFlight = 0;
    const pending: (() => void)[] = [];
    const server = fakeFetch((seen) => partial(seen));
    const gated: typeof fetch = async (input, init) => {
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      // Hold each request until three are waiting (or the last parts arrive), so the parts must overlap.
      await new Promise<void>((resolve) => {
        pending.push(resolve);
        if (pending.length >= 3) pending.splice(0).forEach((release) => release());
        else setTimeout(() => pending.splice(0).forEach((release) => release()), 20);
      });
      inFlight--;
      return server.fetch(input, init);
    };
    const source = await httpSource(IMAGE_URL, { fetch: gated, partBytes: 1000, maxConcurrentRequests: 3 });
    const read = await source.read(1234, 7000);
    expect(Buffer.from(read).equals(Buffer.from(FILE.subarray(1234, 8234)))).toBe(true);
    const ranges = server.seen.slice(1).map((seen) => seen.range!);
    expect(ranges).toHaveLength(7);
    expect(ranges.map((range) => range.last - range.first + 1)).toEqual([1000, 1000, 1000, 1000, 1000, 1000, 1000]);
    expect(mostInFlight).toBe(3);
  });

  it('a read waiting for a free request slot can be aborted; it never reaches the server', async () => {
    const gateOpener = new AbortController();
    const gate = new Promise<void>((resolve) => gateOpener.signal.addEventListener('abort', () => resolve()));
    const server = fakeFetch((seen) => partial(seen));
    const gated: typeof fetch = async (input, init) => {
      if (server.seen.length > 0) await gate;
      return server.fetch(input, init);
    };
    const source = await httpSource(IMAGE_URL, { fetch: gated, maxConcurrentRequests: 1 });
    const first = source.read(0, 10);
    const controller = new AbortController();
    const queued = source.read(5000, 10, { signal: controller.signal });
    const third = source.read(6000, 10);
    controller.abort(new Error('not needed'));
    await expectCode(queued, 'ABORTED');
    gateOpener.abort();
    expect(Array.from(await first)).toEqual(Array.from(FILE.subarray(0, 10)));
    expect(Array.from(await third)).toEqual(Array.from(FILE.subarray(6000, 6010)));
    expect(server.seen.slice(1).map((seen) => seen.headers.get('range'))).toEqual(['bytes=0-9', 'bytes=6000-6009']);
  });

  it('a failing part fails the read and stops its siblings', async () => {
    const server = fakeFetch((seen, call) => {
      if (call === 1) return partial(seen);
      if (seen.range!.first === 2000) return new Response('forbidden', { status: 403 });
      return partial(seen);
    });
    const slow: typeof fetch = async (input, init) => {
      const answer = await server.fetch(input, init);
      if (answer.status === 206 && server.seen.length > 1) {
        // Healthy parts take a while; the failure arrives first and must abort them.
        await new Promise((resolve, reject) => {
          const timer = setTimeout(resolve, 5000);
          init?.signal?.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(init.signal?.reason);
          });
        });
      }
      return answer;
    };
    const source = await httpSource(IMAGE_URL, { fetch: slow, partBytes: 1000, maxConcurrentRequests: 4 });
    const error = await expectCode(source.read(0, 4000), 'HTTP_STATUS');
    expect(error.offset).toBe(2000);
    expect(server.seen.slice(1).every((seen) => seen.signal?.aborted)).toBe(true);
  });
});

describe('read-ahead', () => {
  it('small sequential reads are served from windows: one request per window', async () => {
    const server = fakeFetch((seen) => partial(seen));
    const source = await httpSource(IMAGE_URL, { fetch: server.fetch, readAheadBytes: 4096 });
    const chunks: Uint8Array[] = [];
    for (let offset = 0; offset < FILE.length; offset += 512) chunks.push(await source.read(offset, Math.min(512, FILE.length - offset)));
    expect(Buffer.concat(chunks).equals(Buffer.from(FILE))).toBe(true);
    expect(server.seen.slice(1).map((seen) => seen.headers.get('range'))).toEqual(['bytes=0-4095', 'bytes=4096-8191', 'bytes=8192-9999']);
  });

  it('reads inside a window still in flight wait for it; an aborted one leaves the others their bytes', async () => {
    const gateOpener = new AbortController();
    const gate = new Promise<void>((resolve) => gateOpener.signal.addEventListener('abort', () => resolve()));
    const release = (): void => gateOpener.abort();
    const server = fakeFetch((seen) => partial(seen));
    const gated: typeof fetch = async (input, init) => {
      if (server.seen.length > 0) await gate;
      return server.fetch(input, init);
    };
    const source = await httpSource(IMAGE_URL, { fetch: gated, readAheadBytes: 4096 });
    const controller = new AbortController();
    const first = source.read(100, 10);
    const aborted = source.read(200, 10, { signal: controller.signal });
    const third = source.read(3000, 1000);
    controller.abort();
    await expectCode(aborted, 'ABORTED');
    release();
    expect(Array.from(await first)).toEqual(Array.from(FILE.subarray(100, 110)));
    expect(Array.from(await third)).toEqual(Array.from(FILE.subarray(3000, 4000)));
    expect(server.seen).toHaveLength(2);
  });

  it('a window that failed is forgotten: the next read asks again', async () => {
    const server = fakeFetch((seen, call) => (call === 2 ? new Response('nope', { status: 403 }) : partial(seen)));
    const source = await httpSource(IMAGE_URL, { fetch: server.fetch, readAheadBytes: 4096 });
    await expectCode(source.read(0, 10), 'HTTP_STATUS');
    expect(Array.from(await source.read(0, 10))).toEqual(Array.from(FILE.subarray(0, 10)));
    expect(server.seen).toHaveLength(3);
  });

  it('reads as large as the window go straight to the server', async () => {
    const server = fakeFetch((seen) => partial(seen));
    const source = await httpSource(IMAGE_URL, { fetch: server.fetch, readAheadBytes: 4096 });
    await source.read(10, 4096);
    expect(server.seen[1]!.headers.get('range')).toBe('bytes=10-4105');
  });
});
