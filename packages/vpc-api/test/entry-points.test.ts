import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));

// A resolve hook that reports every module URL the loader resolves; a final data: import marks the end of the list.
const RECORDING_HOOKS = `
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  port.postMessage(resolved.url);
  return resolved;
}`;
const END_MARK = 'data:text/javascript,export default "end of the list"';

/** Every module URL a fresh Node process resolves while importing `specifier`, as a consumer would. */
function modulesLoadedBy(specifier: string): string[] {
  const program = `
    import { register } from 'node:module';
    import { MessageChannel } from 'node:worker_threads';
    const { port1, port2 } = new MessageChannel();
    const urls = [];
    const ended = new Promise((resolve) => port1.on('message', (url) => (url === ${JSON.stringify(END_MARK)} ? resolve() : urls.push(url))));
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(RECORDING_HOOKS)}), { data: { port: port2 }, transferList: [port2] });
    await import(${JSON.stringify(specifier)});
    await import(${JSON.stringify(END_MARK)});
    await ended;
    port1.close();
    process.stdout.write(JSON.stringify(urls));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '--eval', program], { cwd: PACKAGE_ROOT, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return (JSON.parse(run.stdout) as string[]).filter((url) => url.startsWith('file:')).map((url) => fileURLToPath(url));
}

describe('entry points', { timeout: 30_000 }, () => {
  it("import '@vhdkit/vpc-api' loads the library and no CLI code (no commander, no cli-progress, no command)", () => {
    const loaded = modulesLoadedBy('@vhdkit/vpc-api');
    expect(loaded).toContain(path.join(PACKAGE_ROOT, 'dist/index.js'));
    expect(loaded).toContain(path.join(PACKAGE_ROOT, 'dist/virtual-pc.js'));
    const cliCode = loaded.filter((file) => /[/\\](commander|cli-progress|cli-bundle)[/\\]/.test(file) || /[/\\]dist[/\\]cli[/\\](?!info-report\.js$)/.test(file));
    expect(cliCode).toEqual([]);
  });

  it("'@vhdkit/vpc-api/cli' is the bundled CLI, which the bin runs", () => {
    const loaded = modulesLoadedBy('@vhdkit/vpc-api/cli');
    expect(loaded).toContain(path.join(PACKAGE_ROOT, 'dist/cli-bundle/cli.js'));
    // The bundle carries the CLI's dependencies inside it: nothing is loaded from the unbundled dist/cli/.
    expect(loaded.filter((file) => file.includes(`${path.sep}dist${path.sep}cli${path.sep}`))).toEqual([]);
    const manifest = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
    const version = spawnSync(process.execPath, [path.join(PACKAGE_ROOT, 'bin/vpc.js'), '--version'], { encoding: 'utf8' });
    expect({ status: version.status, stdout: version.stdout.trim(), stderr: version.stderr }).toEqual({ status: 0, stdout: manifest.version, stderr: '' });
  });
});
