/** vhd-format must run in browsers: no Node built-in imports and no Node-only globals in src/. */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier: static imports/exports, dynamic import(), require(). */
function specifiers(source: string): string[] {
  const patterns = [/\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1]!));
}

const nodeBuiltins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const files = sourceFiles(srcDir);

describe('no Node imports in src', () => {
  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(10);
    expect(files.map((file) => relative(srcDir, file))).toContain('index.ts');
  });

  it.each(files.map((file) => [relative(srcDir, file), file] as const))('%s imports only relative modules', (_name, file) => {
    const source = readFileSync(file, 'utf8');
    for (const specifier of specifiers(source)) {
      expect(specifier.startsWith('node:'), specifier).toBe(false);
      expect(nodeBuiltins.has(specifier) || nodeBuiltins.has(specifier.split('/')[0]!), specifier).toBe(false);
      // binary-parser is a build-time tool only: its run-time path compiles code from strings (see csp.test.ts).
      const insideSrc = /^\.\.?\//.test(specifier) && !relative(srcDir, join(dirname(file), specifier)).startsWith('..');
      expect(insideSrc, specifier).toBe(true);
    }
  });

  it.each(files.map((file) => [relative(srcDir, file), file] as const))('%s uses no Node-only globals (Buffer, process, require)', (_name, file) => {
    // Comments may mention them; code may not.
    const code = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/.*$/gm, '');
    expect(code).not.toMatch(/\b(Buffer|process|__dirname|__filename)\b|\brequire\s*\(/);
  });

  it('the scanner catches the forms it looks for', () => {
    expect(specifiers(`import { readFile } from 'node:fs';\nexport * from "path";\nconst x = await import('os');\nrequire("crypto");\nimport 'stream';`)).toEqual([
      'node:fs',
      'path',
      'stream',
      'os',
      'crypto',
    ]);
  });
});
