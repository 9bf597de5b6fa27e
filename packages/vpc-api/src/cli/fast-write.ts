import type { CliIo } from './cli-io.js';
import { writeImage } from './actions/write.js';
import { runFastCommand } from './fast-path.js';

// Entry of dist/cli-bundle/fast-write.cjs, the bin's fast path for `vpc write <image> --offset N [--input file|-]`
// (fast-path.ts).

/** Runs a plain `vpc write` and returns its exit code; undefined (nothing done) for any other command line. */
export function runFastPath(argv: readonly string[], io: CliIo): Promise<number> | undefined {
  return runFastCommand(argv, io, 'write', (ctx, [image], values) => writeImage(ctx, image!, { offset: values.offset!, input: values.input ?? '-' }));
}

export { processIo } from './cli-io.js';
