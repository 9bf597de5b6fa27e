/**
 * The head of an HTTP/1.1 response (RFC 9112 §4-5): status line and header fields, decoded from the bytes before
 * the blank line. Pure: bytes in, fields out; the socket client drives it.
 */
import type { HttpHeaderLookup } from '@vhdkit/vhd-format';

/** A decoded response head, or why it cannot be used. */
export type ResponseHead =
  | {
      kind: 'head';
      status: number;
      statusText: string;
      headers: HttpHeaderLookup;
      /**
       * Body bytes that follow the head: `contentLength`, or undefined when the body is framed some other way
       * (chunked, until close) or the status is one this client leaves to node:http (1xx, 204, 304).
       */
      bodyLength: number | undefined;
      /** Whether the connection may carry another request after this body. */
      keepAlive: boolean;
    }
  | { kind: 'malformed'; reason: string };

const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([^\r\n]*))?$/;
/** A field name: RFC 9110 §5.6.2 token characters (responses read and requests sent check names alike). */
export const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const DIGITS = /^\d+$/;

class FieldMap implements HttpHeaderLookup {
  readonly fields = new Map<string, string>();

  add(name: string, value: string): void {
    const key = name.toLowerCase();
    const known = this.fields.get(key);
    this.fields.set(key, known === undefined ? value : `${known}, ${value}`);
  }

  get(name: string): string | null {
    return this.fields.get(name.toLowerCase()) ?? null;
  }
}

/** Content-Length, which may legally repeat one value ("5, 5"); undefined when absent, NaN when unusable. */
function contentLength(header: string | null): number {
  if (header === null) return Number.NaN;
  const values = new Set(header.split(',').map((value) => value.trim()));
  if (values.size !== 1) return Number.NaN;
  const [value] = values;
  if (!DIGITS.test(value!)) return Number.NaN;
  const length = Number(value);
  return Number.isSafeInteger(length) ? length : Number.NaN;
}

/** Whether the status has no body by definition (RFC 9112 §6.3), whatever the headers say. */
function hasNoBody(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}

/** Decodes `text` (the head as latin1, without the final blank line). */
export function parseResponseHead(text: string): ResponseHead {
  const lines = text.split('\r\n');
  const status = STATUS_LINE.exec(lines[0]!);
  if (!status) return { kind: 'malformed', reason: `the status line ${JSON.stringify(lines[0]!.slice(0, 80))} is not HTTP/1.x` };
  const headers = new FieldMap();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    // Folded lines (leading space) and bare LF or NUL are obsolete or hostile: refuse rather than guess.
    if (!FIELD_NAME.test(name) || /[\r\n\0]/.test(line)) return { kind: 'malformed', reason: `the header line ${JSON.stringify(line.slice(0, 80))} is malformed` };
    headers.add(name, line.slice(colon + 1).trim());
  }
  const code = Number(status[2]);
  const connection = (headers.get('connection') ?? '').toLowerCase().split(',').map((option) => option.trim());
  const keepAlive = status[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
  const length = contentLength(headers.get('content-length'));
  const framedByLength = headers.get('transfer-encoding') === null && !Number.isNaN(length) && !hasNoBody(code);
  return { kind: 'head', status: code, statusText: status[3] ?? '', headers, bodyLength: framedByLength ? length : undefined, keepAlive };
}
