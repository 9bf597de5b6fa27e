import { SECTOR_SIZE } from './constants.js';
import { VhdFormatError } from './errors.js';

/** Cylinder/head/sector geometry, as stored in the footer. */
export interface Geometry {
  cylinders: number;
  heads: number;
  sectorsPerTrack: number;
}

/** The largest CHS the footer can express: 65535 × 16 × 255 sectors (≈127 GiB). */
const MAX_CHS_SECTORS = 65535 * 16 * 255;
const SPT_255_THRESHOLD = 65535 * 16 * 63;

/**
 * The specification's CHS algorithm, step for step (docs/format.md#geometry), including its cap: every size
 * from 65535×16×255 sectors up maps to 65535/16/255. All divisions truncate.
 */
export function geometryFromSize(sizeBytes: number): Geometry {
  if (!Number.isFinite(sizeBytes) || sizeBytes < 0) {
    throw new VhdFormatError('BAD_SIZE', 0, `cannot compute a geometry for size ${sizeBytes}`);
  }
  const totalSectors = Math.min(Math.floor(sizeBytes / SECTOR_SIZE), MAX_CHS_SECTORS);
  let sectorsPerTrack: number;
  let heads: number;
  let cylindersTimesHeads: number;
  if (totalSectors >= SPT_255_THRESHOLD) {
    sectorsPerTrack = 255;
    heads = 16;
    cylindersTimesHeads = Math.floor(totalSectors / sectorsPerTrack);
  } else {
    sectorsPerTrack = 17;
    cylindersTimesHeads = Math.floor(totalSectors / sectorsPerTrack);
    heads = Math.max(Math.floor((cylindersTimesHeads + 1023) / 1024), 4);
    if (cylindersTimesHeads >= heads * 1024 || heads > 16) {
      sectorsPerTrack = 31;
      heads = 16;
      cylindersTimesHeads = Math.floor(totalSectors / sectorsPerTrack);
    }
    if (cylindersTimesHeads >= heads * 1024) {
      sectorsPerTrack = 63;
      heads = 16;
      cylindersTimesHeads = Math.floor(totalSectors / sectorsPerTrack);
    }
  }
  return { cylinders: Math.floor(cylindersTimesHeads / heads), heads, sectorsPerTrack };
}

/** Bytes addressed by a geometry: cylinders × heads × sectors per track × 512 (what QEMU trusts for unknown creators). */
export function sizeFromGeometry(geometry: Geometry): number {
  return geometry.cylinders * geometry.heads * geometry.sectorsPerTrack * SECTOR_SIZE;
}
