// Case 3: read a whole chain to /dev/null. Ours (in-process stream and `vpc cat`) vs qemu-img convert of the
// equivalent single image to QEMU's null driver, vs vhd-lib's stream of the same chain, vs cat of the raw file.
import { spawn } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import { measureInterleaved, describeError } from '../lib/timing.mjs';
import { timedProcess } from '../lib/processes.mjs';
import { ours, ourCli, NotAvailable } from '../lib/ours.mjs';
import { childOverFullParent, threeDeepChain } from '../lib/chains.mjs';
import { MIB, createHashingSink, createSink } from '../lib/images.mjs';
import { ratioTarget, throughputRow, unavailableRow } from '../lib/results.mjs';

/** Reads the chain whose top is `topPath` through our openDisk into `sink`; returns bytes read. */
export async function readWithOurs(topPath, sink) {
  const { openDisk } = ours('diff', ['openDisk']);
  const disk = await openDisk(topPath);
  try {
    await pipeline(disk.createReadStream(), sink);
  } finally {
    await disk.close();
  }
  return sink.bytes;
}

/** vhd-lib 0.7.2 streams a chain as one synthetic dynamic VHD (createSyntheticStream, paths top-first). */
export async function readWithVhdLib(vhdLib, handler, paths, sink) {
  const stream = await vhdLib.createSyntheticStream(handler, paths);
  await pipeline(stream, sink);
  return sink.bytes;
}

export function qemuConvertToNullArgs(imagePath, sizeBytes) {
  // QEMU cannot convert to /dev/null (it cannot grow a device file); its null-co driver is the same sink.
  return ['convert', '-n', '-f', 'vpc', imagePath, '--target-image-opts', `driver=null-co,size=${sizeBytes}`];
}

/** sha256 of `vpc cat <top>`'s standard output. */
function cliContentSha256(cli, topPath) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'cat', topPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    const sink = createHashingSink();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text) => (stderr += text));
    const piped = pipeline(child.stdout, sink);
    child.on('close', async (code) => {
      try {
        await piped;
        if (code === 0) resolve(sink.digest());
        else reject(new Error(`vpc cat exited with ${code}: ${stderr.trim().split('\n').pop()}`));
      } catch (error) {
        reject(error);
      }
    });
  });
}

async function measureChain(ctx, chainLabel, chain) {
  const { paths, singleImagePath, rawPath, rawSha256, sizeBytes } = chain;
  const topPath = paths[0];
  const contestants = [];
  const unavailable = new Map();
  const notes = [];

  // Content check first (untimed): a fast wrong answer is not a result.
  try {
    const sink = createHashingSink();
    await readWithOurs(topPath, sink);
    if (sink.digest() !== rawSha256 || sink.bytes !== sizeBytes) {
      notes.push(`${chainLabel}: ours (API) read WRONG content (${sink.bytes} bytes, sha256 differs from the expected raw file).`);
    } else {
      notes.push(`${chainLabel}: ours (API) content verified against the expected raw file (sha256).`);
    }
    contestants.push({ key: 'ours-api', run: () => readWithOurs(topPath, createSink()) });
  } catch (error) {
    unavailable.set('ours-api', describeError(error));
  }
  try {
    const cli = ourCli();
    const digest = await cliContentSha256(cli, topPath);
    notes.push(`${chainLabel}: vpc cat content ${digest === rawSha256 ? 'verified' : 'WRONG (sha256 differs)'}.`);
    contestants.push({ key: 'ours-cli', spawns: true, run: () => timedProcess(process.execPath, [cli, 'cat', topPath]) });
  } catch (error) {
    unavailable.set('ours-cli', error instanceof NotAvailable ? error.message : describeError(error));
  }
  contestants.push({ key: 'qemu-img', spawns: true, run: () => timedProcess('qemu-img', qemuConvertToNullArgs(singleImagePath, sizeBytes)) });
  if (ctx.vhdLib.available) {
    contestants.push({ key: 'vhd-lib', run: () => readWithVhdLib(ctx.vhdLib.lib, ctx.handler, paths, createSink()) });
  } else {
    unavailable.set('vhd-lib', ctx.vhdLib.reason);
  }
  contestants.push({ key: 'cat', spawns: true, run: () => timedProcess('cat', [rawPath]) });

  const outcomes = await measureInterleaved(contestants, { runs: ctx.runs(3, 3), warmup: 1 });
  const label = `${chainLabel}, ${sizeBytes / MIB} MiB`;
  const row = (key, tool) =>
    unavailable.has(key) ? unavailableRow(label, tool, unavailable.get(key), 'MiB/s') : throughputRow(label, tool, outcomes.get(key), sizeBytes);
  const rows = {
    oursApi: row('ours-api', 'ours (openDisk().createReadStream)'),
    oursCli: row('ours-cli', 'ours (vpc cat > /dev/null)'),
    qemu: row('qemu-img', 'qemu-img convert (single image) → null'),
    vhdLib: row('vhd-lib', `${ctx.vhdLibLabel} createSyntheticStream`),
    cat: row('cat', 'cat raw file > /dev/null'),
  };
  const targets = [
    ratioTarget(`${chainLabel}: ours API vs qemu-img (throughput ratio)`, rows.oursApi, rows.qemu, '>=', 1.0),
    ratioTarget(`${chainLabel}: vpc cat vs qemu-img (throughput ratio)`, rows.oursCli, rows.qemu, '>=', 1.0),
    ratioTarget(`${chainLabel}: ours API vs vhd-lib (throughput ratio)`, rows.oursApi, rows.vhdLib, '>=', 2.0),
    ratioTarget(`${chainLabel}: ours API vs cat (throughput ratio)`, rows.oursApi, rows.cat, '>=', 0.5),
    ratioTarget(`${chainLabel}: vpc cat vs cat (throughput ratio)`, rows.oursCli, rows.cat, '>=', 0.5),
  ];
  return { rows: Object.values(rows), targets, notes, oursApiRow: rows.oursApi };
}

export async function run(ctx) {
  const sizeBytes = ctx.imageBytes;
  const rows = [];
  const targets = [];
  const notes = [
    'Files are read from the page cache (one warm-up round first). Throughput = virtual size / wall time.',
    'vhd-lib 0.7.2 has no raw reader for a chain; createSyntheticStream emits the chain as one dynamic VHD (the same data plus a 512-byte bitmap per block), the nearest job it does. Its output is VHD-formatted, so it is not content-checked here.',
  ];
  for (const [chainLabel, make] of [
    ['child over fully written parent', childOverFullParent],
    ['3-deep chain, scattered writes', threeDeepChain],
  ]) {
    let chain;
    try {
      chain = await make(ctx, sizeBytes);
    } catch (error) {
      const reason = describeError(error);
      rows.push(unavailableRow(chainLabel, 'ours', `chain not made: ${reason}`, 'MiB/s'));
      targets.push({ name: `${chainLabel}: all read targets`, target: '—', met: undefined, measured: `not measured (${reason})` });
      continue;
    }
    const measured = await measureChain(ctx, chainLabel, chain);
    rows.push(...measured.rows);
    targets.push(...measured.targets);
    notes.push(...measured.notes);
  }
  return { rows, targets, notes };
}
