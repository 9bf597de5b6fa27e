/**
 * The socket HTTP/1.1 client behind nodeHttpTransport: its own parsing against real nginx, and against a small
 * hostile node:net server that splits, pads, truncates and garbles responses. Every case ends in the file's own
 * bytes or a typed error, never other bytes; a head that never ends is refused after a bounded number of bytes.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectRejection, nginx, startNginx, testFolder } from '@vhdkit/test-support';
import type { NginxServer } from '@vhdkit/test-support';
import { VhdSourceError, httpSource } from '@vhdkit/vhd-format';
import type { RangeResponse, VhdSourceErrorCode } from '@vhdkit/vhd-format';
import { MAX_HEAD_BYTES, socketRangeTransport } from '../src/http1-socket-transport.js';
import { httpModuleTransport } from '../src/node-http-transport.js';
import { nodeHttpTransport } from '../src/index.js';

const SIZE = 3 * 1024 * 1024 + 17;
const content = randomBytes(SIZE);
const ETAG = '"v1"';

function expectCode(promise: Promise<unknown>, code: VhdSourceErrorCode): Promise<VhdSourceError> {
  return expectRejection(promise, VhdSourceError, code);
}

/** Reads a whole body through the transport into a buffer of `length` bytes; resolves with what readBodyInto said. */
async function readBody(response: RangeResponse, length: number): Promise<{ received: number; bytes: Buffer }> {
  const bytes = Buffer.alloc(length);
  const received = await response.readBodyInto([bytes.subarray(0, 100), bytes.subarray(100)]);
  return { received, bytes };
}

const server = nginx();
const folder = testFolder('vhd-diff-http1-');

describe.skipIf(!server.available)('the socket client against nginx', { timeout: 30_000 }, () => {
  let web: NginxServer;
  beforeAll(async () => {
    writeFileSync(join(folder.path(), 'data.bin'), content);
    web = await startNginx(folder.path());
  });
  afterAll(async () => {
    await web?.stop();
  });

  it('parses status, headers and a Content-Length body, over one kept-alive connection per request in turn', async () => {
    const transport = socketRangeTransport(httpModuleTransport);
    const url = web.url('ranges', 'data.bin');
    for (const [first, last] of [
      [0, 0],
      [5, 2 * 1024 * 1024 + 4],
      [SIZE - 1000, SIZE - 1],
    ] as const) {
      const response = await transport({ url, headers: { range: `bytes=${first}-${last}`, 'accept-encoding': 'identity' } });
      expect(response.status).toBe(206);
      expect(response.statusText).toBe('Partial Content');
      expect(response.headers.get('Content-Range')).toBe(`bytes ${first}-${last}/${SIZE}`);
      expect(response.headers.get('etag')).toMatch(/^"/);
      const { received, bytes } = await readBody(response, last - first + 1);
      expect(received).toBe(last - first + 1);
      expect(bytes.equals(content.subarray(first, last + 1))).toBe(true);
    }
  });

  it('an error status is a response; its body can be dropped and the next request still answered', async () => {
    const transport = socketRangeTransport(httpModuleTransport);
    const missing = await transport({ url: web.url('status-404', 'x.bin'), headers: {} });
    expect(missing.status).toBe(404);
    missing.discard();
    const response = await transport({ url: web.url('ranges', 'data.bin'), headers: { range: 'bytes=10-19' } });
    expect((await readBody(response, 10)).bytes.equals(content.subarray(10, 20))).toBe(true);
  });

  it('a range larger than the targets resolves with a count above their total, never overwriting past them', async () => {
    const transport = socketRangeTransport(httpModuleTransport);
    const response = await transport({ url: web.url('ranges', 'data.bin'), headers: { range: 'bytes=0-999' } });
    const targets = [Buffer.alloc(400, 0xee)];
    expect(await response.readBodyInto(targets)).toBe(1000);
    const source = await httpSource(web.url('ranges', 'data.bin'), { transport: nodeHttpTransport });
    expect(Buffer.from(await source.read(SIZE - 5, 5)).equals(content.subarray(SIZE - 5))).toBe(true);
    await source.close();
  });
});

/** What the hostile server saw of one request. */
interface SeenRequest {
  first: number;
  last: number;
  connection: number;
}

type Script = (request: SeenRequest, socket: Socket) => Promise<void> | void;

function rangeHead(first: number, last: number, extra = ''): string {
  return `HTTP/1.1 206 Partial Content\r\ncontent-range: bytes ${first}-${last}/${SIZE}\r\netag: ${ETAG}\r\ncontent-length: ${last - first + 1}\r\n${extra}\r\n`;
}

function honest(request: SeenRequest, socket: Socket): void {
  socket.write(Buffer.concat([Buffer.from(rangeHead(request.first, request.last), 'latin1'), content.subarray(request.first, request.last + 1)]));
}

/** One chunk of a chunked body (RFC 9112 §7.1). */
function chunkOf(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]);
}

