/**
 * The decoders run where code generation from strings is refused (a strict CSP, `script-src 'self'`; in Node,
 * `--disallow-code-generation-from-strings`): binary-parser's parsers are compiled at build time into
 * src/generated, which must equal what scripts/generate-decoders.mjs produces from the field tables today.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { repoFixturePath, repoFixtures, sharedFixturePath, sharedFixtures } from '@vhdkit/test-support';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const probeScript = join(packageDir, 'test', 'support', 'decode-images.mjs');

interface ImageSummary {
  file: string;
  footer: { uniqueId: string; currentSize: number };
  problems: string[];
  header?: { parentUnicodeName: string; blockSize: number; maxTableEntries: number };
  locatorPaths?: string[];
  streamEvents?: string;
}

interface ProbeOutput {
  newFunction: string;
  binaryParserAtRunTime: string;
  images: ImageSummary[];
}

function runProbe(nodeFlags: string[], files: string[]): ProbeOutput {
  const result = spawnSync(process.execPath, [...nodeFlags, probeScript, ...files], { encoding: 'utf8', cwd: packageDir });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as ProbeOutput;
}

describe('generated decoders', () => {
  it('equal what the generator produces from the field tables now', () => {
    const result = spawnSync(process.execPath, ['scripts/generate-decoders.mjs', '--print'], { encoding: 'utf8', cwd: packageDir });
    expect(result.status, result.stderr).toBe(0);
    const committed = readFileSync(join(packageDir, 'src', 'generated', 'field-decoders.ts'), 'utf8');
    expect(committed).toContain('GENERATED FILE');
    expect(result.stdout).toBe(committed);
  });

  it('are plain code: nothing in src builds functions from strings', () => {
    const generated = readFileSync(join(packageDir, 'src', 'generated', 'field-decoders.ts'), 'utf8');
    expect(generated).not.toMatch(/new Function|\beval\s*\(/);
    expect(generated).toMatch(/export function decodeFooterFields\(buffer: Uint8Array\)/);
  });
});

describe('decoding under --disallow-code-generation-from-strings', () => {
  const shared = sharedFixtures();
  const files = [...shared.facts.map((facts) => sharedFixturePath(facts.file)), ...repoFixtures().map((facts) => repoFixturePath(facts.file))];

  it('the built package exists (npm run build)', () => {
    expect(existsSync(join(packageDir, 'dist', 'generated', 'field-decoders.js'))).toBe(true);
  });

  it('decodes every fixture exactly as an unrestricted process does, while run-time compilation fails', () => {
    const restricted = runProbe(['--disallow-code-generation-from-strings'], files);
    const unrestricted = runProbe([], files);

    // The restriction is really on: binary-parser's own parse path (new Function) is refused.
    expect(restricted.newFunction).toMatch(/^EvalError: Code generation from strings disallowed/);
    expect(restricted.binaryParserAtRunTime).toMatch(/^EvalError: Code generation from strings disallowed/);
    expect(unrestricted.newFunction).toBe('ok 1');
    expect(unrestricted.binaryParserAtRunTime).toBe('ok 7');

    expect(restricted.images).toHaveLength(files.length);
    expect(restricted.images).toEqual(unrestricted.images);
  });

  it.skipIf(!shared.available)('reads the facts other tools measured from the real images', () => {
    const restricted = runProbe(['--disallow-code-generation-from-strings'], shared.facts.map((facts) => sharedFixturePath(facts.file)));
    for (const [index, facts] of shared.facts.entries()) {
      const image = restricted.images[index]!;
      expect(image.footer.uniqueId).toBe(facts.uniqueId);
      expect(image.problems.includes('BAD_CHECKSUM')).toBe(!facts.footerChecksumValid || facts.headerChecksumValid === false);
      expect(image.footer.currentSize).toBe(facts.currentSize);
      if (facts.blockSize !== undefined) expect(image.header?.blockSize).toBe(facts.blockSize);
      if (facts.maxTableEntries !== undefined) expect(image.header?.maxTableEntries).toBe(facts.maxTableEntries);
      if (facts.parentUnicodeName !== undefined) expect(image.header?.parentUnicodeName).toBe(facts.parentUnicodeName);
      if (facts.parentLocators) expect(image.locatorPaths).toEqual(facts.parentLocators.map((locator) => locator.path));
      if (facts.diskType !== 'fixed') expect(image.streamEvents).toMatch(/^footer-copy,header,.*bat.*,footer$/);
    }
  });
});
