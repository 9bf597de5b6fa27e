import type { CliIo } from './cli-io.js';
import { catImage } from './actions/cat.js';
import { runFastCommand } from './fast-path.js';

// Entry of dist/cli-bundle/fast-cat.cjs, the bin's fast path for `vpc cat <image>` (fast-path.ts).

/** Runs a plain `vpc cat <image>` and returns its exit code; undefined (nothing done) for any other command line. */
export function runFastPath(argv: readonly string[], io: CliIo): Promise<number> | undefined {
  return runFastCommand(argv, io, 'cat', (ctx, [image]) => catImage(ctx, image!));
}

export { processIo } from './cli-io.js';
