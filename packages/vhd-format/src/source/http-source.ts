/**
 * A RandomAccessSource over HTTP(S) with `Range` requests, through the global `fetch` (browsers, workers, Node) or
 * a transport the caller hands in (vhd-diff's `node:http` one). Reads stream each body straight into the caller's
 * buffer (`readInto`), large reads as several ranges in flight.
 *
 * Opening asks for byte 0 (`Range: bytes=0-0`): the 206 answer's Content-Range gives the size and proves range
 * support, and its ETag (else Last-Modified) is pinned. Every read then carries If-Match/If-Range (or
 * If-Unmodified-Since/If-Range) with that validator and checks status, Content-Range and validator of the answer,
 * so a resource replaced under the reader is a SOURCE_CHANGED error, never a mix of two versions.
 */
import { conditionalHeaders, parseContentRange, validatorDiffers, validatorOf } from './http-range.js';
import type { Validator } from './http-range.js';
import type { RandomAccessSource, ReadOptions } from './random-access-source.js';
import { fetchTransport } from './http-transport.js';
import type { RangeResponse, RangeTransport } from './http-transport.js';
import { ReadAheadWindows } from './read-ahead.js';
import { RequestSlots } from './request-slots.js';
import { withRetries } from './retry.js';
import type { RetryPolicy } from './retry.js';
import { VhdSourceError } from './source-error.js';

/** How `httpSource` talks to the server: requests in flight, part and read-ahead sizes, retries, headers, fetch. */
export interface HttpSourceOptions {
  /** The fetch to use (default: the global one); for custom agents, proxies or tests. Ignored with `transport`. */
  fetch?: typeof globalThis.fetch;
  /**
   * How requests are sent (default: through `fetch`). A runtime with a faster client than its fetch passes one here
   * (vhd-diff uses `node:http` with a keep-alive agent); every response is still checked by httpSource.
   */
  transport?: RangeTransport;
  /** Sent with every request, e.g. `{ authorization: 'Bearer …' }`. */
  headers?: Record<string, string>;
  /** Requests in flight at once, over all reads (default 6, a browser's per-host limit over HTTP/1.1). */
  maxConcurrentRequests?: number;
  /**
   * Reads larger than this are split into ranges of this size fetched in parallel (default 4 MiB), so one large
   * read keeps several requests in flight.
   */
  partBytes?: number;
  /**
   * Read-ahead window (default 0: off). A read smaller than this fetches this many bytes from its offset, and the
   * next reads inside that range are served without a request: for readers that walk a file in small steps over a
   * link where each request costs a round trip. Four windows are kept.
   */
  readAheadBytes?: number;
  /** Retries of a request after a transient failure: a network error, 408, 429 or 5xx (default 3). */
  retries?: number;
  /** Delay before the first retry, doubled for each next one (default 100 ms, at most 2 s). */
  retryDelayMs?: number;
  /** Stops opening. */
  signal?: AbortSignal;
}

/** An opened HTTP resource. `name` is its absolute URL, against which a child's relative parent paths resolve. */
export interface HttpSource extends RandomAccessSource {
  readInto(target: Uint8Array, offset: number, options?: ReadOptions): Promise<void>;
  readGatheredInto(targets: readonly Uint8Array[], offset: number, options?: ReadOptions): Promise<void>;
  /** The validator pinned at open: what every read must still match. */
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
  close(): Promise<void>;
}

const DEFAULT_MAX_CONCURRENT_REQUESTS = 6;
const DEFAULT_PART_BYTES = 4 * 1024 * 1024;
const DEFAULT_RETRIES = 3;
const DEFAULT_RETRY_DELAY_MS = 100;
const MAX_RETRY_DELAY_MS = 2000;
const READ_AHEAD_WINDOWS = 4;

interface Settings {
  url: string;
  transport: RangeTransport;
  headers: Record<string, string>;
  retry: RetryPolicy;
}

