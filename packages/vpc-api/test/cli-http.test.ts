/**
 * `vpc info`, `vpc cat` and `vpc check` on images served over HTTP by a real server (Debian's nginx on 127.0.0.1):
 * the same report, bytes and verdict as for the files themselves, and HTTP failures as their Win32 HRESULTs.
 */
import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nginx, sharedFixturePath, sharedFixtures, startNginx, testFolder } from '@vhdkit/test-support';
import type { NginxServer } from '@vhdkit/test-support';
import { createDifferencingDisk, openDisk } from '@vhdkit/vhd-diff';
import { messageFor } from '@vhdkit/vpc-errors';
import { MIB, failureLine, makeDynamic, runVpc } from './helpers.js';

const server = nginx();
const shared = sharedFixtures();
const folder = testFolder('vpc-cli-http-');
let web: NginxServer;
let served: string;

/** A dynamic base with data and a differencing child with its own write, beside each other. */
async function makeChain(dir: string): Promise<void> {
  const base = await makeDynamic(path.join(dir, 'base.vhd'), 4 * MIB);
  await createDifferencingDisk(path.join(dir, 'child.vhd'), base);
  const disk = await openDisk(path.join(dir, 'child.vhd'), { writable: true });
  try {
    await disk.write(new Uint8Array(5000).fill(0x5a), MIB - 100);
  } finally {
    await disk.close();
  }
}

/** The `--json` report of a URL, with the URLs of the served folder written as its paths. */
function asLocal(text: string): string {
  return text.replaceAll(web.url('ranges', ''), `${served}/`);
}

describe.skipIf(!server.available)('vpc info, cat and check over HTTP (nginx)', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    served = await folder.nextFolder();
    await makeChain(served);
    if (shared.available) await symlink(sharedFixturePath('dfvfs-ext2.vhd'), path.join(served, 'ext2.vhd'));
    web = await startNginx(served);
  });
  afterAll(async () => {
    await web?.stop();
  });

  it('info --json of a child URL reports what the file reports, its chain followed over HTTP', () => {
    const overHttp = runVpc(['info', web.url('ranges', 'child.vhd'), '--json']);
    expect(overHttp.status, overHttp.stderr).toBe(0);
    const report = JSON.parse(overHttp.stdout) as { path: string; parent: { resolvedPath: string }; chain: { path: string }[] };
    expect(report.path).toBe(web.url('ranges', 'child.vhd'));
    expect(report.parent.resolvedPath).toBe(web.url('ranges', 'base.vhd'));
    expect(report.chain.map((link) => link.path)).toEqual([web.url('ranges', 'child.vhd'), web.url('ranges', 'base.vhd')]);
    const asFile = runVpc(['info', path.join(served, 'child.vhd'), '--json']);
    expect(asFile.status, asFile.stderr).toBe(0);
    expect(JSON.parse(asLocal(overHttp.stdout))).toEqual(JSON.parse(asFile.stdout));
    // The text output too (every raw field).
    const text = runVpc(['info', web.url('ranges', 'child.vhd')]);
    expect(text.status, text.stderr).toBe(0);
    expect(asLocal(text.stdout)).toBe(runVpc(['info', path.join(served, 'child.vhd')]).stdout);
  });

  it('cat of a URL writes the bytes cat of the file writes', () => {
    for (const name of ['child.vhd', ...(shared.available ? ['ext2.vhd'] : [])]) {
      const overHttp = runVpc(['cat', web.url('ranges', name)]);
      expect(overHttp.status, overHttp.stderr).toBe(0);
      const asFile = runVpc(['cat', path.join(served, name)]);
      expect(asFile.status, asFile.stderr).toBe(0);
      expect(overHttp.stdoutBytes.equals(asFile.stdoutBytes)).toBe(true);
    }
    // The child's own write, over its parent's zeros.
    const child = runVpc(['cat', web.url('ranges', 'child.vhd')]).stdoutBytes;
    expect(child.length).toBe(4 * MIB);
    expect(child.subarray(MIB - 100, MIB + 4900).every((byte) => byte === 0x5a)).toBe(true);
  });

  it('check of a URL exits 0 with the report of the file; --repair refuses (read-only)', () => {
    const overHttp = runVpc(['check', web.url('ranges', 'child.vhd'), '--json']);
    expect(overHttp.status, overHttp.stderr).toBe(0);
    const asFile = runVpc(['check', path.join(served, 'child.vhd'), '--json']);
    expect(JSON.parse(asLocal(overHttp.stdout))).toEqual(JSON.parse(asFile.stdout));
    const repair = runVpc(['check', '--repair', web.url('ranges', 'child.vhd')]);
    expect(repair.status).toBe(1);
    expect(failureLine(repair)?.name).toBe('VM_E_FILE_READ_ONLY');
  });

  it('a missing URL is 0x80070002 ERROR_FILE_NOT_FOUND, in English and Spanish', () => {
    const url = web.url('ranges', 'missing.vhd');
    const en = runVpc(['info', url]);
    expect(en.status).toBe(1);
    expect(en.stderr.split('\n')[0]).toBe(`0x80070002 ERROR_FILE_NOT_FOUND: ${messageFor('ERROR_FILE_NOT_FOUND', 'en')}: ${url} answered 404 Not Found`);
    const es = runVpc(['--lang', 'es', 'cat', url]);
    expect(es.status).toBe(1);
    expect(es.stderr.split('\n')[0]).toBe(`0x80070002 ERROR_FILE_NOT_FOUND: ${messageFor('ERROR_FILE_NOT_FOUND', 'es')}: ${url}: el servidor respondió 404`);
  });

  it('a server without ranges is ERROR_NOT_SUPPORTED, never DISP_E_EXCEPTION', () => {
    for (const command of ['info', 'cat']) {
      const run = runVpc([command, web.url('no-ranges', 'base.vhd')]);
      expect(run.status).toBe(1);
      expect(failureLine(run)?.name, run.stderr).toBe('ERROR_NOT_SUPPORTED');
    }
  });
});
