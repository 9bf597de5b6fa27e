/**
 * httpSource's transport in Node. Plain http goes through this package's socket client (one reused read buffer per
 * connection); https, and responses that client leaves alone (not framed by Content-Length), go through
 * `node:http`/`node:https` with keep-alive agents. Node's global fetch (undici behind web streams) costs a promise
 * and a copy per body chunk; here each chunk is copied straight into the caller's buffer.
 */
import type { IncomingMessage } from 'node:http';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { BodyFiller } from '@vhdkit/vhd-format';
import type { HttpHeaderLookup, RangeResponse, RangeTransport } from '@vhdkit/vhd-format';
import { socketRangeTransport } from './http1-socket-transport.js';

/** One pool of kept-alive connections per process; httpSource itself bounds the requests in flight. */
const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

function headerLookup(response: IncomingMessage): HttpHeaderLookup {
  return {
    get(name: string): string | null {
      const value = response.headers[name.toLowerCase()];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}

/** Copies the body into `targets` as it arrives; stops (closing the connection) once it overflows. */
function readBodyInto(response: IncomingMessage, targets: readonly Uint8Array[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const filler = new BodyFiller(targets);
    const finish = (error?: Error): void => {
      response.off('data', onData);
      response.off('end', onEnd);
      response.off('error', onError);
      response.off('close', onClose);
      if (error) reject(error);
      else resolve(filler.received);
    };
    const onData = (chunk: Buffer): void => {
      if (filler.push(chunk)) return;
      response.destroy();
      finish();
    };
    const onEnd = (): void => finish();
    const onError = (error: Error): void => finish(error);
    // A connection cut mid-body ends in 'close' without 'end' (and, when aborted, after an 'error').
    const onClose = (): void => finish(response.complete ? undefined : new Error('the connection closed before the body ended'));
    response.on('data', onData);
    response.on('end', onEnd);
    response.on('error', onError);
    response.on('close', onClose);
  });
}

function rangeResponse(response: IncomingMessage): RangeResponse {
  return {
    status: response.statusCode ?? 0,
    statusText: response.statusMessage ?? '',
    headers: headerLookup(response),
    readBodyInto: (targets) => readBodyInto(response, targets),
    // An unread body may be a whole large file (a 200): closing the connection is cheaper than draining it.
    discard: () => response.destroy(),
  };
}

/** GET through `node:http(s)` with keep-alive; any other scheme is refused (httpSource only opens http(s) URLs). */
export const httpModuleTransport: RangeTransport = ({ url, headers, signal }) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    if (!secure && target.protocol !== 'http:') {
      reject(new Error(`${target.protocol} is not http(s)`));
      return;
    }
    const send = secure ? httpsRequest : httpRequest;
    const request = send(target, { method: 'GET', headers, agent: secure ? agents.https : agents.http, signal }, (response) => resolve(rangeResponse(response)));
    request.on('error', reject);
    request.end();
  });

/** httpSource's transport in Node: the socket client for http, node:http(s) for the rest. */
export const nodeHttpTransport: RangeTransport = socketRangeTransport(httpModuleTransport);
