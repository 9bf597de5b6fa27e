/** Bounded retries with exponential backoff, for transient failures only, honouring an AbortSignal. */
import { VhdSourceError } from './source-error.js';

export interface RetryPolicy {
  /** Attempts after the first. */
  retries: number;
  /** Delay before the first retry; doubled for each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Worth another try: the network failed or the server said "later" (408, 429, 5xx). Other 4xx never change. */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof VhdSourceError)) return false;
  if (error.code === 'NETWORK' || error.code === 'SHORT_READ') return true;
  if (error.code !== 'HTTP_STATUS' || error.status === undefined) return false;
  return error.status === 408 || error.status === 429 || error.status >= 500;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `attempt` until it succeeds, fails for good, or the retries run out (then its last error is thrown). */
export async function withRetries<T>(policy: RetryPolicy, signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (error) {
      if (retry >= policy.retries || !isTransient(error) || signal?.aborted) throw error;
      await sleep(Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry), signal);
    }
  }
}
