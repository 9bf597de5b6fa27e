import type { CliIo } from './cli-io.js';
import { createDifferencing } from './actions/create.js';
import { runFastCommand } from './fast-path.js';
import { VirtualPC } from '../virtual-pc.js';

// Entry of dist/cli-bundle/fast-create-diff.cjs, the bin's fast path for `vpc create-diff <child> <parent>`
// (fast-path.ts). The options --require-hardware-virtualization and --min-free go through the full CLI.

/** Runs a plain `vpc create-diff <child> <parent>` and returns its exit code; undefined for any other command line. */
export function runFastPath(argv: readonly string[], io: CliIo): Promise<number> | undefined {
  return runFastCommand(argv, io, 'create-diff', (ctx, [child, parent]) => createDifferencing(ctx, child!, parent!, {}), async () => ({ VirtualPC }));
}

export { processIo } from './cli-io.js';
