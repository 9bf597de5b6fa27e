import { expect } from 'vitest';

/**
 * Awaits a promise that must reject with an instance of `type` (with `code`, when given) and returns that error for
 * further assertions. The error's message explains a wrong code.
 */
export async function expectRejection<E extends Error & { code: string }>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
  code?: E['code'],
): Promise<E> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(type);
  if (code !== undefined) expect((error as E).code, (error as E).message).toBe(code);
  return error as E;
}
