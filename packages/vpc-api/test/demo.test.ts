import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from './helpers.js';

const DEMO = path.resolve(PACKAGE_ROOT, '../../tools/demo/demo.mjs');
const folders: string[] = [];

afterAll(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

/** `npm run demo` is the README's first command: it must keep working as the API changes under it. */
describe('the demo (tools/demo/demo.mjs)', { timeout: 60_000 }, () => {
  it('creates a parent and a child beside it, and prints the child as vpc info does', async () => {
    const output = await mkdtemp(path.join(tmpdir(), 'vhdkit-demo-'));
    folders.push(output);
    const run = spawnSync(process.execPath, [DEMO], { env: { ...process.env, VHDKIT_DEMO_OUTPUT: output }, encoding: 'utf8' });
    expect(run.stderr).not.toMatch(/error/i); // stderr carries the progress bar only
    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^parent: ${path.join(output, 'parent.vhd')} \\(dynamic, 67108864 bytes, id [0-9a-f-]{36}\\)$`));
    expect(run.stdout).toContain(`child:  ${path.join(output, 'child.vhd')} — task`);
    expect(run.stdout).toContain('result 0x00000000');
    expect(lines).toContain(`Path:                     ${path.join(output, 'child.vhd')}`);
    expect(lines).toContain('Disk type:                differencing (4)');
    expect(lines).toContain(`Parent resolved to:       ${path.join(output, 'parent.vhd')}`);
  });
});
