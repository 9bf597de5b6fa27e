#!/usr/bin/env node
// The `vpc` bin. It lives outside dist/ on purpose: npm links (and chmods) a package's bins at install time, before
// `npm run build` has created dist/, and skips a bin whose file does not exist yet — so on a fresh clone a bin
// pointing into dist/ would never be linked. This committed file exists at install time and runs the CLI bundled
// into one CommonJS file (scripts/bundle-cli.mjs). It is CommonJS itself (bin/package.json): start-up is most of a
// command's time, and a process that loads no ES module never pays for Node's ESM loader.
'use strict';
const { processIo, runCli } = require('../dist/cli-bundle/vpc.cjs');

runCli(process.argv.slice(2), processIo()).then((code) => {
  process.exitCode = code;
});
