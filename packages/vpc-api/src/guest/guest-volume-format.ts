/**
 * The guest volume format as far as Virtual PC's size rules care, read from the MBR partition table in the first
 * sector of the virtual disk (the chain's sector 0). This is the guest's partition table, not VHD structure.
 *
 * - No 0x55AA signature, status bytes other than 0x00/0x80, or a FAT volume boot sector at sector 0 (a "superfloppy"
 *   without a partition table): the disk counts as unpartitioned, hence unformatted for these rules.
 * - Partition type 0x01 (FAT12) is grouped with FAT16: the "under 2000 MB" rule exists because of the 16-bit FAT,
 *   and FAT12 is stricter still.
 * - 0x04, 0x06, 0x0E: FAT16 (small, large, LBA). 0x0B, 0x0C: FAT32 (CHS, LBA). Everything else (NTFS 0x07, Linux
 *   0x83, GPT protective 0xEE, …) is neither.
 */
export type GuestFatFamily = 'fat16' | 'fat32';

/** A used entry of the guest's MBR partition table. */
export interface GuestPartition {
  index: number;        // 0–3 in the MBR
  typeByte: number;
  family: GuestFatFamily | undefined;
}

/** What the guest's first sector says about its FAT volumes. */
export interface GuestVolumeFormat {
  partitioned: boolean;
  partitions: GuestPartition[];   // non-empty entries only
}

const PARTITION_TABLE_OFFSET = 0x1be;
const PARTITION_ENTRY_BYTES = 16;
const TYPE_BYTE_IN_ENTRY = 4;

const FAMILY_BY_TYPE = new Map<number, GuestFatFamily>([
  [0x01, 'fat16'], [0x04, 'fat16'], [0x06, 'fat16'], [0x0e, 'fat16'],
  [0x0b, 'fat32'], [0x0c, 'fat32'],
]);

const UNPARTITIONED: GuestVolumeFormat = { partitioned: false, partitions: [] };

function looksLikeFatBootSector(sector: Uint8Array): boolean {
  const jump = sector[0] === 0xeb || sector[0] === 0xe9;
  const label = (offset: number) => String.fromCharCode(...sector.subarray(offset, offset + 3));
  return jump && (label(0x36) === 'FAT' || label(0x52) === 'FAT');
}

/** Reads the MBR of a guest's sector 0; a disk without a valid partition table counts as unpartitioned. */
export function guestVolumeFormatFromFirstSector(sector: Uint8Array): GuestVolumeFormat {
  if (sector.length < 512 || sector[510] !== 0x55 || sector[511] !== 0xaa) return UNPARTITIONED;
  if (looksLikeFatBootSector(sector)) return UNPARTITIONED;
  const partitions: GuestPartition[] = [];
  for (let index = 0; index < 4; index++) {
    const entry = PARTITION_TABLE_OFFSET + index * PARTITION_ENTRY_BYTES;
    const status = sector[entry]!;
    if (status !== 0x00 && status !== 0x80) return UNPARTITIONED;
    const typeByte = sector[entry + TYPE_BYTE_IN_ENTRY]!;
    if (typeByte !== 0) partitions.push({ index, typeByte, family: FAMILY_BY_TYPE.get(typeByte) });
  }
  return { partitioned: partitions.length > 0, partitions };
}
