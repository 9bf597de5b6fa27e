#!/usr/bin/env node
// The `vpc` bin. It lives outside dist/ on purpose: npm links (and chmods) a package's bins at install time, before
// `npm run build` has created dist/, and skips a bin whose file does not exist yet — so on a fresh clone a bin
// pointing into dist/ would never be linked. This committed file exists at install time and loads the built CLI,
// bundled into a few files (scripts/bundle-cli.mjs) because module loading dominated each command's start-up.
import '../dist/cli-bundle/main.js';
