/**
 * httpSource through nodeHttpTransport (node:http, keep-alive): the same guarantees as through fetch, against nginx,
 * and against a small node server for what nginx never does (a body longer than the range).
 */
import { randomBytes } from 'node:crypto';
import { renameSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectRejection, nginx, startNginx, testFolder } from '@vhdkit/test-support';
import type { NginxServer } from '@vhdkit/test-support';
import { VhdSourceError, httpSource } from '@vhdkit/vhd-format';
import type { VhdSourceErrorCode } from '@vhdkit/vhd-format';
import { nodeHttpTransport } from '../src/index.js';

const server = nginx();
const folder = testFolder('vhd-diff-node-http-');
let web: NginxServer;
const transport = nodeHttpTransport;
const SIZE = 3 * 1024 * 1024 + 17;
let bytes: Buffer;

function expectCode(promise: Promise<unknown>, code: VhdSourceErrorCode): Promise<VhdSourceError> {
  return expectRejection(promise, VhdSourceError, code);
}

function serveFile(name: string, content: Uint8Array, mtimeSeconds: number): void {
  const path = join(folder.path(), name);
  writeFileSync(`${path}.next`, content);
  utimesSync(`${path}.next`, mtimeSeconds, mtimeSeconds);
  renameSync(`${path}.next`, path);
}

describe.skipIf(!server.available)('httpSource through nodeHttpTransport', { timeout: 30_000 }, () => {
  beforeAll(async () => {
    bytes = randomBytes(SIZE);
    serveFile('data.bin', bytes, 1_700_000_000);
    web = await startNginx(folder.path());
  });
  afterAll(async () => {
    await web?.stop();
  });

  it('reads, reads into and gathers into caller buffers the file\'s own bytes, in parallel parts', async () => {
    const source = await httpSource(web.url('ranges', 'data.bin'), { transport, partBytes: 256 * 1024 });
    expect(source.size).toBe(SIZE);
    expect(Buffer.from(await source.read(0, SIZE)).equals(bytes)).toBe(true);
    const into = new Uint8Array(1024 * 1024 + 3);
    await source.readInto(into, 5);
    expect(Buffer.from(into).equals(bytes.subarray(5, 5 + into.length))).toBe(true);
    // A block's bitmap and data in one request, split over parts at places that are not the parts' edges.
    const parts = [new Uint8Array(512), new Uint8Array(700 * 1024), new Uint8Array(1), new Uint8Array(0), new Uint8Array(99)];
    await source.readGatheredInto(parts, 1000);
    expect(Buffer.concat(parts).equals(bytes.subarray(1000, 1000 + 512 + 700 * 1024 + 100))).toBe(true);
    await source.close();
  });

  it('a file replaced after opening is SOURCE_CHANGED, never the new bytes', async () => {
    serveFile('replaced.bin', bytes, 1_700_000_000);
    const source = await httpSource(web.url('ranges', 'replaced.bin'), { transport });
    serveFile('replaced.bin', randomBytes(SIZE), 1_700_000_100);
    await expectCode(source.read(0, 4096), 'SOURCE_CHANGED');
    await expectCode(source.readInto(new Uint8Array(2 * 1024 * 1024), 0), 'SOURCE_CHANGED');
    await source.close();
  });

  it('typed errors: no ranges, an error status, dropped connections after retries', async () => {
    expect((await expectCode(httpSource(web.url('no-ranges', 'data.bin'), { transport }), 'RANGES_UNSUPPORTED')).status).toBe(200);
    expect((await expectCode(httpSource(web.url('status-404', 'x.vhd'), { transport }), 'HTTP_STATUS')).status).toBe(404);
    expect((await expectCode(httpSource(web.url('status-503', 'x.vhd'), { transport, retries: 1, retryDelayMs: 1 }), 'HTTP_STATUS')).status).toBe(503);
    await expectCode(httpSource(web.url('drop', 'x.vhd'), { transport, retries: 2, retryDelayMs: 1 }), 'NETWORK');
  });

  it('an abort stops a read in flight (ABORTED), close() ends one (CLOSED); the connection pool stays usable', async () => {
    const source = await httpSource(web.url('slow', 'data.bin'), { transport });
    const controller = new AbortController();
    const reading = source.read(0, SIZE, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user cancelled')), 100);
    expect(((await expectCode(reading, 'ABORTED')).cause as Error).message).toBe('user cancelled');
    const closing = source.read(0, SIZE);
    setTimeout(() => void source.close(), 100);
    await expectCode(closing, 'CLOSED');
    const again = await httpSource(web.url('ranges', 'data.bin'), { transport });
    expect(Buffer.from(await again.read(SIZE - 100, 100)).equals(bytes.subarray(SIZE - 100))).toBe(true);
    await again.close();
  });
});

describe('nodeHttpTransport against a server that sends the wrong amount', () => {
  it('more bytes than the range is BAD_RESPONSE, fewer is SHORT_READ (after retries)', async () => {
    let extra = 1;
    const liar = createServer((request, response) => {
      const range = /bytes=(\d+)-(\d+)/.exec(request.headers.range ?? '');
      const first = Number(range?.[1] ?? 0);
      const last = Number(range?.[2] ?? 0);
      const body = Buffer.alloc(Math.max(0, last - first + 1 + extra), 7);
      // Content-Range states the asked range; the body disagrees with it.
      response.writeHead(206, { 'content-range': `bytes ${first}-${last}/1000000`, etag: '"v1"' });
      response.end(body);
    });
    await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(liar.address() as AddressInfo).port}/x.bin`;
    try {
      const source = await httpSource(url, { transport, retries: 1, retryDelayMs: 1 });
      await expectCode(source.readInto(new Uint8Array(100_000), 10), 'BAD_RESPONSE');
      extra = -1;
      await expectCode(source.readInto(new Uint8Array(100_000), 10), 'SHORT_READ');
      extra = 0;
      const read = new Uint8Array(100_000);
      await source.readInto(read, 10);
      expect(read.every((byte) => byte === 7)).toBe(true);
      await source.close();
    } finally {
      liar.closeAllConnections();
      await new Promise((resolve) => liar.close(resolve));
    }
  });
});
