/**
 * The one HTTP call httpSource makes: a GET with headers whose body is streamed into the caller's memory. The
 * default transport is the global `fetch` (browsers, workers); a runtime with a faster client (Node's `node:http`
 * with a keep-alive agent, in vhd-diff) hands in its own. Every check of status, Content-Range and validator stays
 * in httpSource, whatever the transport.
 */

/** Response header lookup, case-insensitive (`Headers` has this shape). */
export interface HttpHeaderLookup {
  get(name: string): string | null;
}

/** One request: the absolute URL, the headers to send (lower-case names) and what cancels it. */
export interface RangeRequest {
  url: string;
  headers: Record<string, string>;
  signal?: AbortSignal;
}

/** A response whose body has not been read yet. */
export interface RangeResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: HttpHeaderLookup;
  /**
   * Streams the body into `targets`, filling each in turn, and resolves with the number of body bytes seen. Once
   * the body holds more than the targets' total it stops, drops the rest and resolves with a number above that
   * total (the caller reports it). Rejects when the connection fails or the request is aborted.
   */
  readBodyInto(targets: readonly Uint8Array[]): Promise<number>;
  /** Drops a body that will not be read, so the connection is freed (never throws). */
  discard(): void;
}

/** Sends one GET; rejects only when no response arrives (network failure, abort). */
export type RangeTransport = (request: RangeRequest) => Promise<RangeResponse>;

/**
 * Copies a body's chunks, as they arrive, into consecutive caller buffers. `push` returns false once the body
 * exceeds their total (then `received` counts the overflowing chunk too).
 */
export class BodyFiller {
  /** Body bytes seen so far. */
  received = 0;
  private index = 0;
  private at = 0;
  private readonly capacity: number;

  constructor(private readonly targets: readonly Uint8Array[]) {
    this.capacity = targets.reduce((sum, target) => sum + target.length, 0);
  }

  push(chunk: Uint8Array): boolean {
    this.received += chunk.length;
    if (this.received > this.capacity) return false;
    let from = 0;
    while (from < chunk.length) {
      const target = this.targets[this.index]!;
      const count = Math.min(target.length - this.at, chunk.length - from);
      target.set(count === chunk.length ? chunk : chunk.subarray(from, from + count), this.at);
      from += count;
      this.at += count;
      if (this.at === target.length) {
        this.index++;
        this.at = 0;
      }
    }
    return true;
  }
}

/** A transport over a `fetch` function (the global one by default). */
export function fetchTransport(fetch: typeof globalThis.fetch): RangeTransport {
  return async ({ url, headers, signal }) => {
    const response = await fetch(url, { headers, signal });
    return {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
      readBodyInto: (targets) => readFetchBody(response, new BodyFiller(targets)),
      discard: () => {
        response.body?.cancel().catch(() => undefined);
      },
    };
  };
}

async function readFetchBody(response: Response, filler: BodyFiller): Promise<number> {
  if (!response.body) return 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return filler.received;
    if (!filler.push(value)) {
      reader.cancel().catch(() => undefined);
      return filler.received;
    }
  }
}
