/**
 * File system kinds the facade has rules for. `fat` means FAT whose variant could not be told apart
 * (a probe should resolve it to fat12/fat16/fat32 whenever it can).
 */
export type FileSystemKind =
  | 'iso9660' | 'udf'                       // CD/DVD: ERROR_INVALID_DRIVE
  | 'fat12' | 'fat16' | 'fat32' | 'fat'     // host file-size limits: VM_E_FILE_TOO_LARGE_FOR_VOLUME
  | 'exfat' | 'ntfs' | 'ext' | 'xfs' | 'btrfs' | 'tmpfs' | 'overlay' | 'nfs' | 'other';

/** What the facade needs to know about the volume holding a folder. */
export interface VolumeFacts {
  /** The existing folder that was probed. */
  folder: string;
  fileSystem: FileSystemKind;
  /** The raw statfs `type` magic when the facts came from statfs. */
  statfsType?: number;
  totalBytes: number;
  /** Bytes available to an unprivileged writer (statfs `bavail × bsize`). */
  freeBytes: number;
}

/**
 * The one seam between policy and the host: tests pass a probe that simulates CD-ROMs, FAT volumes and full disks;
 * production uses `LinuxVolumeProbe` (statfs plus the FAT boot sector).
 */
export interface VolumeProbe {
  /** `folder` exists (the facade passes the nearest existing ancestor of the image path). */
  probe(folder: string): Promise<VolumeFacts>;
}

export function isOpticalFileSystem(kind: FileSystemKind): boolean {
  return kind === 'iso9660' || kind === 'udf';
}
