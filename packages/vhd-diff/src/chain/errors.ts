import { VhdIoError } from './creation-api.js';
import type { VhdIoErrorCode } from './creation-api.js';
import type { VhdIoErrorParams } from '../errors.js';

export function chainError(code: VhdIoErrorCode, message: string, path?: string, cause?: unknown, params?: VhdIoErrorParams): VhdIoError {
  return new VhdIoError(code, message, { path, cause, params });
}

/** Node fs errors carry an errno code (ENOENT, ENOSPC…). */
function isNodeError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && !(error instanceof VhdIoError) && typeof (error as NodeJS.ErrnoException).code === 'string';
}

/** fs failures become VhdIoError('IO') with the Node error as `cause` (so `cause.code` stays visible). */
export function asVhdIoError(error: unknown, path: string): unknown {
  if (isNodeError(error)) return chainError('IO', `${path}: ${error.message}`, path, error);
  return error;
}

/** Runs an fs operation and rethrows its failure as a typed error naming the file. */
export async function withIo<T>(path: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw asVhdIoError(error, path);
  }
}

/** withIo for a synchronous fs operation. */
export function withIoSync<T>(path: string, operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    throw asVhdIoError(error, path);
  }
}
