// The fenced js/ts examples of every README in the repository, and how to turn one into a module that runs in a
// temporary folder. Shared by the doc test (runs them) and typecheck-examples.mjs (type-checks the ts ones).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Fence languages that are examples to run; anything else (sh, text, json…) is left alone. */
const RUNNABLE = new Map([['js', 'js'], ['javascript', 'js'], ['ts', 'ts'], ['typescript', 'ts']]);

/** Absolute placeholder folders an example may use; each names a folder inside the example's temporary folder. */
export const PLACEHOLDER_ROOTS = ['/vm/', '/vms/', '/new/'];

/**
 * @typedef {{ file: string, line: number, lang: 'js' | 'ts', code: string, expectedOutput: string[] }} ReadmeExample
 * `file` is relative to the repository root; `line` is the 1-based line of the opening fence.
 */

/** Every README.md tracked by git (so node_modules and build output never count). */
export function readmeFiles() {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*README.md'], { cwd: repoRoot, encoding: 'utf8' });
  return listed.split('\n').filter(Boolean).toSorted();
}

/** The runnable fenced blocks of one README's text. */
export function examplesIn(text, file) {
  const examples = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const fence = /^(\s*)```(\w*)\s*$/.exec(lines[index]);
    if (!fence) continue;
    const end = lines.findIndex((line, at) => at > index && line.trim() === '```');
    if (end < 0) throw new Error(`${file}:${index + 1}: unterminated code fence`);
    const lang = RUNNABLE.get(fence[2].toLowerCase());
    if (lang) {
      const code = lines.slice(index + 1, end).map((line) => line.slice(fence[1].length)).join('\n') + '\n';
      examples.push({ file, line: index + 1, lang, code, expectedOutput: expectedOutputOf(code) });
    }
    index = end;
  }
  return examples;
}

/** Lines of the form `// → text` on their own: what the example prints, in order. */
export function expectedOutputOf(code) {
  return [...code.matchAll(/^\s*\/\/ → (.*)$/gm)].map((match) => match[1].trimEnd());
}

/** All examples of all READMEs. */
export function allExamples() {
  return readmeFiles().flatMap((file) => examplesIn(readFileSync(join(repoRoot, file), 'utf8'), file));
}

/** A stable, readable name for an example: `packages-vhd-diff-README-md-L27`. */
export function exampleName(example) {
  return `${example.file.replace(/[^\w]+/g, '-')}-L${example.line}`;
}

/** Points every placeholder path in string literals at `folder` (`'/vms/a.vhd'` → `'<folder>/vms/a.vhd'`). */
export function rewritePlaceholderPaths(code, folder) {
  let rewritten = code;
  for (const root of PLACEHOLDER_ROOTS) {
    for (const quote of ["'", '"', '`']) rewritten = rewritten.replaceAll(quote + root, quote + folder + root);
  }
  return rewritten;
}
