// Case 7: over HTTP from a local nginx, a 1 GiB chain (an empty child over a fully written parent) read through
// openDisk(url) and copyDiskTo, against `curl -s -o /dev/null` of the raw file from the same server; and in the browser, the inspector page opening a 2040 GiB sparse image's
// metadata (its own performance.now() figure).
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { NGINX_BINARY, startNginx } from '../../test-support/src/nginx-server.mjs';
import { startInspector } from '../lib/browser-open.mjs';
import { childOverFullParent } from '../lib/chains.mjs';
import { MIB } from '../lib/images.mjs';
import { ours } from '../lib/ours.mjs';
import { timedProcess, toolVersion } from '../lib/processes.mjs';
import { absoluteTarget, ratioTarget, throughputRow, timeRow, unavailableRow } from '../lib/results.mjs';
import { describeError, measureInterleaved } from '../lib/timing.mjs';

/** Reads the whole chain whose top is at `url` with openDisk and copyDiskTo into `destination` (default: nowhere). */
export async function readChainOverHttp(url, destination = new Writable({ write: (_chunk, _encoding, done) => done() })) {
  const { openDisk, copyDiskTo } = ours('diff', ['openDisk', 'copyDiskTo']);
  const disk = await openDisk(url);
  try {
    return await copyDiskTo(disk, destination);
  } finally {
    await disk.close();
  }
}

/** The inspector's open of a 2040 GiB sparse image, one fresh page per run; the row, or why there is none. */
async function browserOpenRow(ctx) {
  const label = 'open a 2040 GiB sparse image\'s metadata in the browser (inspector page, fresh page per run)';
  const tool = 'ours (inspector in headless chromium, figure measured in the page)';
  let inspector;
  try {
    const { createDynamicDisk } = ours('diff', ['createDynamicDisk']);
    const path = join(ctx.workDir, 'sparse-2040-gib.vhd');
    await createDynamicDisk(path, 2040 * 1024 * MIB);
    inspector = await startInspector();
    const outcomes = await measureInterleaved([{ key: 'page', run: async () => ({ measured: await inspector.open(path) }) }], { runs: ctx.runs(9, 5), warmup: 1 });
    return timeRow(label, tool, outcomes.get('page'));
  } catch (error) {
    return unavailableRow(label, tool, describeError(error));
  } finally {
    await inspector?.stop();
  }
}

function nginxRuns() {
  // `nginx -v` prints to stderr; toolVersion is undefined only when it cannot run.
  return toolVersion(NGINX_BINARY, ['-v']) !== undefined;
}

export async function run(ctx) {
  const sizeBytes = ctx.imageBytes;
  const label = `read a ${sizeBytes / MIB} MiB file over HTTP from local nginx`;
  const chainLabel = `read a ${sizeBytes / MIB} MiB chain (empty child over a full parent) over HTTP from local nginx`;
  const notes = [
    'nginx (Debian nginx-light) serves the bench work folder on 127.0.0.1; the files are in the page cache. httpSource opens with a bytes=0-0 request and pins the ETag; every read is a conditional Range request. In Node, openDisk(url) sends them through vhd-diff\'s nodeHttpTransport: a minimal HTTP/1.1 client on kept-alive sockets that read into one reused buffer each (node:http only for https and responses not framed by Content-Length).',
    'The browser row is the inspector page\'s own performance.now() figure around opening the metadata (footer, header, BAT read and validated), without drawing or checking; each run loads the page afresh.',
  ];
  const rows = [];
  const unavailable = new Map();
  const browserRow = await browserOpenRow(ctx);
  const browserTarget = absoluteTarget('browser: open a 2040 GiB sparse image\'s metadata in the page (issue 12: < 100 ms)', browserRow, '<', 100, 'ms');
  if (!nginxRuns()) {
    return { rows: [unavailableRow(label, 'all', `${NGINX_BINARY} not runnable (npm run setup:interop)`, 'MiB/s'), browserRow], targets: [browserTarget], notes };
  }
  const chain = await childOverFullParent(ctx, sizeBytes);
  const { rawPath, rawSha256 } = chain;
  const server = await startNginx(dirname(rawPath));
  try {
    const url = server.url('ranges', basename(rawPath));
    const chainUrl = server.url('ranges', basename(chain.paths[0]));
    const contestants = [];
    try {
      const hash = createHash('sha256');
      const hashing = new Writable({
        write: (chunk, _encoding, done) => {
          hash.update(chunk);
          done();
        },
      });
      const bytes = await readChainOverHttp(chainUrl, hashing);
      const right = bytes === sizeBytes && hash.digest('hex') === rawSha256;
      notes.push(`ours-chain: ${right ? 'content verified against the raw file (sha256)' : `read WRONG content (${bytes} bytes)`}.`);
      contestants.push({ key: 'ours-chain', inputs: chain.paths, run: () => readChainOverHttp(chainUrl) });
    } catch (error) {
      unavailable.set('ours-chain', describeError(error));
    }
    if (toolVersion('curl') === undefined) unavailable.set('curl', 'curl is not installed');
    else contestants.push({ key: 'curl', spawns: true, inputs: [rawPath], run: () => timedProcess('curl', ['-s', '-f', '-o', '/dev/null', url]) });

    const outcomes = await measureInterleaved(contestants, { runs: ctx.runs(5, 3), warmup: 1 });
    const row = (key, tool, rowLabel = label) =>
      unavailable.has(key) ? unavailableRow(rowLabel, tool, unavailable.get(key), 'MiB/s') : throughputRow(rowLabel, tool, outcomes.get(key), sizeBytes);
    const byKey = Object.fromEntries([
      ['ours-chain', row('ours-chain', 'ours (openDisk(url) + copyDiskTo, socket HTTP client)', chainLabel)],
      ['curl', row('curl', 'curl -s -o /dev/null of the raw file (whole process)')],
    ]);
    rows.push(...Object.values(byKey), browserRow);
    const targets = [
      ratioTarget('HTTP chain read (openDisk(url) + copyDiskTo) vs curl of the raw parent (throughput ratio; issue 12: >= 0.5)', byKey['ours-chain'], byKey.curl, '>=', 0.5),
      browserTarget,
    ];
    return { rows, targets, notes };
  } finally {
    await server.stop();
  }
}
