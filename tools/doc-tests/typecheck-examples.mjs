// Type-checks every ```ts example of the READMEs, each as its own module, against the built packages' declarations,
// with the repository's compiler and with TypeScript 5 (what most users have). Needs `npm run build` first.
// Usage: node tools/doc-tests/typecheck-examples.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allExamples, exampleName, repoRoot } from './readme-examples.mjs';

const folder = join(repoRoot, 'tools/doc-tests/.typecheck');
rmSync(folder, { recursive: true, force: true });
mkdirSync(folder, { recursive: true });

const examples = allExamples().filter((example) => example.lang === 'ts');
for (const example of examples) {
  const header = `// ${example.file}:${example.line}\n`;
  // `export {}` keeps a block without imports a module (top-level await, no shared globals).
  writeFileSync(join(folder, `${exampleName(example)}.ts`), `${header}${example.code}export {};\n`);
}
writeFileSync(
  join(folder, 'tsconfig.json'),
  JSON.stringify({
    extends: '../../../tsconfig.base.json',
    compilerOptions: {
      composite: false, noEmit: true, declaration: false, declarationMap: false, emitDeclarationOnly: false,
      lib: ['es2022'], types: ['node'], noUnusedLocals: false,
    },
    include: ['*.ts'],
  }, null, 2),
);

const compilers = [
  ['typescript (repository)', join(repoRoot, 'node_modules/typescript/bin/tsc')],
  ['typescript5', join(repoRoot, 'node_modules/typescript5/bin/tsc')],
];
let failed = false;
for (const [name, tsc] of compilers) {
  if (!existsSync(tsc)) {
    console.error(`${name}: not installed (${tsc}); run npm ci`);
    failed = true;
    continue;
  }
  const run = spawnSync(process.execPath, [tsc, '-p', join(folder, 'tsconfig.json')], { cwd: repoRoot, encoding: 'utf8' });
  if (run.status !== 0) {
    console.error(`${name}: README examples do not type-check\n${run.stdout}${run.stderr}`);
    failed = true;
  } else {
    console.log(`${name}: ${examples.length} README ts examples type-check`);
  }
}
process.exit(failed ? 1 : 0);
