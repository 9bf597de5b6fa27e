/** The HTTP/1.1 response head decoder behind the socket client: framing, keep-alive and what it refuses. */
import { describe, expect, it } from 'vitest';
import { parseResponseHead } from '../src/http1-response-head.js';
import type { ResponseHead } from '../src/http1-response-head.js';

function head(text: string): Extract<ResponseHead, { kind: 'head' }> {
  const parsed = parseResponseHead(text);
  if (parsed.kind !== 'head') throw new Error(`expected a head, got: ${parsed.reason}`);
  return parsed;
}

describe('parseResponseHead', () => {
  it('reads status, reason and fields (names case-insensitive, repeated fields joined, values trimmed)', () => {
    const parsed = head('HTTP/1.1 206 Partial Content\r\nContent-Range:  bytes 0-9/100 \r\nContent-Length: 10\r\nX-A: 1\r\nx-a: 2');
    expect(parsed.status).toBe(206);
    expect(parsed.statusText).toBe('Partial Content');
    expect(parsed.headers.get('content-range')).toBe('bytes 0-9/100');
    expect(parsed.headers.get('X-A')).toBe('1, 2');
    expect(parsed.headers.get('etag')).toBeNull();
    expect(parsed.bodyLength).toBe(10);
    expect(head('HTTP/1.1 404').statusText).toBe('');
  });

  it.each([
    ['Content-Length: 10', 10],
    ['Content-Length: 0', 0],
    ['Content-Length: 10, 10', 10],
    ['Content-Length: 10\r\nContent-Length: 10', 10],
    ['Content-Length: 10, 11', undefined],
    ['Content-Length: -1', undefined],
    ['Content-Length: 1e3', undefined],
    ['Content-Length: 99999999999999999999', undefined],
    ['Transfer-Encoding: chunked', undefined],
    ['Transfer-Encoding: chunked\r\nContent-Length: 10', undefined],
    ['X-None: 1', undefined],
  ])('a 206 with %j has a body of %j bytes here (undefined: left to node:http)', (fields, length) => {
    expect(head(`HTTP/1.1 206 Partial Content\r\n${fields}`).bodyLength).toBe(length);
  });

  it.each([100, 103, 204, 304])('status %i has no body by definition: left to node:http', (status) => {
    expect(head(`HTTP/1.1 ${status} X\r\nContent-Length: 10`).bodyLength).toBeUndefined();
  });

  it.each([
    ['HTTP/1.1 206 OK', true],
    ['HTTP/1.1 206 OK\r\nConnection: close', false],
    ['HTTP/1.1 206 OK\r\nConnection: Upgrade, Close', false],
    ['HTTP/1.0 206 OK', false],
    ['HTTP/1.0 206 OK\r\nConnection: keep-alive', true],
  ])('%j keeps the connection: %j', (text, keepAlive) => {
    expect(head(`${text}\r\nContent-Length: 1`).keepAlive).toBe(keepAlive);
  });

  it.each([
    'HTTP/2 206 Partial Content',
    'HTTP/1.1 20 Short',
    'HTTP/1.1 099 Low',
    'ICY 200 OK',
    'HTTP/1.1 206 OK\r\n folded: continuation',
    'HTTP/1.1 206 OK\r\nno colon here',
    'HTTP/1.1 206 OK\r\nbad name: x',
    'HTTP/1.1 206 OK\r\n: empty name',
    'HTTP/1.1 206 OK\r\nx: a\nb',
    'HTTP/1.1 206 OK\r\nx: a\0b',
  ])('%j is malformed', (text) => {
    expect(parseResponseHead(text).kind).toBe('malformed');
  });
});
