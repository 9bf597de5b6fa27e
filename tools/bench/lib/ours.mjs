// This toolkit, loaded from its built packages. Each case asks for the functions it needs and reports
// "not available" (with the reason) instead of crashing when a package is not built or lacks a function.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The `vpc` bin as npm links it; it loads the bundled CLI, which the build writes to dist/cli-bundle/. */
export const cliBinPath = join(repoRoot, 'packages/vpc-api/bin/vpc.js');
const cliBundlePath = join(repoRoot, 'packages/vpc-api/dist/cli-bundle/cli.js');

export class NotAvailable extends Error {
  constructor(reason) {
    super(reason);
    this.name = 'NotAvailable';
  }
}

async function importPackage(name) {
  try {
    return { module: await import(name) };
  } catch (error) {
    return { reason: `${name} does not load (${error instanceof Error ? error.message.split('\n')[0] : error}); run npx turbo run build` };
  }
}

const loaded = {
  diff: await importPackage('@vhdkit/vhd-diff'),
  format: await importPackage('@vhdkit/vhd-format'),
};

/**
 * The named exports of @vhdkit/vhd-diff (`diff`) or @vhdkit/vhd-format (`format`); throws NotAvailable
 * naming what is missing.
 * @param {'diff' | 'format'} which
 * @param {string[]} names
 */
export function ours(which, names) {
  const entry = loaded[which];
  if (!entry.module) throw new NotAvailable(entry.reason);
  const missing = names.filter((name) => typeof entry.module[name] !== 'function');
  if (missing.length > 0) {
    throw new NotAvailable(`@vhdkit/vhd-${which} does not export ${missing.join(', ')} yet`);
  }
  return entry.module;
}

export function ourCli() {
  if (!existsSync(cliBundlePath)) throw new NotAvailable('the vpc CLI (packages/vpc-api/dist/cli-bundle/cli.js) is not built');
  return cliBinPath;
}

export function oursAvailability() {
  return {
    'vhd-diff': loaded.diff.module ? 'loaded' : loaded.diff.reason,
    'vhd-format': loaded.format.module ? 'loaded' : loaded.format.reason,
    cli: existsSync(cliBundlePath) ? 'built' : 'not built',
  };
}
