import type { FileSystemKind } from './volume-probe.js';

/** statfs(2) `f_type` magic numbers (linux/magic.h) for the kinds the facade distinguishes. */
export const STATFS_MAGIC = {
  ISO9660: 0x9660,
  UDF: 0x15013346,
  MSDOS: 0x4d44,          // vfat and msdos: FAT12/16/32 all report this
  EXFAT: 0x2011bab0,
  NTFS3: 0x7366746e,      // 'ntfs' (ntfs3 driver)
  NTFS: 0x5346544e,       // 'NTFS' (ntfs-3g over fuse reports fuse; the old ntfs driver this)
  EXT: 0xef53,            // ext2, ext3 and ext4 share it
  XFS: 0x58465342,
  BTRFS: 0x9123683e,
  TMPFS: 0x01021994,
  OVERLAY: 0x794c7630,
  NFS: 0x6969,
} as const;

const KIND_BY_MAGIC = new Map<number, FileSystemKind>([
  [STATFS_MAGIC.ISO9660, 'iso9660'],
  [STATFS_MAGIC.UDF, 'udf'],
  [STATFS_MAGIC.MSDOS, 'fat'],
  [STATFS_MAGIC.EXFAT, 'exfat'],
  [STATFS_MAGIC.NTFS3, 'ntfs'],
  [STATFS_MAGIC.NTFS, 'ntfs'],
  [STATFS_MAGIC.EXT, 'ext'],
  [STATFS_MAGIC.XFS, 'xfs'],
  [STATFS_MAGIC.BTRFS, 'btrfs'],
  [STATFS_MAGIC.TMPFS, 'tmpfs'],
  [STATFS_MAGIC.OVERLAY, 'overlay'],
  [STATFS_MAGIC.NFS, 'nfs'],
]);

/** Some libcs hand `f_type` back sign-extended; compare as unsigned 32-bit. */
export function fileSystemKindFromStatfsType(type: number): FileSystemKind {
  return KIND_BY_MAGIC.get(type >>> 0) ?? 'other';
}

/** The fields of Node's `fs.StatFs` the probe reads (numbers, not bigints). */
export interface StatfsResult {
  type: number;
  bsize: number;
  blocks: number;
  bavail: number;
}

/** VolumeFacts from a statfs(2) result (`freeBytes` = bavail × bsize). */
export function volumeFactsFromStatfs(folder: string, stats: StatfsResult) {
  return {
    folder,
    fileSystem: fileSystemKindFromStatfsType(stats.type),
    statfsType: stats.type >>> 0,
    totalBytes: stats.blocks * stats.bsize,
    freeBytes: stats.bavail * stats.bsize,
  };
}
