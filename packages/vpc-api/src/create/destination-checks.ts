import { lstat } from 'node:fs/promises';
import path from 'node:path';
import type { Language } from '@vhdkit/vpc-errors';
import { DETAILS, detail } from '../errors/details.js';
import { refusal, toVpcError } from '../errors/hresult-map.js';
import { maxFileBytesOn } from '../volume/host-file-limits.js';
import { scanAncestors } from '../volume/nearest-existing-folder.js';
import type { VolumeProbe } from '../volume/volume-probe.js';
import { isOpticalFileSystem } from '../volume/volume-probe.js';

export interface DestinationPolicy {
  lang: Language;
  volumeProbe: VolumeProbe;
  minimumFreeBytes: number;
}

export interface CheckedDestination {
  /** Folders to create, outermost first. */
  missingFolders: string[];
}

/**
 * Steps 11–15: ERROR_ALREADY_EXISTS (anything at the image path, even a dangling link), ERROR_PATH_NOT_FOUND when a
 * component of the image's folder is a file, then the volume of the nearest existing folder: ERROR_INVALID_DRIVE
 * (ISO 9660 / UDF), VM_E_FILE_TOO_LARGE_FOR_VOLUME (FAT file limits vs the fully expanded image), ERROR_DISK_FULL.
 */
export async function checkDestination(imagePath: string, expandedFileBytes: number, policy: DestinationPolicy): Promise<CheckedDestination> {
  const { lang } = policy;
  if (await somethingExistsAt(imagePath, lang)) throw refusal('ERROR_ALREADY_EXISTS', lang, imagePath);

  const scan = await scanAncestors(path.dirname(imagePath));
  if (scan.kind === 'blocked-by-file') {
    throw refusal('ERROR_PATH_NOT_FOUND', lang, detail(lang, DETAILS.componentIsFile, { file: scan.file }));
  }

  const volume = await policy.volumeProbe.probe(scan.folder);
  if (isOpticalFileSystem(volume.fileSystem)) {
    throw refusal('ERROR_INVALID_DRIVE', lang, detail(lang, DETAILS.opticalVolume, { folder: scan.folder, fileSystem: volume.fileSystem }));
  }
  const maxFileBytes = maxFileBytesOn(volume.fileSystem);
  if (maxFileBytes !== undefined && expandedFileBytes > maxFileBytes) {
    throw refusal('VM_E_FILE_TOO_LARGE_FOR_VOLUME', lang, detail(lang, DETAILS.fileTooLargeForVolume, {
      folder: scan.folder, fileSystem: volume.fileSystem, expandedBytes: expandedFileBytes, maxFileBytes,
    }));
  }
  if (volume.freeBytes < policy.minimumFreeBytes) {
    throw refusal('ERROR_DISK_FULL', lang, detail(lang, DETAILS.lowFreeSpace, {
      folder: scan.folder, freeBytes: volume.freeBytes, minimumFreeBytes: policy.minimumFreeBytes,
    }));
  }
  return { missingFolders: scan.missing };
}

async function somethingExistsAt(imagePath: string, lang: Language): Promise<boolean> {
  try {
    await lstat(imagePath);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw toVpcError(error, { lang, detail: imagePath });
  }
}
