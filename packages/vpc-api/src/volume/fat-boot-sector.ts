/** FAT variants a boot sector can declare. */
export type FatVariant = 'fat12' | 'fat16' | 'fat32';

// BPB field offsets (Microsoft FAT specification, "Boot Sector and BPB").
const BYTES_PER_SECTOR = 11;       // u16
const SECTORS_PER_CLUSTER = 13;    // u8
const RESERVED_SECTORS = 14;       // u16
const FAT_COUNT = 16;              // u8
const ROOT_ENTRY_COUNT = 17;       // u16
const TOTAL_SECTORS_16 = 19;       // u16
const SECTORS_PER_FAT_16 = 22;     // u16 (0 on FAT32)
const TOTAL_SECTORS_32 = 32;       // u32
const SECTORS_PER_FAT_32 = 36;     // u32 (FAT32 only)

// The spec's thresholds: the variant is decided by the cluster count alone, never by the label strings.
const FAT12_MAX_CLUSTERS = 4084;
const FAT16_MAX_CLUSTERS = 65524;

/**
 * The FAT variant a volume boot sector declares, computed the specification's way (count of data clusters), or
 * `undefined` when the bytes are not a plausible FAT boot sector. Used by the Linux probe because statfs reports the
 * same magic for FAT12, FAT16 and FAT32.
 */
export function fatVariantFromBootSector(sector: Uint8Array): FatVariant | undefined {
  if (sector.length < 512 || sector[510] !== 0x55 || sector[511] !== 0xaa) return undefined;
  const view = new DataView(sector.buffer, sector.byteOffset, sector.byteLength);
  const bytesPerSector = view.getUint16(BYTES_PER_SECTOR, true);
  const sectorsPerCluster = view.getUint8(SECTORS_PER_CLUSTER);
  const reservedSectors = view.getUint16(RESERVED_SECTORS, true);
  const fatCount = view.getUint8(FAT_COUNT);
  if (![512, 1024, 2048, 4096].includes(bytesPerSector)) return undefined;
  if (sectorsPerCluster === 0 || (sectorsPerCluster & (sectorsPerCluster - 1)) !== 0) return undefined;
  if (reservedSectors === 0 || fatCount === 0) return undefined;

  const sectorsPerFat = view.getUint16(SECTORS_PER_FAT_16, true) || view.getUint32(SECTORS_PER_FAT_32, true);
  const totalSectors = view.getUint16(TOTAL_SECTORS_16, true) || view.getUint32(TOTAL_SECTORS_32, true);
  const rootDirectorySectors = Math.ceil((view.getUint16(ROOT_ENTRY_COUNT, true) * 32) / bytesPerSector);
  const dataSectors = totalSectors - (reservedSectors + fatCount * sectorsPerFat + rootDirectorySectors);
  if (sectorsPerFat === 0 || dataSectors <= 0) return undefined;
  const clusterCount = Math.floor(dataSectors / sectorsPerCluster);
  if (clusterCount <= FAT12_MAX_CLUSTERS) return 'fat12';
  if (clusterCount <= FAT16_MAX_CLUSTERS) return 'fat16';
  return 'fat32';
}
