// xen-orchestra's vhd-lib, the main JavaScript peer. It is AGPL-3.0, so it is never a dependency of this
// repository: the bench installs the one version that installs from this machine's registry (0.7.2; 4.x needs
// @vates/diff, which the registry lacks) into the git-ignored tools/bench/.peers folder, on the fly.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const VHD_LIB_VERSION = '0.7.2';
const peersDir = join(dirname(fileURLToPath(import.meta.url)), '..', '.peers');
const packageDir = join(peersDir, 'node_modules', 'vhd-lib');

function installedVersion() {
  const manifest = join(packageDir, 'package.json');
  return existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')).version : undefined;
}

/**
 * Loads vhd-lib from tools/bench/.peers, installing it there first when absent.
 * @returns {{ available: true, version: string, lib: any, installedNow: boolean } | { available: false, reason: string }}
 */
export function loadVhdLib({ install = true } = {}) {
  let installedNow = false;
  if (installedVersion() !== VHD_LIB_VERSION) {
    if (!install) return { available: false, reason: `vhd-lib@${VHD_LIB_VERSION} is not installed in tools/bench/.peers` };
    try {
      execFileSync(
        'npm',
        ['install', '--prefix', peersDir, `vhd-lib@${VHD_LIB_VERSION}`, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts'],
        { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 },
      );
      installedNow = true;
    } catch (error) {
      const detail = error instanceof Error && 'stderr' in error ? String(error.stderr).trim().split('\n').slice(-2).join(' | ') : String(error);
      return { available: false, reason: `npm install vhd-lib@${VHD_LIB_VERSION} into tools/bench/.peers failed: ${detail}` };
    }
  }
  try {
    const require = createRequire(join(peersDir, 'node_modules', 'index.js'));
    return { available: true, version: installedVersion(), lib: require('vhd-lib'), installedNow };
  } catch (error) {
    return { available: false, reason: `vhd-lib@${VHD_LIB_VERSION} does not load: ${error instanceof Error ? error.message : error}` };
  }
}

/** Runs `action` on the handle vhd-lib opened, or on a file opened just for it when vhd-lib passes a path. */
async function withFile(file, flags, action) {
  if (typeof file !== 'string') return action(file.handle);
  const handle = await open(file, flags);
  try {
    return await action(handle);
  } finally {
    await handle.close();
  }
}

/**
 * The "remote handler" vhd-lib reads and writes through (xen-orchestra's @xen-orchestra/fs shape), over
 * node:fs/promises. vhd-lib passes either a path or what openFile returned.
 */
export function createFsHandler() {
  return {
    async openFile(path, flags) {
      return { path, handle: await open(path, flags) };
    },
    async closeFile(file) {
      await file.handle.close();
    },
    read(file, buffer, position) {
      return withFile(file, 'r', async (handle) => {
        let bytesRead = 0;
        while (bytesRead < buffer.length) {
          const { bytesRead: n } = await handle.read(buffer, bytesRead, buffer.length - bytesRead, position + bytesRead);
          if (n === 0) break;
          bytesRead += n;
        }
        return { bytesRead, buffer };
      });
    },
    write(file, buffer, position) {
      return withFile(file, 'r+', async (handle) => {
        await handle.write(buffer, 0, buffer.length, position);
      });
    },
    async getSize(file) {
      return typeof file === 'string' ? (await stat(file)).size : (await file.handle.stat()).size;
    },
  };
}