/** Writes `parts` as separate segments (the socket sends each before the next is written). */
async function trickle(socket: Socket, parts: readonly (string | Buffer)[]): Promise<void> {
  for (const part of parts) {
    if (socket.destroyed) return;
    await new Promise<void>((resolve) => socket.write(part, () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** A node:net server that answers every request (the probe included) by the current script. */
class HostileServer {
  script: Script = honest;
  readonly requests: SeenRequest[] = [];
  connections = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor() {
    this.server = createServer((socket) => {
      const connection = ++this.connections;
      this.sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      let pending = '';
      socket.on('data', (chunk: Buffer) => {
        pending += chunk.toString('latin1');
        for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
          const head = pending.slice(0, end);
          pending = pending.slice(end + 4);
          const range = /^range: bytes=(\d+)-(\d+)$/im.exec(head);
          const request = { first: Number(range?.[1] ?? 0), last: Number(range?.[2] ?? SIZE - 1), connection };
          this.requests.push(request);
          void this.script(request, socket);
        }
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/image.vhd`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('the socket client against a hostile server', { timeout: 30_000 }, () => {
  let hostile: HostileServer;
  let url: string;
  const transport = socketRangeTransport(httpModuleTransport);
  /** A source opened while the server is honest; each test then changes the script. */
  const open = async (): Promise<Awaited<ReturnType<typeof httpSource>>> => {
    hostile.script = honest;
    return httpSource(url, { transport, retries: 1, retryDelayMs: 1 });
  };

  beforeAll(async () => {
    hostile = new HostileServer();
    url = await hostile.start();
  });
  afterEach(() => {
    hostile.script = honest;
  });
  afterAll(async () => {
    await hostile.stop();
  });

  it('a head split byte by byte and a body in pieces still read the right bytes, and the connection is kept', async () => {
    const source = await open();
    hostile.script = async ({ first, last }, socket) => {
      const body = content.subarray(first, last + 1);
      await trickle(socket, [...rangeHead(first, last, 'x-filler: a\r\n'), body.subarray(0, 1), body.subarray(1, 70_000), body.subarray(70_000)]);
    };
    const target = new Uint8Array(300_000);
    await source.readInto(target, 12_345);
    expect(Buffer.from(target).equals(content.subarray(12_345, 12_345 + target.length))).toBe(true);
    hostile.script = honest;
    await source.readInto(target, 1);
    expect(Buffer.from(target).equals(content.subarray(1, 1 + target.length))).toBe(true);
    const [split, next] = hostile.requests.slice(-2);
    expect(next!.connection).toBe(split!.connection);
    await source.close();
  });

  it('a head larger than the limit is BAD_RESPONSE as soon as the limit is passed', async () => {
    const source = await open();
    hostile.script = async (_request, socket) => {
      // Four times the limit, then silence with the connection open: only the limit can end this request.
      const line = `x-padding: ${'p'.repeat(1000)}\r\n`;
      await trickle(socket, ['HTTP/1.1 206 Partial Content\r\n', line.repeat((4 * MAX_HEAD_BYTES) / line.length)]);
    };
    const error = await expectCode(source.read(0, 4096), 'BAD_RESPONSE');
    expect(error.message).toContain(`larger than ${MAX_HEAD_BYTES} bytes`);
    await source.close();
  });

  it('a garbage status line or header line is BAD_RESPONSE', async () => {
    const source = await open();
    hostile.script = (_request, socket) => void socket.write('HTTX/1.1 206 Partial Content\r\ncontent-length: 4\r\n\r\nabcd');
    expect((await expectCode(source.read(0, 4), 'BAD_RESPONSE')).message).toContain('status line');
    hostile.script = (_request, socket) => void socket.write('HTTP/1.1 206 Partial Content\r\n folded: value\r\ncontent-length: 4\r\n\r\nabcd');
    expect((await expectCode(source.read(0, 4), 'BAD_RESPONSE')).message).toContain('header line');
    await source.close();
  });

  it('a body shorter than Content-Length, then a closed connection, is NETWORK after the retries', async () => {
    const source = await open();
    const requestsBefore = hostile.requests.length;
    hostile.script = async ({ first, last }, socket) => {
      await trickle(socket, [rangeHead(first, last), content.subarray(first, first + 1000)]);
      socket.destroy();
    };
    const target = new Uint8Array(100_000).fill(0xaa);
    await expectCode(source.readInto(target, 0), 'NETWORK');
    expect(hostile.requests.length - requestsBefore).toBe(2); // the try and its one retry
    await source.close();
  });

  it('a connection cut mid-body while the body streams in is NETWORK; the next read opens a new connection', async () => {
    const source = await open();
    hostile.script = async ({ first, last }, socket) => {
      const body = content.subarray(first, last + 1);
      await trickle(socket, [rangeHead(first, last), body.subarray(0, 500_000), body.subarray(500_000, 900_000)]);
      socket.destroy();
    };
    await expectCode(source.read(0, 2 * 1024 * 1024), 'NETWORK');
    hostile.script = honest;
    expect(Buffer.from(await source.read(77, 5000)).equals(content.subarray(77, 5077))).toBe(true);
    await source.close();
  });

  it('a body longer than Content-Length gives the range\'s own bytes and retires the connection', async () => {
    const source = await open();
    hostile.script = ({ first, last }, socket) => {
      const forged = Buffer.from(rangeHead(first, last).replace('206', '299'), 'latin1');
      socket.write(Buffer.concat([Buffer.from(rangeHead(first, last), 'latin1'), content.subarray(first, last + 1), forged, Buffer.alloc(last - first + 1, 0xbb)]));
    };
    const target = new Uint8Array(3000);
    await source.readInto(target, 40);
    expect(Buffer.from(target).equals(content.subarray(40, 3040))).toBe(true);
    hostile.script = honest;
    await source.readInto(target, 41);
    expect(Buffer.from(target).equals(content.subarray(41, 3041))).toBe(true);
    const [padded, next] = hostile.requests.slice(-2);
    expect(next!.connection).not.toBe(padded!.connection);
    await source.close();
  });

  it('a chunked response is left to node:http, which decodes it: the right bytes', async () => {
    const source = await open();
    hostile.script = async ({ first, last }, socket) => {
      const body = content.subarray(first, last + 1);
      const head = `HTTP/1.1 206 Partial Content\r\ncontent-range: bytes ${first}-${last}/${SIZE}\r\netag: ${ETAG}\r\ntransfer-encoding: chunked\r\n\r\n`;
      await trickle(socket, [head, chunkOf(body.subarray(0, 1234)), chunkOf(body.subarray(1234)), '0\r\n\r\n']);
    };
    const requestsBefore = hostile.requests.length;
    const read = await source.read(999, 10_000);
    expect(Buffer.from(read).equals(content.subarray(999, 10_999))).toBe(true);
    expect(hostile.requests.length - requestsBefore).toBe(2); // asked once here, once again through node:http
    await source.close();
  });

  it('a response without Content-Length that ends with the connection goes to node:http too', async () => {
    const source = await open();
    hostile.script = async ({ first, last }, socket) => {
      const head = `HTTP/1.1 206 Partial Content\r\ncontent-range: bytes ${first}-${last}/${SIZE}\r\netag: ${ETAG}\r\nconnection: close\r\n\r\n`;
      await trickle(socket, [head, content.subarray(first, last + 1)]);
      socket.end();
    };
    expect(Buffer.from(await source.read(5, 777)).equals(content.subarray(5, 782))).toBe(true);
    await source.close();
  });

  it('an interim 103 answer before the range is left to node:http: the right bytes', async () => {
    const source = await open();
    hostile.script = async (request, socket) => {
      await trickle(socket, ['HTTP/1.1 103 Early Hints\r\nlink: </x>; rel=preload\r\n\r\n']);
      honest(request, socket);
    };
    const requestsBefore = hostile.requests.length;
    expect(Buffer.from(await source.read(300, 4000)).equals(content.subarray(300, 4300))).toBe(true);
    expect(hostile.requests.length - requestsBefore).toBe(2);
    await source.close();
  });

  it('a kept-alive connection the server closed is replaced without an error', async () => {
    const source = await open();
    hostile.script = (request, socket) => {
      honest(request, socket);
      socket.end();
    };
    expect(Buffer.from(await source.read(0, 10)).equals(content.subarray(0, 10))).toBe(true);
    hostile.script = honest;
    // The pooled connection is closed by now or closes as the request goes out: either way, one more connection.
    expect(Buffer.from(await source.read(10, 10)).equals(content.subarray(10, 20))).toBe(true);
    await source.close();
  });

  it('a kept-alive connection closed as the request goes out is retried once on a new one, by the transport itself', async () => {
    // Every connection answers its first request only; the second one finds the connection closed, unanswered.
    hostile.script = (request, socket) => {
      if (hostile.requests.filter((seen) => seen.connection === request.connection).length > 1) socket.destroy();
      else honest(request, socket);
    };
    const source = await httpSource(url, { transport, retries: 0 });
    for (const offset of [0, 1000, 2000]) {
      expect(Buffer.from(await source.read(offset, 100)).equals(content.subarray(offset, offset + 100))).toBe(true);
    }
    await source.close();
  });

  it('an abort mid-body rejects (ABORTED) and leaves the target\'s other bytes alone', async () => {
    const source = await open();
    hostile.script = async ({ first, last }, socket) => {
      await trickle(socket, [rangeHead(first, last), content.subarray(first, first + 10_000)]);
    };
    const controller = new AbortController();
    const target = new Uint8Array(50_000).fill(0xcc);
    const reading = source.readInto(target, 0, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop')), 50);
    await expectCode(reading, 'ABORTED');
    expect(Buffer.from(target.subarray(10_000)).every((byte) => byte === 0xcc)).toBe(true);
    await source.close();
  });
});
