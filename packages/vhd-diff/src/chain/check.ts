import { inspect } from './inspect.js';
import type { CheckReport } from './types.js';
import type { ImageLocation } from '../source-location.js';

/**
 * Everything wrong with one image and its link to its parent, as a JSON-able report. Severities:
 * 'error' = readers may refuse the image or read wrong bytes; 'warning' = readable but off-spec;
 * 'info' = harmless (e.g. space left by an interrupted block allocation). `ok` means no errors.
 * A parent timestamp mismatch is an error unless `timestampMismatch: 'accept'`. `location` is a file path or an
 * http(s) URL (whose parents are then looked for on the server).
 */
export async function check(path: ImageLocation, options: { timestampMismatch?: 'error' | 'accept' } = {}): Promise<CheckReport> {
  return (await inspect(path, options)).report;
}

export { repair } from './repair.js';
