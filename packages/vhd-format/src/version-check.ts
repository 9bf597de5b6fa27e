import { VHD_FORMAT_VERSION } from './constants.js';
import type { ProblemList } from './errors.js';

/** Major version 1 is required; another minor version is tolerated with a warning (readers ignore it). */
export function checkVersion(problems: ProblemList, version: number, offset: number, what: string): void {
  const hex = `0x${version.toString(16).padStart(8, '0')}`;
  if (version >>> 16 !== VHD_FORMAT_VERSION >>> 16) problems.error('UNSUPPORTED_VERSION', offset, `${what} version ${hex} is not 1.x`);
  else if (version !== VHD_FORMAT_VERSION) problems.warning('UNSUPPORTED_VERSION', offset, `${what} version ${hex} is not 1.0`);
}
