import type { CliIo } from './cli-io.js';
import { showInfo } from './actions/info.js';
import { runFastCommand } from './fast-path.js';

// Entry of dist/cli-bundle/fast-info.cjs, the bin's fast path for `vpc info <image>` (fast-path.ts).

/** Runs a plain `vpc info <image>` and returns its exit code; undefined (nothing done) for any other command line. */
export function runFastPath(argv: readonly string[], io: CliIo): Promise<number> | undefined {
  return runFastCommand(argv, io, 'info', (ctx, [path]) => showInfo(ctx, path!));
}

export { processIo } from './cli-io.js';