function resolveUrl(location: string | URL): string {
  let url: URL;
  try {
    url = new URL(String(location), globalThis.location?.href);
  } catch (error) {
    throw new VhdSourceError('BAD_URL', String(location), `${String(location)} is not a URL`, { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new VhdSourceError('BAD_URL', url.href, `${url.href} is not an http(s) URL`);
  }
  return url.href;
}

function positiveInteger(value: number | undefined, fallback: number, name: string, url: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new VhdSourceError('OUT_OF_RANGE', url, `${name} must be a positive integer, got ${value}`);
  return value;
}

/** What a failed fetch or body read means: the caller aborted, the source closed, or the network failed. */
function requestFailure(error: unknown, url: string, offset: number, callerSignal: AbortSignal | undefined, closed?: AbortSignal): VhdSourceError {
  if (error instanceof VhdSourceError) return error;
  if (callerSignal?.aborted) return new VhdSourceError('ABORTED', url, `read at ${offset} aborted`, { offset, cause: callerSignal.reason });
  if (closed?.aborted) return new VhdSourceError('CLOSED', url, `${url} was closed during a read at ${offset}`, { offset });
  const detail = error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}` : String(error);
  return new VhdSourceError('NETWORK', url, `request for ${url} at ${offset} failed: ${detail}`, { offset, cause: error });
}

function statusError(response: RangeResponse, url: string, offset: number): VhdSourceError {
  return new VhdSourceError('HTTP_STATUS', url, `${url} answered ${response.status} ${response.statusText}`.trimEnd(), { offset, status: response.status });
}

/** A compressed body's Content-Range counts encoded bytes, not the file's; such a response cannot be used. */
function checkIdentityEncoding(response: RangeResponse, url: string, offset: number): void {
  const encoding = response.headers.get('content-encoding');
  if (encoding !== null && encoding.toLowerCase() !== 'identity') {
    response.discard();
    throw new VhdSourceError('BAD_RESPONSE', url, `${url} sent a ${encoding}-encoded range; byte ranges need the unencoded file`, { offset, status: response.status });
  }
}

function totalLength(targets: readonly Uint8Array[]): number {
  return targets.reduce((sum, target) => sum + target.length, 0);
}

/** The views of `targets` (taken as one run of bytes) that cover bytes `start` to `end` of the run. */
function sliceTargets(targets: readonly Uint8Array[], start: number, end: number): Uint8Array[] {
  const slices: Uint8Array[] = [];
  let at = 0;
  for (const target of targets) {
    const from = Math.max(start, at);
    const to = Math.min(end, at + target.length);
    if (from < to) slices.push(target.subarray(from - at, to - at));
    at += target.length;
  }
  return slices;
}

/** Streams the body into `targets` (exactly their total): more bytes are BAD_RESPONSE, fewer SHORT_READ. */
async function readBodyInto(response: RangeResponse, targets: readonly Uint8Array[], url: string, offset: number): Promise<void> {
  const length = totalLength(targets);
  const filled = await response.readBodyInto(targets);
  if (filled > length) {
    throw new VhdSourceError('BAD_RESPONSE', url, `${url} sent more than the ${length} bytes asked for at ${offset}`, { offset, status: response.status });
  }
  if (filled < length) {
    throw new VhdSourceError('SHORT_READ', url, `${url} sent ${filled} of the ${length} bytes asked for at ${offset}`, { offset, status: response.status });
  }
}

/** Opening: the size and validator from a one-byte range request. */
async function probe(settings: Settings, signal: AbortSignal | undefined): Promise<{ size: number; validator: Validator }> {
  const { url } = settings;
  return withRetries(settings.retry, signal, async () => {
    let response: RangeResponse;
    try {
      response = await settings.transport({ url, headers: { ...settings.headers, range: 'bytes=0-0', 'accept-encoding': 'identity' }, signal });
    } catch (error) {
      throw requestFailure(error, url, 0, signal);
    }
    const validator = validatorOf(response.headers);
    if (response.status === 200) {
      response.discard();
      throw new VhdSourceError('RANGES_UNSUPPORTED', url, `${url} ignores Range requests (it answered 200 with the whole file); random access needs a server that supports byte ranges`, { status: 200 });
    }
    if (response.status !== 206 && response.status !== 416) {
      response.discard();
      throw statusError(response, url, 0);
    }
    checkIdentityEncoding(response, url, 0);
    const range = parseContentRange(response.headers.get('content-range'));
    response.discard();
    if (range?.completeLength === undefined) {
      // In a browser, a cross-origin server must also list Content-Range in Access-Control-Expose-Headers.
      throw new VhdSourceError('RANGES_UNSUPPORTED', url, `${url} answered ${response.status} without a Content-Range that gives the size (cross-origin servers must expose Content-Range)`, { status: response.status });
    }
    // 416 to bytes=0-0 is what an empty resource gets.
    if (response.status === 416 ? range.completeLength !== 0 : range.first !== 0 || range.last !== 0) {
      throw new VhdSourceError('BAD_RESPONSE', url, `${url} answered bytes=0-0 with Content-Range ${response.headers.get('content-range')}`, { status: response.status });
    }
    return { size: range.completeLength, validator };
  });
}

class HttpRangeSource implements HttpSource {
  readonly name: string;
  readonly size: number;
  readonly modifiedTime: Date | undefined;
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
  private readonly closing = new AbortController();
  private readonly slots: RequestSlots;
  private readonly conditions: Record<string, string>;
  private readonly readAhead: ReadAheadWindows | undefined;

  constructor(
    private readonly settings: Settings,
    size: number,
    private readonly validator: Validator,
    maxConcurrentRequests: number,
    private readonly partBytes: number,
    readAheadBytes: number,
  ) {
    this.name = settings.url;
    this.size = size;
    this.etag = validator.etag;
    this.lastModified = validator.lastModified;
    const modified = validator.lastModified === undefined ? Number.NaN : Date.parse(validator.lastModified);
    this.modifiedTime = Number.isNaN(modified) ? undefined : new Date(modified);
    this.slots = new RequestSlots(maxConcurrentRequests);
    this.conditions = conditionalHeaders(validator);
    // A window is fetched for all the reads it will serve, so no one caller's signal may cancel it; close() can.
    this.readAhead =
      readAheadBytes > 0
        ? new ReadAheadWindows(readAheadBytes, READ_AHEAD_WINDOWS, size, async (offset, length) => {
            const window = new Uint8Array(length);
            await this.readRange(offset, [window], undefined);
            return window;
          })
        : undefined;
  }

  async read(offset: number, length: number, options: ReadOptions = {}): Promise<Uint8Array> {
    this.checkRead(offset, length, options.signal);
    if (this.readAhead?.covers(length)) return this.readAhead.read(offset, length, options.signal, () => this.aborted(offset, options.signal));
    const target = new Uint8Array(length);
    await this.readRange(offset, [target], options.signal);
    return target;
  }

  /** Fills `target` from `offset`: a large read streams each range's body straight into its slice of `target`. */
  readInto(target: Uint8Array, offset: number, options: ReadOptions = {}): Promise<void> {
    return this.readGatheredInto([target], offset, options);
  }

  async readGatheredInto(targets: readonly Uint8Array[], offset: number, options: ReadOptions = {}): Promise<void> {
    const length = totalLength(targets);
    this.checkRead(offset, length, options.signal);
    if (this.readAhead?.covers(length)) {
      const bytes = await this.readAhead.read(offset, length, options.signal, () => this.aborted(offset, options.signal));
      let at = 0;
      for (const target of targets) {
        target.set(bytes.subarray(at, at + target.length));
        at += target.length;
      }
      return;
    }
    await this.readRange(offset, targets, options.signal);
  }

  async close(): Promise<void> {
    this.closing.abort();
  }

  private checkRead(offset: number, length: number, signal: AbortSignal | undefined): void {
    const url = this.name;
    if (this.closing.signal.aborted) throw new VhdSourceError('CLOSED', url, `${url} is closed`, { offset });
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
      throw new VhdSourceError('OUT_OF_RANGE', url, `cannot read ${length} bytes at ${offset} from ${url} (${this.size} bytes)`, { offset });
    }
    if (signal?.aborted) throw this.aborted(offset, signal);
  }

  private aborted(offset: number, signal: AbortSignal | undefined): VhdSourceError {
    return new VhdSourceError('ABORTED', this.name, `read at ${offset} aborted`, { offset, cause: signal?.reason });
  }

  /** Fills `targets` with the range from `offset`: one request, or parts of `partBytes` in parallel. */
  private async readRange(offset: number, targets: readonly Uint8Array[], signal: AbortSignal | undefined): Promise<void> {
    const length = totalLength(targets);
    // The first failing part fails the read and stops its siblings; later failures are consequences.
    const siblings = new AbortController();
    let firstFailure: unknown;
    const parts: Promise<void>[] = [];
    for (let start = 0; start < length; start += this.partBytes) {
      const part = sliceTargets(targets, start, Math.min(length, start + this.partBytes));
      parts.push(
        this.readPart(offset + start, part, signal, siblings.signal).catch((error: unknown) => {
          if (!siblings.signal.aborted) firstFailure = error;
          siblings.abort();
        }),
      );
    }
    // Every part settles before the read does, so no request outlives the read that made it.
    await Promise.all(parts);
    if (siblings.signal.aborted) throw firstFailure;
  }

  /** One range request (with retries) into its slice of the read's buffer. */
  private async readPart(offset: number, targets: readonly Uint8Array[], callerSignal: AbortSignal | undefined, siblingFailed: AbortSignal): Promise<void> {
    const url = this.name;
    const signal = AbortSignal.any(callerSignal ? [callerSignal, this.closing.signal, siblingFailed] : [this.closing.signal, siblingFailed]);
    let release: () => void;
    try {
      release = await this.slots.acquire(signal);
    } catch (error) {
      throw requestFailure(error, url, offset, callerSignal, this.closing.signal);
    }
    try {
      await withRetries(this.settings.retry, signal, () => this.fetchRange(offset, targets, signal, callerSignal));
    } catch (error) {
      throw requestFailure(error, url, offset, callerSignal, this.closing.signal);
    } finally {
      release();
    }
  }

  private async fetchRange(offset: number, targets: readonly Uint8Array[], signal: AbortSignal, callerSignal: AbortSignal | undefined): Promise<void> {
    const url = this.name;
    const last = offset + totalLength(targets) - 1;
    let response: RangeResponse;
    try {
      response = await this.settings.transport({
        url,
        headers: { ...this.settings.headers, ...this.conditions, range: `bytes=${offset}-${last}`, 'accept-encoding': 'identity' },
        signal,
      });
    } catch (error) {
      throw requestFailure(error, url, offset, callerSignal, this.closing.signal);
    }
    this.checkResponse(response, offset, last);
    try {
      await readBodyInto(response, targets, url, offset);
    } catch (error) {
      throw requestFailure(error, url, offset, callerSignal, this.closing.signal);
    }
  }

  /** Throws (after dropping the body) unless `response` is exactly the asked range of the pinned version. */
  private checkResponse(response: RangeResponse, offset: number, last: number): void {
    const url = this.name;
    const changed = (why: string): VhdSourceError => {
      response.discard();
      return new VhdSourceError('SOURCE_CHANGED', url, `${url} changed since it was opened (${why}); its bytes can no longer be read consistently`, { offset, status: response.status });
    };
    if (validatorDiffers(this.validator, validatorOf(response.headers))) throw changed('its ETag or Last-Modified differs');
    // If-Match / If-Unmodified-Since failed, or the resource shrank below the range.
    if (response.status === 412 || response.status === 416) throw changed(`the server answered ${response.status}`);
    if (response.status === 200) {
      // If-Range with a validator that no longer matches makes the server send the whole (new) file.
      if (this.conditions['if-range'] !== undefined) throw changed('the server answered a conditional range request with the whole file');
      response.discard();
      throw new VhdSourceError('RANGES_UNSUPPORTED', url, `${url} answered a range request with the whole file`, { offset, status: 200 });
    }
    if (response.status !== 206) {
      response.discard();
      throw statusError(response, url, offset);
    }
    checkIdentityEncoding(response, url, offset);
    const range = parseContentRange(response.headers.get('content-range'));
    if (range?.completeLength !== undefined && range.completeLength !== this.size) throw changed(`its size is now ${range.completeLength}`);
    if (range?.first !== offset || range.last !== last) {
      response.discard();
      throw new VhdSourceError('BAD_RESPONSE', url, `${url} answered bytes=${offset}-${last} with Content-Range ${String(response.headers.get('content-range'))}`, { offset, status: 206 });
    }
  }
}

/**
 * Opens `url` for random access. Rejects with a VhdSourceError: RANGES_UNSUPPORTED when the server does not
 * serve byte ranges, HTTP_STATUS for an error status (404, 401…), NETWORK when unreachable (after retries),
 * BAD_URL, ABORTED.
 */
export async function httpSource(url: string | URL, options: HttpSourceOptions = {}): Promise<HttpSource> {
  const resolved = resolveUrl(url);
  const settings: Settings = {
    url: resolved,
    transport: options.transport ?? fetchTransport(options.fetch ?? globalThis.fetch.bind(globalThis)),
    headers: { ...options.headers },
    retry: {
      retries: options.retries ?? DEFAULT_RETRIES,
      baseDelayMs: options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
      maxDelayMs: MAX_RETRY_DELAY_MS,
    },
  };
  if (!Number.isSafeInteger(settings.retry.retries) || settings.retry.retries < 0) {
    throw new VhdSourceError('OUT_OF_RANGE', resolved, `retries must be a non-negative integer, got ${settings.retry.retries}`);
  }
  const maxConcurrentRequests = positiveInteger(options.maxConcurrentRequests, DEFAULT_MAX_CONCURRENT_REQUESTS, 'maxConcurrentRequests', resolved);
  const partBytes = positiveInteger(options.partBytes, DEFAULT_PART_BYTES, 'partBytes', resolved);
  const readAheadBytes = options.readAheadBytes === 0 ? 0 : positiveInteger(options.readAheadBytes, 0, 'readAheadBytes', resolved);
  if (options.signal?.aborted) throw new VhdSourceError('ABORTED', resolved, `opening ${resolved} aborted`, { cause: options.signal.reason });
  const { size, validator } = await probe(settings, options.signal);
  return new HttpRangeSource(settings, size, validator, maxConcurrentRequests, partBytes, readAheadBytes);
}
