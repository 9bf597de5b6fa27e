/**
 * A minimal HTTP/1.1 client for range GETs over plain `net` sockets, kept alive, one request at a time per
 * connection. Each socket reads into ONE buffer it owns (the `onread` option), and bodies are copied from there
 * straight into the caller's buffers: node:http allocates a fresh 64 KiB Buffer per socket read, and on some
 * virtual machines fresh memory costs several times what reused memory does. Only bodies framed by Content-Length
 * are read here; any other framing (chunked, until close, no body by status) is handed to a fuller client.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { VhdSourceError } from '@vhdkit/vhd-format';
import type { HttpHeaderLookup, RangeRequest, RangeResponse, RangeTransport } from '@vhdkit/vhd-format';
import { FIELD_NAME, parseResponseHead } from './http1-response-head.js';

/** Bytes per socket read; large enough that a 2 MiB body takes few reads, small enough to stay in the CPU cache. */
const READ_BUFFER_BYTES = 256 * 1024;
/** The longest response head accepted (node:http's default limit too). */
export const MAX_HEAD_BYTES = 16 * 1024;
/** Kept-alive connections per origin; httpSource itself bounds the requests in flight. */
const MAX_IDLE_CONNECTIONS = 16;
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');

/** Where a request goes, and its request line and Host header. */
interface Target {
  /** `host:port`: the connection pool's key. */
  origin: string;
  hostname: string;
  port: number;
  requestLines: string;
}

type HeadOutcome = { kind: 'response'; response: RangeResponse } | { kind: 'fallback' };

interface BodyRead {
  targets: readonly Uint8Array[];
  index: number;
  at: number;
  resolve: (received: number) => void;
  reject: (error: unknown) => void;
}

