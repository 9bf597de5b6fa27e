#!/usr/bin/env node
// Child process of case 1: creates one differencing child of <parent> at <child> with our API, so GNU time can
// report the peak RSS of the whole job (issue 5: growth under 16 MiB whatever the parent's size).
//   node tools/bench/rss-create.mjs <child.vhd> <parent.vhd>
import { ours } from './lib/ours.mjs';

const [childPath, parentPath] = process.argv.slice(2);
const { createDifferencingDisk } = ours('diff', ['createDifferencingDisk']);
const created = await createDifferencingDisk(childPath, parentPath);
console.log(JSON.stringify({ fileSize: created.fileSize }));
