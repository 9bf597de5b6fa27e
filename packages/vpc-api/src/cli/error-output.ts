import { VhdIoError } from '@vhdkit/vhd-diff';
import type { Language } from '@vhdkit/vpc-errors';
import { VpcError, formatHresult } from '@vhdkit/vpc-errors';
import { toVpcError } from '../errors/hresult-map.js';
import type { CliIo } from './cli-io.js';
import { writeLineIgnoringFailure } from './cli-io.js';

/**
 * Failure output: the first stderr line is `0x%08X NAME: message`; with --json the same facts go to stdout as
 * `{"hresult","name","message"}`. Returns the exit code (1). A failure to write the report itself (stderr closed or
 * full) cannot be reported anywhere and is ignored; the exit code still says the command failed.
 */
export function reportFailure(io: CliIo, error: unknown, lang: Language, json: boolean): number {
  const failure = error instanceof VpcError ? error.inLanguage(lang) : toVpcError(error, { lang });
  writeLineIgnoringFailure(io.stderr, `${formatHresult(failure.hresult)} ${failure.code}: ${failure.message}`);
  const cause = failure.cause;
  // A vhd-diff failure's facts are already in the (localized) detail; other causes are shown as they came.
  if (cause instanceof Error && !(cause instanceof VhdIoError) && cause.message !== '' && !failure.message.includes(cause.message)) {
    writeLineIgnoringFailure(io.stderr, `  cause: ${cause.message}`);
  }
  if (json) writeLineIgnoringFailure(io.stdout, JSON.stringify(failure.toJSON()));
  return 1;
}
