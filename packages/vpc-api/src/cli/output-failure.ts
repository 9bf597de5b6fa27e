import type { Language, VpcError } from '@vhdkit/vpc-errors';
import { toVpcError } from '../errors/hresult-map.js';

// Loaded only when writing the output failed (ENOSPC on /dev/full…): the error table stays off the start-up path.

const STANDARD_OUTPUT: Record<Language, string> = { en: 'standard output', es: 'salida estándar' };

/** A failed write to stdout as its HRESULT (by errno: ENOSPC → ERROR_DISK_FULL), naming standard output. */
export function outputFailure(error: unknown, lang: Language): VpcError {
  return toVpcError(error, { lang, detail: STANDARD_OUTPUT[lang] });
}
