// A small static HTTP server for the built page and for images to open by URL: the page's CSP as a header,
// single-range GET/HEAD with an ETag and Last-Modified (what httpSource needs), and nothing outside the mounts.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

/** The Content-Security-Policy the page is served with: no inline scripts or styles, no eval. */
export const PAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'";

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/**
 * Serves each mount (URL prefix → folder, or → one file) on `host`:`port` (0: any free port).
 * @param {{ mounts: Record<string, string>, host?: string, port?: number, csp?: string }} options
 * @returns {Promise<{ url: string, close: () => Promise<void> }>}
 */
export async function startStaticServer({ mounts, host = '127.0.0.1', port = 0, csp = PAGE_CSP }) {
  const prefixes = Object.keys(mounts).toSorted((a, b) => b.length - a.length);
  const server = createServer((request, response) => {
    serve(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });

  async function serve(request, response) {
    response.setHeader('Content-Security-Policy', csp);
    response.setHeader('X-Content-Type-Options', 'nosniff');
    if (request.method !== 'GET' && request.method !== 'HEAD') return answer(response, 405);
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const file = resolveFile(path);
    if (!file) return answer(response, 404);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return answer(response, 404);
    const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    response.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
    response.setHeader('Accept-Ranges', 'bytes');
    response.setHeader('ETag', etag);
    response.setHeader('Last-Modified', info.mtime.toUTCString());
    response.setHeader('Cache-Control', 'no-cache');
    const ifMatch = request.headers['if-match'];
    if (ifMatch && ifMatch !== '*' && !ifMatch.split(',').some((tag) => tag.trim() === etag)) return answer(response, 412);
    const range = parseRange(request.headers.range, info.size);
    const ifRange = request.headers['if-range'];
    const rangeApplies = range !== undefined && (!ifRange || ifRange === etag || ifRange === info.mtime.toUTCString());
    if (range === null) {
      response.setHeader('Content-Range', `bytes */${info.size}`);
      return answer(response, 416);
    }
    if (!rangeApplies) {
      response.writeHead(200, { 'Content-Length': info.size });
      return pipe(request, response, file, 0, info.size - 1);
    }
    response.writeHead(206, { 'Content-Length': range.end - range.start + 1, 'Content-Range': `bytes ${range.start}-${range.end}/${info.size}` });
    return pipe(request, response, file, range.start, range.end);
  }

  function resolveFile(path) {
    const prefix = prefixes.find((candidate) => path === candidate || path.startsWith(candidate.endsWith('/') ? candidate : `${candidate}/`));
    if (prefix === undefined) return undefined;
    const target = mounts[prefix];
    const rest = path.slice(prefix.length).replace(/^\/+/, '');
    if (!prefix.endsWith('/')) return rest === '' ? target : undefined;
    const file = normalize(join(target, rest === '' ? 'index.html' : rest));
    return file.startsWith(normalize(target + sep)) ? file : undefined;
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  return {
    url: `http://${host}:${address.port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** undefined: no (usable) Range header; null: unsatisfiable; else one inclusive range. */
function parseRange(header, size) {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  let start;
  let end;
  if (match[1] === '') {
    start = Math.max(size - Number(match[2]), 0);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  return start > end || start >= size ? null : { start, end };
}

function answer(response, status) {
  response.writeHead(status);
  response.end();
}

function pipe(request, response, file, start, endInclusive) {
  if (request.method === 'HEAD' || endInclusive < start) {
    response.end();
    return;
  }
  createReadStream(file, { start, end: endInclusive }).pipe(response);
}
