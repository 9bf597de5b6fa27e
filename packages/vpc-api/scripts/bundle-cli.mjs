// Bundles the `./cli` entry (dist/cli.js: the `vpc` command line and everything it imports, the sibling packages,
// commander and cli-progress included) into dist/cli-bundle/, which is all of the CLI the package ships (see `files`).
// Node's ESM loader pays for every module it resolves and reads: for the ~80 files of the unbundled CLI that was
// ~45 ms of each command's start-up, more than the whole of `vpc info`'s own work. Chunks are split at the dynamic
// imports, so each command still loads only its own implementation. The library entry (dist/index.js) is not
// bundled: embedders share one copy of the sibling packages.
import { build } from 'esbuild';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${packageRoot}dist/cli-bundle`;
// Third-party code copied into the bundle; their licences require their notices to travel with it.
const BUNDLED_THIRD_PARTY = ['commander', 'cli-progress'];

await rm(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: packageRoot,
  entryPoints: ['dist/cli.js'],
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
// The bin's fast paths for `vpc info`, `create-diff`, `write` and `cat` (src/cli/fast-path.ts), one CommonJS file each: loading
// them needs no ESM loader, which on Node 20 costs more than those commands' own work, and each holds only what its
// command reaches (esbuild drops the rest), since compiling a file costs in proportion to its size.
for (const command of ['info', 'create-diff', 'write', 'cat']) {
  await build({
    absWorkingDir: packageRoot,
    entryPoints: [`dist/cli/fast-${command}.js`],
    outfile: `${outdir}/fast-${command}.cjs`,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // Less to parse at each start (`vpc info`: 182 → 131 KB, ~5 ms of a ~50 ms budget); names are kept, so stack
    // traces still read.
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
  });
}

/** The installed folder of `name` (its package.json is not always exported, so walk up from its main file). */
async function packageFolder(name) {
  let folder = dirname(createRequire(`${packageRoot}package.json`).resolve(name));
  for (;;) {
    const manifest = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8').catch(() => '{}'));
    if (manifest.name === name) return { folder, manifest };
    if (dirname(folder) === folder) throw new Error(`cannot find the package folder of ${name}`);
    folder = dirname(folder);
  }
}

const notices = [];
for (const name of BUNDLED_THIRD_PARTY) {
  const { folder, manifest: { version, license } } = await packageFolder(name);
  const licenseFile = (await readdir(folder)).find((file) => /^licen[cs]e(\.md|\.txt)?$/i.test(file));
  if (licenseFile === undefined) throw new Error(`no licence file in ${folder}`);
  const text = await readFile(join(folder, licenseFile), 'utf8');
  notices.push(`${name}@${version} (${license})\n\n${text.trim()}\n`);
}
await writeFile(join(outdir, 'THIRD-PARTY-LICENSES.txt'), `${notices.join('\n---\n\n')}`);
