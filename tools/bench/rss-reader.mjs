#!/usr/bin/env node
// Child process of the memory case: reads one chain to a sink with one tool and prints what it read. Its peak RSS
// is measured from outside by GNU time (see processMaxRss); the self-reported maxRSS is printed for reference only.
//   node tools/bench/rss-reader.mjs ours <top.vhd>
//   node tools/bench/rss-reader.mjs vhd-lib <top.vhd> <parent.vhd> …
//   node tools/bench/rss-reader.mjs idle ours|vhd-lib        (load the library, read nothing: the baseline)
import { createSink } from './lib/images.mjs';
import { nowMs } from './lib/timing.mjs';

const [tool, ...paths] = process.argv.slice(2);
const sink = createSink();
const started = nowMs();

if (tool === 'ours') {
  const { readWithOurs } = await import('./cases/read-chain.mjs');
  await readWithOurs(paths[0], sink);
} else if (tool === 'vhd-lib') {
  const { loadVhdLib, createFsHandler } = await import('./lib/vhd-lib-peer.mjs');
  const { readWithVhdLib } = await import('./cases/read-chain.mjs');
  const vhdLib = loadVhdLib({ install: false });
  if (!vhdLib.available) throw new Error(vhdLib.reason);
  await readWithVhdLib(vhdLib.lib, createFsHandler(), paths, sink);
} else if (tool === 'idle') {
  if (paths[0] === 'vhd-lib') (await import('./lib/vhd-lib-peer.mjs')).loadVhdLib({ install: false });
  else await import('./cases/read-chain.mjs');
} else {
  throw new Error(`unknown tool ${tool}`);
}

const ms = nowMs() - started;
// resourceUsage().maxRSS is in KiB on Linux.
console.log(JSON.stringify({ tool, bytes: sink.bytes, ms, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
