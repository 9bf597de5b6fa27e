import {
  FOOTER_SIZE,
  VhdFormatError,
  createDynamicHeader,
  encodeDynamicHeader,
  encodeFooter,
  encodeLocatorPath,
  planDynamicLayout,
  type DynamicHeader,
  type DynamicLayout,
  type Footer,
  type ParentLocatorEntry,
} from '@vhdkit/vhd-format';
import { VhdIoError } from '../errors.js';
import type { ImagePiece } from './chunks.js';
import type { ImageFilePlan } from './write-image.js';

export type LocatorCode = 'W2ku' | 'W2ru';

export interface DynamicImageSpec {
  /** The footer of the new image (dynamic or differencing), written at 0 and at the end. */
  footer: Footer;
  blockSize: number;
  /** Differencing images only. */
  parent?: { uniqueId: Uint8Array; timestamp: number; unicodeName: string; locators: { platformCode: LocatorCode; path: string }[] };
}

export interface DynamicImagePlan extends ImageFilePlan {
  layout: DynamicLayout;
  header: DynamicHeader;
}

/**
 * The bytes of an empty dynamic or differencing image, in the layout Windows writes (docs/windows-child-layout.md):
 * footer copy at 0, header at 512, locator data in its own 4 KiB regions around the BAT, the BAT all unused
 * (0xFFFFFFFF, padded with 0xFF), and the footer where the first block will go.
 */
export function planDynamicImage(spec: DynamicImageSpec, path: string): DynamicImagePlan {
  try {
    return planDynamicImageBytes(spec);
  } catch (error) {
    // vhd-format refuses what it cannot encode (a parent name over 256 UTF-16 units, too many BAT entries, …).
    if (error instanceof VhdFormatError) {
      throw new VhdIoError('UNSUPPORTED', `cannot lay out ${path}: ${error.message}`, { path, cause: error });
    }
    throw error;
  }
}

function planDynamicImageBytes(spec: DynamicImageSpec): DynamicImagePlan {
  const virtualSize = spec.footer.currentSize;
  const maxTableEntries = Math.ceil(virtualSize / spec.blockSize);
  const locatorData = (spec.parent?.locators ?? []).map((locator) => ({
    platformCode: locator.platformCode,
    data: encodeLocatorPath(locator.platformCode, locator.path),
  }));
  const layout = planDynamicLayout({
    virtualSize,
    blockSize: spec.blockSize,
    locators: locatorData.map((locator) => ({ platformCode: locator.platformCode, dataBytes: locator.data.length })),
  });
  const dataFor = (platformCode: string): Uint8Array => {
    const found = locatorData.find((locator) => locator.platformCode === platformCode);
    if (!found) throw new VhdIoError('UNSUPPORTED', `internal layout error: a ${platformCode} locator was placed but not requested`);
    return found.data;
  };
  const parentLocators: ParentLocatorEntry[] = layout.locators.map((placed) => ({
    platformCode: placed.platformCode,
    platformDataSpace: placed.dataSpace,
    platformDataLength: placed.dataBytes,
    reserved: 0,
    platformDataOffset: placed.dataOffset,
  }));
  const header = createDynamicHeader({
    tableOffset: layout.tableOffset,
    maxTableEntries,
    blockSize: spec.blockSize,
    ...(spec.parent && {
      parentUniqueId: spec.parent.uniqueId,
      parentTimestamp: spec.parent.timestamp,
      parentUnicodeName: spec.parent.unicodeName,
      parentLocators,
    }),
  });

  const footerBytes = encodeFooter(spec.footer);
  const footerOffset = layout.emptyFileSize - FOOTER_SIZE;
  const pieces: ImagePiece[] = [
    { offset: 0, bytes: footerBytes },
    { offset: layout.headerOffset, bytes: encodeDynamicHeader(header) },
    { offset: layout.tableOffset, length: layout.tableByteSize, fillByte: 0xff },
    ...layout.locators.map((placed) => ({ offset: placed.dataOffset, bytes: dataFor(placed.platformCode) })),
    { offset: footerOffset, bytes: footerBytes },
  ];
  pieces.sort((a, b) => a.offset - b.offset);
  return { fileSize: layout.emptyFileSize, sparseBytes: 0, pieces, layout, header };
}