/** Fails a request: what went wrong, and whether any byte of the response had arrived. */
class ConnectionFailure extends Error {
  constructor(
    message: string,
    readonly beforeResponse: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

class Connection {
  /** Whether an earlier request used this connection (a server may close such a one at any moment). */
  reused = false;
  private readonly socket: Socket;
  private readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  private readonly head = Buffer.allocUnsafe(MAX_HEAD_BYTES);
  private headLength = 0;
  private phase: 'idle' | 'head' | 'held' | 'body' | 'closed' = 'idle';
  private url = '';
  private headWaiter: { resolve: (outcome: HeadOutcome) => void; reject: (error: unknown) => void } | undefined;
  private body: BodyRead | undefined;
  private bodyLength = 0;
  private remaining = 0;
  /** Body bytes that arrived with the head, in readBuffer (the socket is paused until they are taken). */
  private pendingStart = 0;
  private pendingEnd = 0;
  private keepAlive = true;
  /** Why the connection ended, for a body asked for after that. */
  private failure: unknown;
  private signal: AbortSignal | undefined;
  private readonly onAbort = (): void => this.failWith(this.signal?.reason ?? new Error('aborted'));

  constructor(
    private readonly target: Target,
    private readonly pool: ConnectionPool,
  ) {
    this.socket = connect({
      host: target.hostname,
      port: target.port,
      noDelay: true,
      onread: { buffer: this.readBuffer, callback: (count) => this.onRead(count) },
    });
    this.socket.on('error', (error) => this.failWith(new ConnectionFailure(error.message, this.headLength === 0, { cause: error })));
    this.socket.on('close', () => this.failWith(new ConnectionFailure('the connection closed before the response ended', this.headLength === 0)));
  }

  get usable(): boolean {
    return this.phase === 'idle' && !this.socket.destroyed;
  }

  /** Sends `request` and resolves with its response once the head has arrived. */
  send(request: RangeRequest, requestHead: string): Promise<HeadOutcome> {
    this.url = request.url;
    this.phase = 'head';
    this.headLength = 0;
    this.keepAlive = true;
    this.socket.ref();
    this.signal = request.signal;
    return new Promise((resolve, reject) => {
      this.headWaiter = { resolve, reject };
      if (request.signal?.aborted) {
        this.onAbort();
        return;
      }
      request.signal?.addEventListener('abort', this.onAbort, { once: true });
      this.socket.write(requestHead, 'latin1');
    });
  }

  /** The socket read `count` bytes into readBuffer; returns false to pause it. */
  private onRead(count: number): boolean {
    if (this.phase === 'body') {
      this.take(0, count);
      return true;
    }
    if (this.phase !== 'head') {
      // Bytes nobody asked for (after a body, on an idle connection): the framing is lost.
      this.failWith(new Error('the server sent bytes outside any response'));
      return false;
    }
    return this.takeHead(count);
  }

  private takeHead(count: number): boolean {
    const before = this.headLength;
    const copied = Math.min(count, MAX_HEAD_BYTES - before);
    this.readBuffer.copy(this.head, before, 0, copied);
    this.headLength += copied;
    const end = this.head.subarray(0, this.headLength).indexOf(HEAD_END, Math.max(0, before - 3));
    if (end < 0) {
      if (this.headLength === MAX_HEAD_BYTES) this.failWith(this.badResponse(`its response head is larger than ${MAX_HEAD_BYTES} bytes`));
      return true;
    }
    const parsed = parseResponseHead(this.head.toString('latin1', 0, end));
    const waiter = this.headWaiter!;
    this.headWaiter = undefined;
    if (parsed.kind === 'malformed') {
      this.failWith(this.badResponse(parsed.reason), waiter);
      return false;
    }
    if (parsed.bodyLength === undefined) {
      this.release(false);
      waiter.resolve({ kind: 'fallback' });
      return false;
    }
    this.phase = 'held';
    this.bodyLength = parsed.bodyLength;
    this.keepAlive = parsed.keepAlive;
    this.pendingStart = end + HEAD_END.length - before;
    this.pendingEnd = count;
    waiter.resolve({ kind: 'response', response: this.response(parsed.status, parsed.statusText, parsed.headers) });
    return false;
  }

  private response(status: number, statusText: string, headers: HttpHeaderLookup): RangeResponse {
    return { status, statusText, headers, readBodyInto: (targets) => this.readBodyInto(targets), discard: () => this.discard() };
  }

  private readBodyInto(targets: readonly Uint8Array[]): Promise<number> {
    if (this.phase !== 'held') return Promise.reject(this.failure ?? new Error('the body was already read or dropped'));
    const capacity = targets.reduce((sum, target) => sum + target.length, 0);
    if (this.bodyLength > capacity) {
      // Content-Length already says it overflows: the caller reports the count, the rest is never read.
      this.release(false);
      return Promise.resolve(this.bodyLength);
    }
    this.phase = 'body';
    this.remaining = this.bodyLength;
    return new Promise((resolve, reject) => {
      this.body = { targets, index: 0, at: 0, resolve, reject };
      this.take(this.pendingStart, this.pendingEnd);
      if (this.phase === 'body') this.socket.resume();
    });
  }

  /** Copies readBuffer[from, to) into the body's targets, up to the body's end. */
  private take(from: number, to: number): void {
    const body = this.body!;
    const end = from + Math.min(to - from, this.remaining);
    for (let at = from; at < end; ) {
      const target = body.targets[body.index]!;
      const count = Math.min(target.length - body.at, end - at);
      this.readBuffer.copy(target, body.at, at, at + count);
      at += count;
      body.at += count;
      if (body.at === target.length) {
        body.index++;
        body.at = 0;
      }
    }
    this.remaining -= end - from;
    if (end < to) this.keepAlive = false; // more bytes than Content-Length: the next response's framing is unknown
    if (this.remaining > 0) return;
    this.body = undefined;
    this.release(this.keepAlive);
    body.resolve(this.bodyLength);
  }

  /** Drops an unread body: the connection stays only when the whole body already arrived with the head. */
  private discard(): void {
    if (this.phase !== 'held') return;
    const arrived = this.pendingEnd - this.pendingStart;
    this.release(this.keepAlive && arrived === this.bodyLength);
  }

  /** The request is over: back to the pool, or closed. */
  private release(keep: boolean): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    this.signal = undefined;
    if (keep && this.pool.keep(this.target.origin, this)) {
      this.phase = 'idle';
      this.reused = true;
      this.socket.unref();
      this.socket.resume();
      return;
    }
    this.phase = 'closed';
    this.socket.destroy();
  }

  private badResponse(reason: string): VhdSourceError {
    return new VhdSourceError('BAD_RESPONSE', this.url, `${this.url} sent an unusable response: ${reason}`);
  }

  /** Ends the connection and rejects whatever waits on it with `error`. */
  private failWith(error: unknown, waiter = this.headWaiter): void {
    const body = this.body;
    this.headWaiter = undefined;
    this.body = undefined;
    if (this.phase !== 'closed') {
      this.phase = 'closed';
      this.failure = error;
      this.signal?.removeEventListener('abort', this.onAbort);
      this.signal = undefined;
      this.socket.destroy();
      this.pool.forget(this.target.origin, this);
    }
    waiter?.reject(error);
    body?.reject(error);
  }
}

/** Idle kept-alive connections, by origin. */
class ConnectionPool {
  private readonly idle = new Map<string, Connection[]>();

