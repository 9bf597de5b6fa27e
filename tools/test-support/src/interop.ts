import { spawnSync } from 'node:child_process';

/** The independent readers/writers we compare against (installed by tools/setup-interop.sh). */
export type InteropTool = 'qemu-img' | 'qemu-io' | 'vhdiinfo' | 'pyvhdi' | '7zz';

export interface ToolProbe {
  available: boolean;
  /** Why it is not available, for the skip message. */
  reason?: string;
  /** The command to run (pyvhdi: the Debian python, which has the module). */
  command: string;
}

/** Debian's python3 has python3-libvhdi; the pyenv python on PATH does not. */
const DEBIAN_PYTHON = '/usr/bin/python3';

function probe(tool: InteropTool): ToolProbe {
  if (tool === 'pyvhdi') {
    const result = spawnSync(DEBIAN_PYTHON, ['-c', 'import pyvhdi'], { encoding: 'utf8' });
    if (result.error) return { available: false, command: DEBIAN_PYTHON, reason: `${DEBIAN_PYTHON} not runnable: ${result.error.message}` };
    if (result.status !== 0) return { available: false, command: DEBIAN_PYTHON, reason: `pyvhdi not importable by ${DEBIAN_PYTHON} (install python3-libvhdi)` };
    return { available: true, command: DEBIAN_PYTHON };
  }
  const versionArgs: Record<Exclude<InteropTool, 'pyvhdi'>, string[]> = {
    'qemu-img': ['--version'],
    'qemu-io': ['--version'],
    vhdiinfo: ['-V'],
    '7zz': ['i'],
  };
  const result = spawnSync(tool, versionArgs[tool], { encoding: 'utf8' });
  if (result.error) return { available: false, command: tool, reason: `${tool} not found on PATH (run npm run setup:interop)` };
  return { available: true, command: tool };
}

const cache = new Map<InteropTool, ToolProbe>();

/** Whether CI demands the interop tools: then a missing tool fails instead of skipping. */
export function requireInterop(): boolean {
  return process.env.VPC_REQUIRE_INTEROP === '1';
}

/**
 * Probe an interop tool. When it is missing and VPC_REQUIRE_INTEROP=1, this throws, so the
 * suite fails loudly; otherwise tests use `describe.skipIf(!t.available)` and print `t.reason`.
 */
export function interop(tool: InteropTool): ToolProbe {
  let found = cache.get(tool);
  if (!found) {
    found = probe(tool);
    cache.set(tool, found);
  }
  if (!found.available) {
    if (requireInterop()) throw new Error(`VPC_REQUIRE_INTEROP=1 but ${found.reason}`);
    console.warn(`[interop] skipping tests that need ${tool}: ${found.reason}`);
  }
  return found;
}
