import {
  createFooter,
  randomUniqueId,
  TOOLKIT_CREATOR_APPLICATION,
  TOOLKIT_CREATOR_HOST_OS,
  TOOLKIT_CREATOR_VERSION,
  vhdSecondsOfModifiedTime,
} from '@vhdkit/vhd-format';
import type { DiskType, Footer } from '@vhdkit/vhd-format';
import { VhdIoError } from '../errors.js';
import { checkUniqueId } from './sizes.js';
import type { CreateOptions } from './types.js';

/**
 * How images made by this toolkit identify their creator (footer offsets 28–39), honestly rather than impersonating
 * Windows: application 'vhdk' (vhdkit), version 1.0 in the major<<16|minor form, host OS 'Wi2k' (one of the two values
 * the specification defines). The values themselves live in vhd-format.
 *
 * Consequence: QEMU trusts the footer's current size only for creators it knows ('win ', 'qem2', 'd2v ', 'CTXS', …)
 * and otherwise uses the CHS geometry, which below the maximum geometry is usually a little smaller than the
 * requested size. libvhdi, 7-Zip and Windows use the current size. A child copies its parent's size and geometry, so
 * every reader agrees on child and parent, whoever made the parent.
 */
export const TOOLKIT_CREATOR = {
  creatorApplication: TOOLKIT_CREATOR_APPLICATION,
  creatorVersion: TOOLKIT_CREATOR_VERSION,
  creatorHostOs: TOOLKIT_CREATOR_HOST_OS,
} as const;

/**
 * A date as a VHD timestamp (whole seconds since 2000, floored). Dates outside what the u32 field can hold are
 * clamped: a parent file last modified before 2000 is recorded as 0, the value Windows itself writes when it records
 * no time.
 */
export function vhdSecondsOf(date: Date, path: string): number {
  const unixSeconds = Math.floor(date.getTime() / 1000);
  if (Number.isNaN(unixSeconds)) throw new VhdIoError('UNSUPPORTED', `an invalid date was given for ${path}`, { path });
  // vhd-format's one conversion: floored, clamped to the u32 field.
  return vhdSecondsOfModifiedTime(date);
}

/**
 * The footer of a new standalone (fixed or dynamic) image made here: the caller's unique id or a random one, the
 * caller's time or now, the toolkit's creator fields, and geometry from the size.
 */
export function standaloneFooter(
  diskType: typeof DiskType.Fixed | typeof DiskType.Dynamic,
  virtualSize: number,
  options: Pick<CreateOptions, 'uniqueId' | 'now'>,
  imagePath: string,
): Footer {
  return createFooter({
    diskType,
    currentSize: virtualSize,
    uniqueId: checkUniqueId(options.uniqueId ?? randomUniqueId(), imagePath),
    timestamp: vhdSecondsOf(options.now ?? new Date(), imagePath),
    ...TOOLKIT_CREATOR,
  });
}
