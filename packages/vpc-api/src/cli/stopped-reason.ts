import { VhdIoError } from '@vhdkit/vhd-diff';
import type { CommandContext } from './command-context.js';

/**
 * A chain operation that failed because SIGINT/SIGTERM stopped it reports why it was stopped. The error catalogue
 * (already loaded by the signal handler when the signal is aborted) is imported only then.
 */
export async function stoppedReason(context: CommandContext, error: unknown): Promise<unknown> {
  const signal = context.stopSignal;
  if (!signal.aborted) return error;
  const { VpcError } = await import('@vhdkit/vpc-errors');
  const abortedBySignal = (error instanceof VhdIoError && error.code === 'ABORTED') || (error as { name?: unknown } | null)?.name === 'AbortError';
  if (signal.reason instanceof VpcError && abortedBySignal) {
    return new VpcError(signal.reason.code, { lang: context.lang, detail: signal.reason.detail, cause: error });
  }
  return error;
}