  take(origin: string): Connection | undefined {
    const connections = this.idle.get(origin) ?? [];
    for (let connection = connections.pop(); connection; connection = connections.pop()) {
      if (connection.usable) return connection;
    }
    return undefined;
  }

  /** Whether `connection` was kept (false when the origin has enough idle ones). */
  keep(origin: string, connection: Connection): boolean {
    const connections = this.idle.get(origin) ?? [];
    this.idle.set(origin, connections);
    if (connections.length >= MAX_IDLE_CONNECTIONS) return false;
    connections.push(connection);
    return true;
  }

  forget(origin: string, connection: Connection): void {
    const connections = this.idle.get(origin);
    const index = connections?.indexOf(connection) ?? -1;
    if (index >= 0) connections!.splice(index, 1);
  }
}

const HEADER_VALUE = /^[^\r\n\0]*$/;

/** Request line and Host for `url`, or undefined when this client does not handle it (not plain http, credentials). */
function targetOf(url: URL): Target | undefined {
  if (url.protocol !== 'http:' || url.username !== '' || url.password !== '') return undefined;
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === '' ? 80 : Number(url.port);
  return { origin: `${hostname}:${port}`, hostname, port, requestLines: `GET ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n` };
}

function headerLines(headers: Record<string, string>): string {
  let lines = '';
  for (const [name, value] of Object.entries(headers)) {
    if (!FIELD_NAME.test(name) || !HEADER_VALUE.test(value)) throw new TypeError(`invalid request header ${JSON.stringify(name)}`);
    lines += `${name}: ${value}\r\n`;
  }
  return lines;
}

/**
 * A RangeTransport for `http:` URLs over kept-alive sockets; `fallback` gets every request this client does not
 * handle (https, credentials in the URL) and, sent again, every response not framed by Content-Length.
 */
export function socketRangeTransport(fallback: RangeTransport): RangeTransport {
  const pool = new ConnectionPool();
  return async (request) => {
    const target = targetOf(new URL(request.url));
    if (!target) return fallback(request);
    const requestHead = `${target.requestLines}${headerLines(request.headers)}\r\n`;
    let connection = pool.take(target.origin) ?? new Connection(target, pool);
    let outcome: HeadOutcome;
    try {
      outcome = await connection.send(request, requestHead);
    } catch (error) {
      // A kept-alive connection the server closed before answering: one more try on a new one (GET is idempotent).
      if (!(error instanceof ConnectionFailure && error.beforeResponse && connection.reused) || request.signal?.aborted) throw error;
      connection = new Connection(target, pool);
      outcome = await connection.send(request, requestHead);
    }
    return outcome.kind === 'response' ? outcome.response : fallback(request);
  };
}
