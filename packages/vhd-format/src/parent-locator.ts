/** Parent locator entries and the paths in their data (docs/format.md#parent-locators). */
import { decodeLatin1, decodeUtf16, encodeLatin1, encodeUtf16, stripTrailingNuls } from './bytes.js';
import { SECTOR_SIZE } from './constants.js';
import { VhdFormatError } from './errors.js';

/** One 24-byte parent locator entry, as stored. */
export interface ParentLocatorEntry {
  /** 'W2ku' | 'W2ru' | 'Wi2k' | 'Wi2r' | 'MacX' | 'Mac ' | '\0\0\0\0' (unused) | anything else found on disk. */
  platformCode: string;
  /** Raw as stored: bytes per Windows, sectors per the specification. Use locatorDataSpaceBytes(). */
  platformDataSpace: number;
  /** Bytes. */
  platformDataLength: number;
  reserved: number;
  /** Absolute file offset of the data. */
  platformDataOffset: number;
}

/** The platform codes whose data this package decodes into a path. */
export type LocatorPlatformCode = 'W2ku' | 'W2ru' | 'Wi2k' | 'Wi2r' | 'MacX';

/** The platform code of an unused entry. */
export const UNUSED_PLATFORM_CODE = '\0\0\0\0';

/** An unused (all-zero) locator entry. */
export function emptyLocatorEntry(): ParentLocatorEntry {
  return { platformCode: UNUSED_PLATFORM_CODE, platformDataSpace: 0, platformDataLength: 0, reserved: 0, platformDataOffset: 0 };
}

/** An entry is unused when its platform code is zero (readers look only at the code). */
export function isUnusedLocator(entry: ParentLocatorEntry): boolean {
  return entry.platformCode === UNUSED_PLATFORM_CODE;
}

/**
 * The data space in bytes. Windows and most readers store bytes; the specification (and xen-orchestra)
 * says sectors. A value below 512 that cannot hold the data as bytes can only be sectors.
 */
export function locatorDataSpaceBytes(entry: ParentLocatorEntry): number {
  const space = entry.platformDataSpace;
  if (space < SECTOR_SIZE && space < entry.platformDataLength) return space * SECTOR_SIZE;
  return space;
}

const MAC_FILE_URL_PREFIX = /^file:\/\/(localhost)?(?=\/)/i;

function decodeFileUrlPath(url: string): string {
  const match = MAC_FILE_URL_PREFIX.exec(url);
  if (!match) return url;
  const path = url.slice(match[0].length);
  try {
    return decodeURIComponent(path);
  } catch {
    // Malformed percent escapes: keep the text as written rather than failing the whole locator.
    return path;
  }
}

/**
 * The path held in a locator's data: W2ku/W2ru UTF-16LE, Wi2k/Wi2r 8-bit text, MacX a UTF-8 file URL
 * (returned as a POSIX path). Trailing NULs are dropped. undefined for other codes ('Mac ' aliases are opaque).
 */
export function decodeLocatorPath(platformCode: string, data: Uint8Array): string | undefined {
  switch (platformCode) {
    case 'W2ku':
    case 'W2ru':
      return stripTrailingNuls(decodeUtf16(data, true));
    case 'Wi2k':
    case 'Wi2r':
      return stripTrailingNuls(decodeLatin1(data));
    case 'MacX':
      return decodeFileUrlPath(stripTrailingNuls(new TextDecoder('utf-8').decode(data)));
    default:
      return undefined;
  }
}

/** The locator data for a path, without terminator (as Windows writes it). MacX takes a POSIX path. */
export function encodeLocatorPath(platformCode: LocatorPlatformCode, path: string): Uint8Array {
  switch (platformCode) {
    case 'W2ku':
    case 'W2ru':
      return encodeUtf16(path, true);
    case 'Wi2k':
    case 'Wi2r': {
      const bytes = encodeLatin1(path);
      if (!bytes) throw new VhdFormatError('BAD_LOCATOR', 0, `${platformCode} locators hold 8-bit text; ${JSON.stringify(path)} does not fit`);
      return bytes;
    }
    case 'MacX':
      if (!path.startsWith('/')) throw new VhdFormatError('BAD_LOCATOR', 0, `a MacX locator needs an absolute POSIX path, got ${JSON.stringify(path)}`);
      try {
        return new TextEncoder().encode(`file://localhost${encodeURI(path)}`);
      } catch (cause) {
        // encodeURI rejects lone surrogates.
        throw new VhdFormatError('BAD_LOCATOR', 0, `${JSON.stringify(path)} cannot be written as a file URL`, { cause });
      }
    default:
      throw new VhdFormatError('BAD_LOCATOR', 0, `cannot encode a path for platform code ${JSON.stringify(platformCode)}`);
  }
}
