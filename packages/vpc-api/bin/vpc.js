#!/usr/bin/env node
// The `vpc` bin. It lives outside dist/ on purpose: npm links (and chmods) a package's bins at install time, before
// `npm run build` has created dist/, and skips a bin whose file does not exist yet — so on a fresh clone a bin
// pointing into dist/ would never be linked. This committed file exists at install time and runs the package's
// `./cli` entry, which resolves to the CLI bundled into a few files (scripts/bundle-cli.mjs) because module loading
// dominated each command's start-up.
//
// It is CommonJS (bin/package.json) so that `vpc --version`, which scripts call to probe for the tool, is answered
// before Node's ESM loader, the bundle and commander are loaded: on Node 20 those cost more than the version's
// whole start-up budget. `vpc info`, `vpc create-diff`, `vpc write` and `vpc cat` in their plain shapes
// (src/cli/fast-path.ts) run from CommonJS bundles for the same reason. Any other command, or a version write that fails, goes through the full CLI.
'use strict';
const { writeSync } = require('node:fs');

const argv = process.argv.slice(2);

function printedVersion() {
  if (argv.length !== 1 || (argv[0] !== '--version' && argv[0] !== '-V')) return false;
  try {
    writeSync(1, `${require('../package.json').version}\n`);
    return true;
  } catch {
    return false; // the CLI writes it again and reports the failure in its error-line format
  }
}

/**
 * `vpc info`, `vpc create-diff`, `vpc write` and `vpc cat` in their plain shapes run from a CommonJS bundle of their own
 * (src/cli/fast-path.ts), which answers undefined for any other shape. The command is the first word that is not
 * an option (global options come before it and take no value in the fast shapes).
 */
function fastPathRun() {
  const command = argv.find((argument) => !argument.startsWith('-'));
  if (command !== 'info' && command !== 'create-diff' && command !== 'write' && command !== 'cat') return undefined;
  const { processIo, runFastPath } = require(`../dist/cli-bundle/fast-${command}.cjs`);
  return runFastPath(argv, processIo());
}

if (printedVersion()) {
  process.exitCode = 0;
} else {
  const fast = fastPathRun();
  if (fast !== undefined) {
    fast.then((code) => {
      process.exitCode = code;
    });
  } else {
    import('@vhdkit/vpc-api/cli').then(async ({ processIo, runCli }) => {
      process.exitCode = await runCli(argv, processIo());
    });
  }
}
