import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const PACKAGES = ['vhd-format', 'vpc-errors', 'vhd-diff', 'vpc-api'] as const;

interface Manifest {
  name: string;
  keywords?: string[];
  homepage?: string;
  bugs?: { url?: string };
  repository?: { type?: string; url?: string; directory?: string };
  publishConfig?: { access?: string };
  exports?: Record<string, string | Record<string, string>>;
  peerDependencies?: Record<string, string>;
  dependencies?: Record<string, string>;
}

function manifest(name: string): Manifest {
  return JSON.parse(readFileSync(new URL(`../../${name}/package.json`, import.meta.url), 'utf8')) as Manifest;
}

describe('package.json of every package, as npm users expect', () => {
  it.each(PACKAGES)('%s: repository with directory, homepage, bugs, keywords, public access, default export conditions', (name) => {
    const pkg = manifest(name);
    expect(pkg.name).toBe(`@vhdkit/${name}`);
    expect(pkg.repository).toMatchObject({ type: 'git', url: expect.stringMatching(/^git\+https:\/\/.+\.git$/), directory: `packages/${name}` });
    expect(pkg.homepage).toMatch(new RegExp(`^https://.+/packages/${name}#readme$`));
    expect(pkg.bugs?.url).toMatch(/^https:\/\/.+\/issues$/);
    expect(pkg.keywords).toEqual(expect.arrayContaining(['vhd']));
    expect(pkg.publishConfig).toEqual({ access: 'public' });
    for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
      if (typeof target === 'string') continue;
      // `types` first (TypeScript takes the first matching condition), `default` last so every resolver finds code.
      expect(Object.keys(target), subpath).toEqual(['types', 'default']);
    }
  });

  it('the Node packages, whose declarations import node: modules, declare @types/node as a peer; the pure ones need none', () => {
    for (const name of ['vhd-diff', 'vpc-api']) expect(manifest(name).peerDependencies).toEqual({ '@types/node': '>=20' });
    for (const name of ['vhd-format', 'vpc-errors']) expect(manifest(name).peerDependencies).toBeUndefined();
  });

  it('the CLI-only dependencies are bundled into the CLI, not installed for library users', () => {
    expect(new Set(Object.keys(manifest('vpc-api').dependencies ?? {}))).toEqual(new Set(['@vhdkit/vhd-diff', '@vhdkit/vhd-format', '@vhdkit/vpc-errors']));
  });
});
