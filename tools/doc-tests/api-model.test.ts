/** The undocumented-export check of tools/api-reference sees through re-exports and reports a missing doc comment. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiModel } from '../api-reference/api-model.mjs';

const folder = await mkdtemp(join(tmpdir(), 'vhdkit-api-model-'));
afterAll(() => rm(folder, { recursive: true, force: true }));

describe('apiModel', () => {
  it('gives each export its doc comment, empty when there is none, through re-exports', async () => {
    await writeFile(join(folder, 'package.json'), '{ "type": "module" }');
    await writeFile(join(folder, 'other.d.ts'), '/** Declared elsewhere. */\nexport declare const reExported: number;\nexport interface Bare { size: number }\n');
    await writeFile(
      join(folder, 'index.d.ts'),
      [
        '/** Says what it does. */',
        'export declare function documented(path: string): Promise<void>;',
        'export declare function undocumented(): void;',
        "export { reExported, type Bare } from './other.js';",
        '',
      ].join('\n'),
    );
    const [{ exports }] = apiModel([join(folder, 'index.d.ts')], { types: [], lib: ['lib.es2022.d.ts'] });
    expect(exports.map(({ name, kind, doc }) => ({ name, kind, doc }))).toEqual([
      { name: 'documented', kind: 'function', doc: 'Says what it does.' },
      { name: 'undocumented', kind: 'function', doc: '' },
      { name: 'reExported', kind: 'constant', doc: 'Declared elsewhere.' },
      { name: 'Bare', kind: 'interface', doc: '' },
    ]);
    expect(exports[0]?.declaration).toBe('function documented(path: string): Promise<void>;');
  }, 60_000);
});
