#!/usr/bin/env node
// Child process of the memory case: one merge or convert with this toolkit, its peak RSS measured from outside by
// GNU time (see processMaxRss).
//   node tools/bench/rss-job.mjs merge <child.vhd>                 (merges into the parent the child names)
//   node tools/bench/rss-job.mjs convert <top.vhd> <out.vhd>       (flattens the chain into a new dynamic image)
import { ours } from './lib/ours.mjs';

const [job, ...paths] = process.argv.slice(2);
if (job === 'merge') {
  const { merge } = ours('diff', ['merge']);
  const result = await merge(paths[0]);
  process.stdout.write(`${JSON.stringify({ job, bytesCopied: result.bytesCopied })}\n`);
} else if (job === 'convert') {
  const { convert } = ours('diff', ['convert']);
  await convert(paths[0], paths[1], { type: 'dynamic' });
  process.stdout.write(`${JSON.stringify({ job })}\n`);
} else {
  throw new Error(`unknown job ${job}`);
}
