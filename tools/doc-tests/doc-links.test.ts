/**
 * Citations of the format reference point at sections that exist (docs/format.md and docs/windows-child-layout.md keep
 * stable `<a id>` anchors), and nothing cites the reference files users do not have.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './readme-examples.mjs';

const DOCS = ['format.md', 'windows-child-layout.md'];
const anchors = new Map(DOCS.map((doc) => [doc, new Set([...read(join('docs', doc)).matchAll(/<a id="([a-z0-9-]+)"><\/a>/g)].map((match) => match[1]))]));
const selfPath = 'tools/doc-tests/doc-links.test.ts';
const sources = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.mjs', '*.md'], { cwd: repoRoot, encoding: 'utf8' })
  .split('\n')
  .filter((file) => file && file !== selfPath);

function read(file: string): string {
  return readFileSync(join(repoRoot, file), 'utf8');
}

describe('format reference citations', () => {
  it('each doc has its anchors', () => {
    expect([...anchors.get('format.md')!]).toEqual(expect.arrayContaining(['footer', 'dynamic-header', 'parent-locators', 'bat-and-blocks', 'timestamps']));
    expect(anchors.get('windows-child-layout.md')!.size).toBeGreaterThan(0);
  });

  it('every cited section exists', () => {
    const broken: string[] = [];
    let cited = 0;
    for (const file of sources) {
      for (const match of read(file).matchAll(/(format|windows-child-layout)\.md((?:#[a-z0-9-]+)(?:, #[a-z0-9-]+)*)/g)) {
        for (const anchor of match[2]!.split(', ').map((part) => part.slice(1))) {
          cited++;
          if (!anchors.get(`${match[1]}.md`)!.has(anchor)) broken.push(`${file}: ${match[1]}.md#${anchor}`);
        }
      }
    }
    for (const doc of DOCS) {
      for (const match of read(join('docs', doc)).matchAll(/\]\(#([a-z0-9-]+)\)/g)) {
        cited++;
        if (!anchors.get(doc)!.has(match[1]!)) broken.push(`docs/${doc}: #${match[1]}`);
      }
    }
    expect(cited).toBeGreaterThan(20);
    expect(broken).toEqual([]);
  });

  it('nothing cites the reference files that are not in the repository', () => {
    const outside = ['vhd-format.md', 'windows-made-child', 'shared/docs'];
    const citing = sources.filter((file) => outside.some((name) => read(file).includes(name)));
    expect(citing).toEqual([]);
  });
});
