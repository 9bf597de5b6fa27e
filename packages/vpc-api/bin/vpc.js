#!/usr/bin/env node
// The `vpc` bin. It lives outside dist/ on purpose: npm links (and chmods) a package's bins at install time, before
// `npm run build` has created dist/, and skips a bin whose file does not exist yet — so on a fresh clone a bin
// pointing into dist/ would never be linked. This committed file exists at install time and runs the package's
// `./cli` entry, which resolves to the CLI bundled into a few files (scripts/bundle-cli.mjs) because module loading
// dominated each command's start-up.
import { processIo, runCli } from '@vhdkit/vpc-api/cli';

process.exitCode = await runCli(process.argv.slice(2), processIo());
