/**
 * Every fenced js/ts example of every README runs, as a user would run it, in a temporary folder holding real images
 * (see README.md beside this file for the placeholder paths). An example passes when it exits 0 and prints, in order,
 * the `// → …` lines it shows.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { transformSync } from '@swc/core';
import { nginx, sharedFixturePath, sharedFixtures, startNginx, testFolder, type NginxServer } from '@vhdkit/test-support';
import { createDynamicDisk } from '@vhdkit/vhd-diff';
import { afterAll, describe, expect, it } from 'vitest';
import { allExamples, exampleName, repoRoot, rewritePlaceholderPaths, type ReadmeExample } from './readme-examples.mjs';

const examples = allExamples();
const folders = testFolder('vhdkit-doc-');
const windowsChild = sharedFixtures();

/** `https://images.example/<file>` in an example is `<file>` of its `/vms/` folder, served by a local nginx. */
const PLACEHOLDER_ORIGIN = 'https://images.example/';
let server: NginxServer | undefined;
afterAll(async () => {
  await server?.stop();
});

async function rewritePlaceholderUrls(code: string, folder: string): Promise<string> {
  if (!code.includes(PLACEHOLDER_ORIGIN)) return code;
  server ??= await startNginx(folders.path());
  return code.replaceAll(PLACEHOLDER_ORIGIN, server.url('ranges', `${relative(folders.path(), folder)}/vms/`));
}


/** An example that makes `/vms/base.vhd` itself (`create…('/vms/base.vhd', …)`) starts without it. */
const CREATES_BASE = /create\w*\(\s*['"`]\/vms\/base\.vhd['"`]/;

/** A fresh temporary folder with the images the placeholder paths name. */
async function exampleWorld(example: ReadmeExample): Promise<string> {
  const folder = await folders.nextFolder();
  await symlink(join(repoRoot, 'node_modules'), join(folder, 'node_modules'), 'dir');
  await mkdir(join(folder, 'vm'));
  await mkdir(join(folder, 'vms'));
  if (!CREATES_BASE.test(example.code)) await createDynamicDisk(join(folder, 'vms', 'base.vhd'), 64 * 2 ** 20);
  if (windowsChild.available) {
    await symlink(sharedFixturePath('dfvfs-fat-differential.vhd'), join(folder, 'vms', 'windows-child.vhd'));
  }
  return folder;
}

function javascriptOf(example: ReadmeExample): string {
  if (example.lang === 'js') return example.code;
  return transformSync(example.code, {
    filename: `${exampleName(example)}.ts`,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
  }).code;
}

/** The printed lines that match the expected ones, in order (other lines may come between). */
function expectedLinesFound(printed: string[], expected: string[]): string[] {
  const found: string[] = [];
  let at = 0;
  for (const line of expected) {
    const index = printed.indexOf(line, at);
    if (index < 0) break;
    found.push(line);
    at = index + 1;
  }
  return found;
}

describe('README examples', () => {
  it('finds the examples of every package README', () => {
    const files = new Set(examples.map((example) => example.file));
    for (const file of ['README.md', 'packages/vhd-format/README.md', 'packages/vhd-diff/README.md', 'packages/vpc-errors/README.md', 'packages/vpc-api/README.md']) {
      expect(files, file).toContain(file);
    }
  });

  for (const example of examples) {
    const needsWindowsChild = example.code.includes('/vms/windows-child.vhd');
    const needsServer = example.code.includes(PLACEHOLDER_ORIGIN);
    it.skipIf((needsWindowsChild && !windowsChild.available) || (needsServer && !nginx().available))(`${example.file}:${example.line} (${example.lang}) runs`, async () => {
      const folder = await exampleWorld(example);
      const script = join(folder, 'example.mjs');
      await writeFile(script, await rewritePlaceholderUrls(rewritePlaceholderPaths(javascriptOf(example), folder), folder));
      const run = spawnSync(process.execPath, [script], { cwd: folder, encoding: 'utf8', timeout: 60_000 });
      expect(run.error, `${example.file}:${example.line} could not run`).toBeUndefined();
      expect(run.status, `${example.file}:${example.line} failed:\n${run.stderr}`).toBe(0);
      const printed = run.stdout.replaceAll(folder, '').split('\n').map((line) => line.trimEnd());
      expect(expectedLinesFound(printed, example.expectedOutput), `printed:\n${printed.join('\n')}`).toEqual(example.expectedOutput);
    });
  }
});
