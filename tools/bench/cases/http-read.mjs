// Case 7: read a 1 GiB file over HTTP from a local nginx: our httpSource (Range requests through fetch) against
// `curl -s -o /dev/null` of the same URL. Chain reading over HTTP needs the chain resolver over RandomAccessSource;
// until then this measures the source alone, the part that HTTP adds.
import { createHash } from 'node:crypto';
import { basename, dirname } from 'node:path';
import { NGINX_BINARY, startNginx } from '../../test-support/src/nginx-server.mjs';
import { fullParent } from '../lib/chains.mjs';
import { MIB } from '../lib/images.mjs';
import { ours } from '../lib/ours.mjs';
import { timedProcess, toolVersion } from '../lib/processes.mjs';
import { ratioTarget, throughputRow, unavailableRow } from '../lib/results.mjs';
import { describeError, measureInterleaved } from '../lib/timing.mjs';

/** How our reader walks the file: `readBytes` per read, `window` reads in flight (each split into 4 MiB parts). */
const READERS = [
  { key: 'ours-window', tool: 'ours (httpSource, 4 reads of 16 MiB in flight)', readBytes: 16 * MIB, window: 4 },
  { key: 'ours-sequential', tool: 'ours (httpSource, one 16 MiB read at a time)', readBytes: 16 * MIB, window: 1 },
];

/**
 * Reads the whole resource at `url` through httpSource with `window` reads in flight; `consume` gets the chunks in
 * file order. Returns the bytes read.
 */
export async function readOverHttp(url, { readBytes, window }, consume = () => {}) {
  const { httpSource } = ours('format', ['httpSource']);
  const source = await httpSource(url);
  const done = new Map();
  let nextOffset = 0;
  let consumedUpTo = 0;
  const worker = async () => {
    while (nextOffset < source.size) {
      const offset = nextOffset;
      nextOffset += readBytes;
      done.set(offset, await source.read(offset, Math.min(readBytes, source.size - offset)));
      for (let chunk = done.get(consumedUpTo); chunk; chunk = done.get(consumedUpTo)) {
        done.delete(consumedUpTo);
        consume(chunk);
        consumedUpTo += chunk.length;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: window }, worker));
  } finally {
    await source.close();
  }
  return consumedUpTo;
}

function nginxRuns() {
  // `nginx -v` prints to stderr; toolVersion is undefined only when it cannot run.
  return toolVersion(NGINX_BINARY, ['-v']) !== undefined;
}

export async function run(ctx) {
  const sizeBytes = ctx.imageBytes;
  const label = `read a ${sizeBytes / MIB} MiB file over HTTP from local nginx`;
  const notes = [
    'nginx (Debian nginx-light) serves the bench work folder on 127.0.0.1; the file is in the page cache. httpSource opens with a bytes=0-0 request and pins the ETag; every read is a conditional Range request.',
  ];
  const rows = [];
  const unavailable = new Map();
  if (!nginxRuns()) return { rows: [unavailableRow(label, 'all', `${NGINX_BINARY} not runnable (npm run setup:interop)`, 'MiB/s')], targets: [], notes };
  const { rawPath, rawSha256 } = await fullParent(ctx, sizeBytes);
  const server = await startNginx(dirname(rawPath));
  try {
    const url = server.url('ranges', basename(rawPath));
    const contestants = [];
    for (const reader of READERS) {
      try {
        // Content check first (untimed): a fast wrong answer is not a result.
        const hash = createHash('sha256');
        const bytes = await readOverHttp(url, reader, (chunk) => hash.update(chunk));
        const right = bytes === sizeBytes && hash.digest('hex') === rawSha256;
        notes.push(`${reader.key}: ${right ? 'content verified against the raw file (sha256)' : `read WRONG content (${bytes} bytes)`}.`);
        contestants.push({ key: reader.key, run: () => readOverHttp(url, reader) });
      } catch (error) {
        unavailable.set(reader.key, describeError(error));
      }
    }
    if (toolVersion('curl') === undefined) unavailable.set('curl', 'curl is not installed');
    else contestants.push({ key: 'curl', spawns: true, run: () => timedProcess('curl', ['-s', '-f', '-o', '/dev/null', url]) });

    const outcomes = await measureInterleaved(contestants, { runs: ctx.runs(5, 3), warmup: 1 });
    const row = (key, tool) => (unavailable.has(key) ? unavailableRow(label, tool, unavailable.get(key), 'MiB/s') : throughputRow(label, tool, outcomes.get(key), sizeBytes));
    const byKey = Object.fromEntries([...READERS.map(({ key, tool }) => [key, row(key, tool)]), ['curl', row('curl', 'curl -s -o /dev/null (whole process)')]]);
    rows.push(...Object.values(byKey));
    const targets = [
      { ...ratioTarget('httpSource (4 reads in flight) vs curl (throughput ratio; the issue sets >= 0.5 for a chain read over HTTP)', byKey['ours-window'], byKey.curl, '>=', 0.5), informational: true },
      { ...ratioTarget('httpSource (one read at a time) vs curl (throughput ratio; not an issue target)', byKey['ours-sequential'], byKey.curl, '>=', 0.5), informational: true },
    ];
    return { rows, targets, notes };
  } finally {
    await server.stop();
  }
}
