/**
 * The `./cli` entry (`@vhdkit/vpc-api/cli`): the `vpc` command line as a function, for the bin and for embedders
 * that run it in-process. Kept apart from the library entry so that importing `@vhdkit/vpc-api` loads no CLI code.
 */
export { runCli } from './cli/run.js';
export { processIo } from './cli/cli-io.js';
export type { CliIo } from './cli/cli-io.js';
