// The API reference of the four published packages, generated from their built declarations (dist/index.d.ts) into
// docs/api/<package>.md. Fails (exit 1) when an exported symbol has no doc comment.
// Usage: node tools/api-reference/api-reference.mjs [--check] (--check: report only, write nothing). Needs a build.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiModel } from './api-model.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PACKAGES = ['vhd-format', 'vpc-errors', 'vhd-diff', 'vpc-api'];
const checkOnly = process.argv.includes('--check');

const model = apiModel(PACKAGES.map((name) => join(repoRoot, 'packages', name, 'dist', 'index.d.ts')));
const undocumented = [];
const index = ['# API reference', '', 'Generated from the built declarations by `tools/api-reference/api-reference.mjs`.', ''];
for (const [at, name] of PACKAGES.entries()) {
  const { exports } = model[at];
  const lines = [`# @vhdkit/${name}`, '', `${exports.length} exports, generated from \`packages/${name}/dist/index.d.ts\`.`, ''];
  for (const item of exports) {
    if (!item.doc) undocumented.push(`@vhdkit/${name}: ${item.name} (${item.kind}, ${relative(repoRoot, item.declaredIn)})`);
    lines.push(`## ${item.name}`, '', `*${item.kind}*`, '', item.doc || '(undocumented)', '', '```ts', item.declaration, '```', '');
  }
  if (!checkOnly) {
    mkdirSync(join(repoRoot, 'docs/api'), { recursive: true });
    writeFileSync(join(repoRoot, 'docs/api', `${name}.md`), lines.join('\n'));
  }
  index.push(`- [@vhdkit/${name}](${name}.md): ${exports.length} exports`);
}
if (!checkOnly) writeFileSync(join(repoRoot, 'docs/api/README.md'), `${index.join('\n')}\n`);

if (undocumented.length > 0) {
  console.error(`${undocumented.length} exported symbols have no doc comment:\n${undocumented.map((line) => `  ${line}`).join('\n')}`);
  process.exit(1);
}
console.log(`API reference: every export of ${PACKAGES.length} packages has a doc comment${checkOnly ? '' : ' (written to docs/api/)'}`);
