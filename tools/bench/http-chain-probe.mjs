#!/usr/bin/env node
// Quick interleaved probe of bench case 7's chain row (for tuning, no files written):
// node tools/bench/http-chain-probe.mjs <folder with child.vhd, parent.vhd and full.raw> [runs]
import { Writable } from 'node:stream';
import { startNginx } from '../test-support/src/nginx-server.mjs';
import { ours } from './lib/ours.mjs';
import { timedProcess } from './lib/processes.mjs';
import { nowMs } from './lib/timing.mjs';

const [folder, runs = '5'] = process.argv.slice(2);
const { openDisk, copyDiskTo } = ours('diff', ['openDisk', 'copyDiskTo']);
const server = await startNginx(folder);
const sink = () => new Writable({ write: (_chunk, _encoding, done) => done() });
async function chainRead() {
  const disk = await openDisk(server.url('ranges', 'child.vhd'));
  try {
    return await copyDiskTo(disk, sink());
  } finally {
    await disk.close();
  }
}
try {
  const contestants = [
    { key: 'chain', run: chainRead },
    { key: 'curl', spawns: true, run: () => timedProcess('curl', ['-s', '-f', '-o', '/dev/null', server.url('ranges', 'full.raw')]) },
  ];
  const samples = Object.fromEntries(contestants.map(({ key }) => [key, []]));
  for (let round = 0; round <= Number(runs); round++) {
    for (const { key, run } of contestants) {
      const started = nowMs();
      const reported = await run();
      const elapsed = typeof reported?.measured === 'number' ? reported.measured : nowMs() - started;
      if (round > 0) samples[key].push(Math.round(elapsed));
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  for (const [key, values] of Object.entries(samples)) console.log(key, median(values), 'ms', values.join(' '));
  console.log('ratio (curl / chain time, medians):', (median(samples.curl) / median(samples.chain)).toFixed(2));
} finally {
  await server.stop();
}
