import { MAX_VIRTUAL_SIZE } from '@vhdkit/vhd-diff';
import type { GuestVolumeFormat } from './guest-volume-format.js';

const MIB = 1024 * 1024;
/**
 * Virtual PC's "MB" are MiB: 2,088,960 MB is exactly vhd-format's MAX_VIRTUAL_SIZE (2040 GiB). It is the maximum, so
 * it is accepted — the refusal's own message says "the maximum is 2,088,960 MB", and Hyper-V, `qemu-img create` and
 * vhd-util make disks of exactly that size; only larger ones are refused.
 */
export const MIN_VIRTUAL_SIZE_BYTES = 3 * MIB;
/** A disk with a FAT16 guest partition must be smaller than this (2000 MB). */
export const MAX_FAT16_GUEST_SIZE_BYTES = 2000 * MIB;   // must be under this
/** A disk with a FAT32 guest partition must be at least this (514 MB). */
export const MIN_FAT32_GUEST_SIZE_BYTES = 514 * MIB;    // must be at least this

/** Why a virtual size is refused, with the size and the limit it broke. */
export type SizeProblem =
  | { kind: 'too-large'; sizeBytes: number; limitBytes: number; reason: 'maximum' | 'fat16-guest' }
  | { kind: 'too-small'; sizeBytes: number; limitBytes: number; reason: 'minimum' | 'fat32-guest' };

/** The first size rule `sizeBytes` breaks; the guest format rules apply only when a FAT partition is present. */
export function sizeProblem(sizeBytes: number, guest?: GuestVolumeFormat): SizeProblem | undefined {
  if (sizeBytes > MAX_VIRTUAL_SIZE) return { kind: 'too-large', sizeBytes, limitBytes: MAX_VIRTUAL_SIZE, reason: 'maximum' };
  if (sizeBytes < MIN_VIRTUAL_SIZE_BYTES) return { kind: 'too-small', sizeBytes, limitBytes: MIN_VIRTUAL_SIZE_BYTES, reason: 'minimum' };
  const families = new Set(guest?.partitions.map((partition) => partition.family));
  if (families.has('fat16') && sizeBytes >= MAX_FAT16_GUEST_SIZE_BYTES) {
    return { kind: 'too-large', sizeBytes, limitBytes: MAX_FAT16_GUEST_SIZE_BYTES, reason: 'fat16-guest' };
  }
  if (families.has('fat32') && sizeBytes < MIN_FAT32_GUEST_SIZE_BYTES) {
    return { kind: 'too-small', sizeBytes, limitBytes: MIN_FAT32_GUEST_SIZE_BYTES, reason: 'fat32-guest' };
  }
  return undefined;
}
