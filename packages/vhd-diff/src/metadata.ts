import { VhdFormatError, readImage, undecodedBat } from '@vhdkit/vhd-format';
import type { DynamicHeader, Footer, FormatProblem, LocatorPath, RandomAccessSource, VhdImage } from '@vhdkit/vhd-format';
import { VhdIoError } from './errors.js';
import { swapWordsNatively } from './swap-words.js';
import { openSource } from './source-location.js';
import type { ImageLocation } from './source-location.js';

export { openReadOnly } from './file-source.js';

/** What a VHD file says about itself, read without changing the file (not even its access time where avoidable). */
export interface ImageMetadata {
  /** Absolute path of the file (or the name of the source it was read from: the URL of an image over HTTP). */
  path: string;
  fileSize: number;
  /** The file's modification time (a differencing child records its parent's, in VHD seconds). */
  mtime: Date;
  /** The trailing footer, or the copy at offset 0 when the end is damaged (then `problems` says so). */
  footer: Footer;
  /** Dynamic and differencing images only. */
  header?: DynamicHeader;
  /** Dynamic and differencing images only, unless read with `{ bat: false }`. */
  bat?: Uint32Array;
  /** Paths decoded from the header's parent locators, in entry order (unknown platform codes are left out). */
  parentLocatorPaths: LocatorPath[];
  /** Recoverable damage found while reading leniently (bad checksums, a damaged trailing footer, …). */
  problems: FormatProblem[];
  /** Everything vhd-format's reader found (data area, rejected locators, geometry), for the readers built on it. */
  image: VhdImage;
}

/** Options of `readImageMetadata`. */
export interface ReadMetadataOptions {
  /** Read the block allocation table (default true). */
  bat?: boolean;
  /** Throw on any damage instead of recording it in `problems` (default false). */
  strict?: boolean;
}

/**
 * Reads the footer, header, parent locators and BAT of the VHD at `location` (a file path or an http(s) URL),
 * through vhd-format's one reader.
 */
export async function readImageMetadata(location: ImageLocation, options: ReadMetadataOptions = {}): Promise<ImageMetadata> {
  const source = await openSource(location);
  try {
    return await readSourceMetadata(source, options);
  } finally {
    await source.close().catch(() => undefined);
  }
}

/** readImageMetadata over an opened source (left open); vhd-format's errors become VhdIoError naming the source. */
export async function readSourceMetadata(source: RandomAccessSource, options: ReadMetadataOptions = {}): Promise<ImageMetadata> {
  const strict = options.strict ?? false;
  let image: VhdImage;
  try {
    image = await readImage(source, { strict, bat: options.bat ?? true, swapWords: swapWordsNatively });
  } catch (error) {
    throw imageReadError(error, source.name, source.size, strict);
  }
  return metadataOf(image, source);
}

/** Metadata whose `bat` still forwards to its image's table (not assigned since metadataOf made it). */
const forwardingBat = new WeakSet<ImageMetadata>();

/** The ImageMetadata view of what the reader found. */
export function metadataOf(image: VhdImage, source: RandomAccessSource): ImageMetadata {
  const metadata: ImageMetadata = {
    path: source.name,
    fileSize: image.size,
    mtime: source.modifiedTime ?? new Date(0),
    footer: image.footer,
    parentLocatorPaths: image.parentLocatorPaths,
    problems: image.problems,
    image,
  };
  if (image.header) metadata.header = image.header;
  // Forwarded, not read: the image decodes its BAT on first access, and metadata nobody looks up is not decoded.
  if (image.header && (Object.getOwnPropertyDescriptor(image, 'bat') !== undefined)) {
    forwardingBat.add(metadata);
    Object.defineProperty(metadata, 'bat', {
      enumerable: true,
      configurable: true,
      get: () => image.bat,
      set: (table: Uint32Array | undefined) => {
        forwardingBat.delete(metadata);
        Object.defineProperty(metadata, 'bat', { value: table, writable: true, enumerable: true, configurable: true });
      },
    });
  }
  return metadata;
}

/**
 * `metadata.bat` as stored (big-endian words, not byte-swapped) while it has not been decoded yet: vhd-format's
 * `undecodedBat` of `metadata.image`, as long as `metadata.bat` still stands for that table. Undefined once the table
 * is decoded (someone read `metadata.bat` or `metadata.image.bat`), once `metadata.bat` has been assigned, or when
 * there is no table. For a caller that needs only what reads the same in either byte order (an unused entry is
 * 0xFFFFFFFF) and so can skip decoding a million entries; the words must not be modified.
 */
export function undecodedMetadataBat(metadata: ImageMetadata): Uint32Array | undefined {
  return forwardingBat.has(metadata) ? undecodedBat(metadata.image) : undefined;
}

/**
 * vhd-format's reader errors as vhd-diff's: no footer or no header = NOT_A_VHD (the decoder's error as cause, so the
 * facade can word it); any other broken rule = CORRUPT. Other errors (the file source's VhdIoError) pass through.
 */
export function imageReadError(error: unknown, path: string, fileSize: number, strict: boolean): unknown {
  if (!(error instanceof VhdFormatError)) return error;
  const inner = error.cause instanceof VhdFormatError ? error.cause : undefined;
  if (error.code === 'NO_FOOTER') {
    if (!inner) {
      return new VhdIoError('NOT_A_VHD', `${path} is not a valid VHD: the file is ${fileSize} bytes, shorter than a VHD footer`, {
        path, cause: error, params: { reason: 'too-short', fileSize, path },
      });
    }
    const [reason, what] = strict ? ['bad-footer', 'bad footer'] : ['no-footer', 'no VHD footer'];
    return new VhdIoError('NOT_A_VHD', `${path} is not a valid VHD: ${what} at the end of the file: ${inner.message}`, { path, cause: inner, params: { reason, path } });
  }
  if (error.code === 'BAD_HEADER') {
    const offset = error.offset;
    return new VhdIoError('NOT_A_VHD', `${path} is not a valid VHD: bad dynamic header at offset ${offset}: ${inner?.message ?? error.message}`, {
      path, cause: inner ?? error, params: { reason: 'bad-header', offset, path },
    });
  }
  if (error.code === 'BAD_SIZE' && error.field === 'currentSize' && error.value !== undefined) {
    // Too large to be a VHD: what Virtual PC calls VM_E_IMAGE_SIZE_TOO_LARGE rather than damage.
    return new VhdIoError('SIZE_TOO_LARGE', `${path}: ${error.message}`, { path, cause: error, params: { reason: 'image-too-large', path, sizeBytes: error.value } });
  }
  return new VhdIoError('CORRUPT', `${path}: ${error.message}`, { path, cause: error });
}
