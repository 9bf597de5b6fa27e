// Bundles the `vpc` command line (dist/cli/main.js and everything it imports, the sibling packages included)
// into dist/cli-bundle/. Node's ESM loader pays for every module it resolves and reads: for the ~80 files of the
// unbundled CLI that was ~45 ms of each command's start-up, more than the whole of `vpc info`'s own work.
// Chunks are split at the dynamic imports, so each command still loads only its own implementation.
// The library entry (dist/index.js) is not bundled: embedders share one copy of the sibling packages.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${packageRoot}dist/cli-bundle`;

await rm(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: packageRoot,
  entryPoints: ['dist/cli/main.js'],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // commander and cli-progress are CommonJS and require Node's modules; an ES module has no `require` of its own.
  banner: { js: "import { createRequire as vpcCreateRequire } from 'node:module'; const require = vpcCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
