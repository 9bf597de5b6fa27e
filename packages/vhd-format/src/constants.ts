/** Sizes, cookies and limits of the VHD format (docs/format.md). */

export const SECTOR_SIZE = 512;
/** Bytes in a footer. */
export const FOOTER_SIZE = 512;
/** Old Virtual PC images end in a footer missing its last (reserved) byte. */
export const SHORT_FOOTER_SIZE = 511;
/** Bytes in a dynamic header. */
export const DYNAMIC_HEADER_SIZE = 1024;
/** The block size Windows and this toolkit use unless told otherwise: 2 MiB. */
export const DEFAULT_BLOCK_SIZE = 2 * 1024 * 1024;
/** 2040 GiB = 2,088,960 MiB: the largest VHD Windows creates or attaches. */
export const MAX_VIRTUAL_SIZE = 2_190_433_320_960;
/** The BAT value of a block that is not allocated. */
export const UNUSED_BAT_ENTRY = 0xffffffff;
/** The footer data offset of a fixed image, and the unused data offset of the dynamic header. */
export const FIXED_DATA_OFFSET = 0xffffffffffffffffn;
/** The footer's first eight bytes. */
export const FOOTER_COOKIE = 'conectix';
/** The dynamic header's first eight bytes. */
export const DYNAMIC_HEADER_COOKIE = 'cxsparse';
/** Version 1.0 of both the footer and the dynamic header. */
export const VHD_FORMAT_VERSION = 0x00010000;
/** 2000-01-01T00:00:00Z, the zero of VHD timestamps. */
export const VHD_EPOCH_UNIX_SECONDS = 946_684_800;

/** Smallest block size we accept: one sector (the format needs a power of two and a multiple of 512). */
export const MIN_BLOCK_SIZE = SECTOR_SIZE;
/**
 * Largest block size we accept. Real writers use 512 KiB or 2 MiB; 256 MiB leaves ample room while
 * keeping one block (what the streaming parser holds at once) a reasonable allocation.
 */
export const MAX_BLOCK_SIZE = 256 * 1024 * 1024;
/**
 * Most BAT entries a header may claim: enough for a 2 TiB disk (the format's sector-offset limit)
 * with 512 KiB blocks, the smallest block size seen on big disks. Caps the BAT at 16 MiB, so a
 * hostile header cannot make a reader allocate gigabytes.
 */
export const MAX_TABLE_ENTRIES = 4 * 1024 * 1024;
/** Largest parent locator data we read: a Windows path is at most 32,767 UTF-16 units (65,534 bytes). */
export const MAX_LOCATOR_DATA_BYTES = 64 * 1024;
/** Parent locator entries in a dynamic header. */
export const PARENT_LOCATOR_COUNT = 8;
/** The parent unicode name holds at most 256 UTF-16 code units (512 bytes). */
export const MAX_PARENT_NAME_UNITS = 256;
/** Windows aligns locator data, the BAT and block data to 4 KiB (docs/windows-child-layout.md). */
export const WINDOWS_ALIGNMENT = 4096;

/** Footer disk type codes (0 none, 2 fixed, 3 dynamic, 4 differencing); the type is the union of these values. */
export const DiskType = { None: 0, Fixed: 2, Dynamic: 3, Differencing: 4 } as const;
export type DiskType = (typeof DiskType)[keyof typeof DiskType];
/** The three kinds of image, by name (see `diskTypeName`). */
export type DiskTypeName = 'fixed' | 'dynamic' | 'differencing';

/** The name of an image's disk type, or undefined for codes that are not a usable image type (0, 1, 5, 6…). */
export function diskTypeName(code: number): DiskTypeName | undefined {
  switch (code) {
    case DiskType.Fixed:
      return 'fixed';
    case DiskType.Dynamic:
      return 'dynamic';
    case DiskType.Differencing:
      return 'differencing';
    default:
      return undefined;
  }
}

/**
 * Whether an image of this footer disk type has a dynamic header (and so a block allocation table): dynamic and
 * differencing images do; fixed images, none (0) and codes that are no disk type do not.
 */
export function hasDynamicHeader(diskType: number): boolean {
  return diskType === DiskType.Dynamic || diskType === DiskType.Differencing;
}
