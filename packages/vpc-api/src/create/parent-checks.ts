import { stat } from 'node:fs/promises';
import type { ImageMetadata, VhdDisk } from '@vhdkit/vhd-diff';
import { VhdIoError, openDisk, readImageMetadata } from '@vhdkit/vhd-diff';
import { DEFAULT_BLOCK_SIZE, MAX_VIRTUAL_SIZE, SECTOR_SIZE } from '@vhdkit/vhd-diff';
import type { Language } from '@vhdkit/vpc-errors';
import { DETAILS, detail, formatProblemDetail } from '../errors/details.js';
import { failureDetail, refusal, toVpcError } from '../errors/hresult-map.js';
import type { GuestVolumeFormat } from '../guest/guest-volume-format.js';
import { guestVolumeFormatFromFirstSector } from '../guest/guest-volume-format.js';

export interface InspectedParent {
  metadata: ImageMetadata;
  virtualSizeBytes: number;
  /** The child's block size: the parent's, or 2 MiB for a fixed parent (what vhd-diff writes). */
  childBlockSizeBytes: number;
  guest: GuestVolumeFormat;
}

/**
 * Steps 8–9: the parent exists (ERROR_PATH_NOT_FOUND), is a valid VHD (VM_E_INVALID_HD_FILE) and, when it is itself
 * a differencing disk, its chain opens (VM_E_PARENT_PATH_NOT_FOUND, VM_E_PARENT_CHILD_ID_MISMATCH,
 * VM_E_PARENT_MODIFIED, ERROR_FILE_CORRUPT). Everything is opened read-only; the parent is never modified.
 */
export async function inspectParent(parentPath: string, lang: Language): Promise<InspectedParent> {
  try {
    const stats = await stat(parentPath);
    if (stats.isDirectory()) throw refusal('VM_E_INVALID_HD_FILE', lang, detail(lang, DETAILS.parentIsFolder, { path: parentPath }));
  } catch (error) {
    // Windows reports a missing parent, or a parent under a path component that is a file, as "path not found".
    throw toVpcError(error, { lang, detail: parentPath, errnoOverrides: { ENOENT: 'ERROR_PATH_NOT_FOUND', ENOTDIR: 'ERROR_PATH_NOT_FOUND' } });
  }

  const { metadata, guest } = await readParent(parentPath, lang);
  return {
    metadata,
    virtualSizeBytes: metadata.footer.currentSize,
    childBlockSizeBytes: metadata.header?.blockSize ?? DEFAULT_BLOCK_SIZE,
    guest,
  };
}

/**
 * The parent's metadata and guest format from one opening of its chain: the metadata is the opened top's (the same
 * lenient read as readImageMetadata), so the table of a 2040 GiB parent is read and decoded once, not twice. When
 * the chain does not open, the parent's own metadata is checked first, so that a damaged parent fails with its own
 * HRESULT and detail; only a parent that passes fails with the chain's error.
 */
async function readParent(parentPath: string, lang: Language): Promise<{ metadata: ImageMetadata; guest: GuestVolumeFormat }> {
  let disk;
  try {
    disk = await openDisk(parentPath);
  } catch (error) {
    await readParentMetadata(parentPath, lang);
    throw toVpcError(error, { lang, detail: notAVhdDetail(parentPath, error, lang) });
  }
  try {
    refuseDamagedParent(parentPath, disk.metadata, lang);
    return { metadata: disk.metadata, guest: await readGuestFormat(disk, parentPath, lang) };
  } finally {
    await disk.close();
  }
}

async function readParentMetadata(parentPath: string, lang: Language): Promise<ImageMetadata> {
  let metadata: ImageMetadata;
  try {
    metadata = await readImageMetadata(parentPath);
  } catch (error) {
    // A parent above 2040 GiB is refused by the reader itself; Virtual PC's answer is the size HRESULT.
    if (error instanceof VhdIoError && error.params?.reason === 'image-too-large') {
      const sizeBytes = Number(error.params.sizeBytes);
      throw refusal('VM_E_IMAGE_SIZE_TOO_LARGE', lang, detail(lang, DETAILS.sizeAboveLimit, { sizeBytes, limitBytes: MAX_VIRTUAL_SIZE, fat16Guest: false }));
    }
    throw toVpcError(error, { lang, detail: notAVhdDetail(parentPath, error, lang) });
  }
  refuseDamagedParent(parentPath, metadata, lang);
  return metadata;
}

/** Lenient reading records damage; damage of severity 'error' means Windows would not open it as a parent either. */
function refuseDamagedParent(parentPath: string, metadata: ImageMetadata, lang: Language): void {
  const fatal = metadata.problems.find((problem) => problem.severity === 'error');
  if (fatal !== undefined) {
    throw refusal('VM_E_INVALID_HD_FILE', lang, detail(lang, DETAILS.notAVhd, { path: parentPath, reason: formatProblemDetail(fatal, lang) }));
  }
}

/** Sector 0 of the opened chain, for the guest partition table. */
async function readGuestFormat(disk: VhdDisk, parentPath: string, lang: Language): Promise<GuestVolumeFormat> {
  try {
    const firstSector = new Uint8Array(SECTOR_SIZE);
    const bytesRead = await disk.read(firstSector, 0);
    return guestVolumeFormatFromFirstSector(firstSector.subarray(0, bytesRead));
  } catch (error) {
    throw toVpcError(error, { lang, detail: notAVhdDetail(parentPath, error, lang) });
  }
}

function notAVhdDetail(parentPath: string, error: unknown, lang: Language): string {
  return detail(lang, DETAILS.notAVhd, { path: parentPath, reason: failureDetail(error, lang) });
}
