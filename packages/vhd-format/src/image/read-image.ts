/**
 * The one image reader: footer (trailing, or the copy at 0 when the end is damaged), dynamic header, parent
 * locator paths and BAT, read from any RandomAccessSource. Every open-time rule about an image's structure lives
 * here, once; vhd-diff, the checker, the chain resolver and the browser read images only through this file.
 *
 * Policy: facts a reader steers by (sizes, offsets, block size, table size) are checked in every mode and a
 * violation is a thrown VhdFormatError naming field and image offset. Recoverable damage (a checksum, a locator
 * that points nowhere) is a `problem` when lenient and thrown when strict. A table too short for the disk is
 * fatal whenever the BAT is loaded (the disk is to be read or written: sectors the image cannot describe are not
 * zeros, and QEMU refuses such an image too); read without the BAT, for display, it is a problem.
 * Nothing is allocated from a field before the field is checked against the limits and the image's size.
 */
import { DiskType, DYNAMIC_HEADER_SIZE, FOOTER_SIZE, hasDynamicHeader, MAX_VIRTUAL_SIZE, SECTOR_SIZE, SHORT_FOOTER_SIZE } from '../constants.js';
import { decodeBatInPlace } from '../bat.js';
import type { SwapWords } from '../bat.js';
import { decodeDynamicHeaderLenient } from '../dynamic-header.js';
import type { DynamicHeader } from '../dynamic-header.js';
import { VhdFormatError } from '../errors.js';
import type { FormatProblem, VhdFormatErrorCode } from '../errors.js';
import { DYNAMIC_HEADER_FIELDS, FOOTER_FIELDS, LOCATOR_ENTRY_SIZE } from '../field-tables.js';
import type { Footer } from '../footer.js';
import { decodeLocatorPath, isUnusedLocator } from '../parent-locator.js';
import { sectorBitmapByteSize } from '../sector-bitmap.js';
import type { RandomAccessSource } from '../source/random-access-source.js';
import { throwIfAborted } from '../source/check-range.js';
import { atOffset, decodeTrailingFooter, decodeTrailingFooterStrict, footerDamage, isDamagedFooter, usableFooterCopy } from './footer-search.js';
import type { TrailingFooter } from './footer-search.js';

/** Sizes derived from a dynamic header's block size. */
export interface BlockGeometry {
  blockSize: number;
  sectorsPerBlock: number;
  /** Bytes of the sector bitmap in front of each block's data (512 for 2 MiB blocks). */
  bitmapByteSize: number;
}

/** A path decoded from a parent locator entry. */
export interface LocatorPath {
  platformCode: string;
  path: string;
}

/** Everything an image says about itself, checked against the rules above. */
export interface VhdImage {
  source: RandomAccessSource;
  /** The source's size in bytes. */
  size: number;
  footer: Footer;
  /** 'trailing': the footer at the end was used; 'copy': it was damaged and the copy at offset 0 was used. */
  footerLocation: 'trailing' | 'copy';
  /** Image offset of the trailing footer that was used (size − 512 or size − 511); undefined with 'copy'. */
  footerOffset: number | undefined;
  /**
   * End of the data area: the trailing footer's offset, or the image size when the copy was used. Block data,
   * the BAT and locator data lie before it; a fixed image's data is its first `footer.currentSize` bytes of it.
   */
  dataAreaEnd: number;
  /** Dynamic and differencing images only. */
  header?: DynamicHeader;
  headerOffset?: number;
  geometry?: BlockGeometry;
  /** Dynamic and differencing images, unless read with `{ bat: false }`. Decoded (host order) sector numbers. */
  bat?: Uint32Array;
  /** Paths of the usable parent locators, in entry order (unknown platform codes are left out). */
  parentLocatorPaths: LocatorPath[];
  /** Indexes of locator entries refused at open (outside the data area, too long): nothing ever reads them. */
  rejectedLocators: ReadonlySet<number>;
  /** Recoverable damage and oddities (lenient reads only record errors here; strict reads throw them). */
  problems: FormatProblem[];
}

/** How strictly `readImage` reads, and which parts (the BAT) it loads. */
export interface ReadImageOptions {
  /** Throw on any damage instead of recording it in `problems` (default false). */
  strict?: boolean;
  /** Read the block allocation table (default true). */
  bat?: boolean;
  /** The host's native in-place byte swap, used when the table is decoded (see SwapWords); a loop otherwise. */
  swapWords?: SwapWords;
  signal?: AbortSignal;
}

/** Reads and checks an image's metadata from `source` (which is not closed). */
export async function readImage(source: RandomAccessSource, options: ReadImageOptions = {}): Promise<VhdImage> {
  return new ImageReader(source, options).read();
}

const F = FOOTER_FIELDS;
const H = DYNAMIC_HEADER_FIELDS;

/** Header problems that steer reading: fatal in every mode. */
const STEERING_HEADER_CODES: ReadonlySet<VhdFormatErrorCode> = new Set(['BAD_BLOCK_SIZE', 'TABLE_OUT_OF_RANGE']);
const BLOCK_SIZE_ONLY: ReadonlySet<VhdFormatErrorCode> = new Set(['BAD_BLOCK_SIZE']);
/**
 * The image's first bytes, read together with the trailing footer: the footer copy, then the dynamic header, which
 * every known writer (Windows, QEMU, vhd-util, VirtualBox) places right after it at offset 512. One round trip to the
 * source instead of two in a row; a header placed elsewhere is read on its own.
 */
const HEAD_BYTES = FOOTER_SIZE + DYNAMIC_HEADER_SIZE;

class ImageReader {
  private readonly problems: FormatProblem[] = [];
  private readonly strict: boolean;
  /** The first HEAD_BYTES of the image (fewer when it is shorter), read with the trailing footer. */
  private head: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly source: RandomAccessSource,
    private readonly options: ReadImageOptions,
  ) {
    this.strict = options.strict ?? false;
  }

  async read(): Promise<VhdImage> {
    const size = this.source.size;
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new VhdFormatError('BAD_SIZE', 0, `the source reports ${size} bytes, not a byte count`);
    }
    const { footer, trailing } = await this.readFooter(size);
    const dataAreaEnd = trailing?.offset ?? size;
    const image: VhdImage = {
      source: this.source,
      size,
      footer,
      footerLocation: trailing ? 'trailing' : 'copy',
      footerOffset: trailing?.offset,
      dataAreaEnd,
      parentLocatorPaths: [],
      rejectedLocators: new Set(),
      problems: this.problems,
    };
    const footerAt = trailing?.offset ?? 0;
    if (!Number.isSafeInteger(footer.currentSize)) {
      throw fault('BAD_SIZE', footerAt + F.currentSize.offset, 'currentSize', `the footer's current size ${footer.currentSize} is beyond 2^53 bytes`);
    }
    // 2040 GiB is the largest VHD Windows makes or attaches, and QEMU refuses a larger one ("File too large").
    if (footer.currentSize > MAX_VIRTUAL_SIZE) {
      throw new VhdFormatError('BAD_SIZE', footerAt + F.currentSize.offset, `the footer's current size ${footer.currentSize} exceeds 2040 GiB (${MAX_VIRTUAL_SIZE} bytes), the largest VHD`, {
        field: 'currentSize',
        value: footer.currentSize,
      });
    }
    if (footer.diskType === DiskType.Fixed) {
      this.checkFixedDataArea(footer, dataAreaEnd, footerAt);
    } else if (hasDynamicHeader(footer.diskType)) {
      await this.readDynamicParts(image, footerAt);
    }
    return image;
  }

  /** The trailing footer, or (lenient) the copy at 0 when the end is damaged. */
  private async readFooter(size: number): Promise<{ footer: Footer; trailing: TrailingFooter | undefined }> {
    if (size < SHORT_FOOTER_SIZE) {
      throw new VhdFormatError('NO_FOOTER', 0, `the image is ${size} bytes, shorter than a VHD footer`);
    }
    const tailLength = Math.min(FOOTER_SIZE, size);
    const headLength = Math.min(HEAD_BYTES, size - tailLength);
    const [tail, head] = await Promise.all([this.bytes(size - tailLength, tailLength), headLength > 0 ? this.bytes(0, headLength) : this.head]);
    this.head = head;
    // A footer's warnings (a 511-byte footer, a size above 2040 GiB) do not make the image harder to read: they are
    // left to the checker, which reports each once.
    if (this.strict) {
      const trailing = decodeTrailingFooterStrict(tail, size);
      if ('error' in trailing) throw new VhdFormatError('NO_FOOTER', size - tailLength, `bad footer at the end of the image: ${trailing.error.message}`, { cause: trailing.error });
      return { footer: trailing.decoded.value, trailing };
    }
    const trailing = decodeTrailingFooter(tail, size);
    if (!('error' in trailing) && !isDamagedFooter(trailing.decoded.problems)) return { footer: trailing.decoded.value, trailing };
    const copy = size >= 2 * FOOTER_SIZE ? usableFooterCopy(head.subarray(0, FOOTER_SIZE)) : undefined;
    if (copy) {
      const why = 'error' in trailing ? trailing.error.message : trailing.decoded.problems.map((problem) => problem.message).join('; ');
      const code = 'error' in trailing ? trailing.error.code : (footerDamage(trailing.decoded.problems)?.code ?? 'BAD_CHECKSUM');
      this.problems.push({ code, offset: size - tailLength, severity: 'error', message: `the footer at the end of the image is damaged (${why}); using the copy at offset 0` });
      return { footer: copy.value, trailing: undefined };
    }
    if ('error' in trailing) {
      throw new VhdFormatError('NO_FOOTER', size - tailLength, `no VHD footer at the end of the image: ${trailing.error.message}`, { cause: trailing.error });
    }
    this.problems.push(...atOffset(trailing.decoded.problems, trailing.offset));
    return { footer: trailing.decoded.value, trailing };
  }

  /** A fixed image's data area ends where its footer starts: a shorter one would hand out footer bytes as data. */
  private checkFixedDataArea(footer: Footer, dataAreaEnd: number, footerAt: number): void {
    if (footer.currentSize > dataAreaEnd) {
      throw fault('TRUNCATED', footerAt + F.currentSize.offset, 'currentSize', `the fixed image holds ${dataAreaEnd} bytes of data before its footer but the footer says ${footer.currentSize}`);
    }
    if (footer.currentSize < dataAreaEnd) {
      this.problems.push({ code: 'BAD_SIZE', offset: footer.currentSize, severity: 'warning', message: `${dataAreaEnd - footer.currentSize} bytes lie between the fixed image's data and its footer` });
    }
  }

  private async readDynamicParts(image: VhdImage, footerAt: number): Promise<void> {
    const { footer, dataAreaEnd } = image;
    const headerOffset = Number(footer.dataOffset);
    if (!Number.isSafeInteger(headerOffset) || headerOffset < FOOTER_SIZE || headerOffset + DYNAMIC_HEADER_SIZE > dataAreaEnd) {
      throw fault('BAD_DATA_OFFSET', footerAt + F.dataOffset.offset, 'dataOffset', `the footer places the dynamic header at ${footer.dataOffset}, outside the ${dataAreaEnd}-byte data area`);
    }
    const header = await this.readHeader(headerOffset, dataAreaEnd, image);
    image.header = header;
    image.headerOffset = headerOffset;
    image.geometry = blockGeometry(header.blockSize);
    const blocksNeeded = Math.ceil(footer.currentSize / header.blockSize);
    if (header.maxTableEntries < blocksNeeded) {
      const offset = headerOffset + H.maxTableEntries.offset;
      const message = `the BAT has ${header.maxTableEntries} entries, but a ${footer.currentSize}-byte disk with ${header.blockSize}-byte blocks needs ${blocksNeeded}`;
      if (this.options.bat ?? true) throw fault('TABLE_OUT_OF_RANGE', offset, 'maxTableEntries', message);
      this.damage('TABLE_OUT_OF_RANGE', offset, message);
    }
    image.parentLocatorPaths = await this.readLocatorPaths(header, image.rejectedLocators);
    if (this.options.bat ?? true) defineLazyBat(image, await this.readStoredBat(header), this.options.swapWords);
  }

  private async readHeader(headerOffset: number, dataAreaEnd: number, image: VhdImage): Promise<DynamicHeader> {
    const headerEnd = headerOffset + DYNAMIC_HEADER_SIZE;
    const bytes = headerEnd <= this.head.length ? this.head.subarray(headerOffset, headerEnd) : await this.bytes(headerOffset, DYNAMIC_HEADER_SIZE);
    let decoded;
    try {
      // The data area bounds the BAT and the locator data: the decoder applies those rules with this size.
      decoded = decodeDynamicHeaderLenient(bytes, { fileSize: dataAreaEnd });
    } catch (error) {
      if (!(error instanceof VhdFormatError)) throw error;
      throw new VhdFormatError('BAD_HEADER', headerOffset, `bad dynamic header at offset ${headerOffset}: ${error.message}`, { cause: error });
    }
    const problems = atOffset(decoded.problems, headerOffset);
    // Without the BAT (metadata for display) only the block size steers: a bad table is then recorded, not fatal.
    const steeringCodes = (this.options.bat ?? true) ? STEERING_HEADER_CODES : BLOCK_SIZE_ONLY;
    const steering = problems.find((problem) => problem.severity === 'error' && steeringCodes.has(problem.code));
    if (steering) throw fault(steering.code, steering.offset, fieldAt(steering.offset - headerOffset), steering.message);
    const rejected = image.rejectedLocators as Set<number>;
    for (const problem of problems) {
      if (problem.severity !== 'error') continue;
      if (problem.code === 'BAD_LOCATOR') {
        rejected.add(Math.floor((problem.offset - headerOffset - H.parentLocators.offset) / LOCATOR_ENTRY_SIZE));
        if (this.strict) throw fault('BAD_LOCATOR', problem.offset, 'parentLocators', problem.message);
      } else if (this.strict) {
        const cause = new VhdFormatError(problem.code, problem.offset - headerOffset, problem.message);
        throw new VhdFormatError('BAD_HEADER', headerOffset, `bad dynamic header at offset ${headerOffset}: ${problem.message}`, { cause });
      }
    }
    this.problems.push(...problems);
    return decoded.value;
  }

  private async readLocatorPaths(header: DynamicHeader, rejected: ReadonlySet<number>): Promise<LocatorPath[]> {
    const paths: LocatorPath[] = [];
    for (const [index, entry] of header.parentLocators.entries()) {
      if (isUnusedLocator(entry) || rejected.has(index)) continue;
      const { platformCode, platformDataOffset, platformDataLength } = entry;
      const path = decodeLocatorPath(platformCode, await this.bytes(platformDataOffset, platformDataLength));
      if (path !== undefined) paths.push({ platformCode, path });
    }
    return paths;
  }

  /**
   * The table's stored (big-endian) words, held once and decoded lazily where they lie (defineLazyBat). They are read
   * into memory the source makes (`read` hands its buffer to the caller): a file source need not zero 4 MiB that
   * the read overwrites at once, and a Blob's bytes are not copied a second time.
   */
  private async readStoredBat(header: DynamicHeader): Promise<Uint32Array> {
    // The header decoder has bounded maxTableEntries (MAX_TABLE_ENTRIES) and placed the table inside the data area.
    const bytes = await this.bytes(header.tableOffset, header.maxTableEntries * 4);
    if (bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, header.maxTableEntries);
    const table = new Uint32Array(header.maxTableEntries);
    new Uint8Array(table.buffer).set(bytes);
    return table;
  }

  /** Lenient: record the problem; strict: throw it. */
  private damage(code: VhdFormatErrorCode, offset: number, message: string): void {
    if (this.strict) throw new VhdFormatError(code, offset, message);
    this.problems.push({ code, offset, severity: 'error', message });
  }

  private async bytes(offset: number, length: number): Promise<Uint8Array> {
    throwIfAborted(this.options.signal);
    const bytes = await this.source.read(offset, length, { signal: this.options.signal });
    if (bytes.length !== length) throw shortRead(offset, length, bytes.length);
    return bytes;
  }
}

/** Block size, sectors per block and bitmap bytes for a block size the header decoder accepted. */
export function blockGeometry(blockSize: number): BlockGeometry {
  return { blockSize, sectorsPerBlock: blockSize / SECTOR_SIZE, bitmapByteSize: sectorBitmapByteSize(blockSize) };
}

function fault(code: VhdFormatErrorCode, offset: number, field: string, message: string): VhdFormatError {
  return new VhdFormatError(code, offset, message, { field });
}

function shortRead(offset: number, asked: number, got: number): VhdFormatError {
  return new VhdFormatError('SHORT_READ', offset, `asked for ${asked} bytes at offset ${offset}, the source gave ${got}`);
}

/** The dynamic header field at a header-relative offset, for error messages. */
function fieldAt(offset: number): string {
  for (const [name, spec] of Object.entries(H)) if (offset >= spec.offset && offset < spec.offset + spec.size) return name;
  return 'header';
}

/** Tables read but not decoded yet, by image (see `undecodedBat`). */
const undecodedTables = new WeakMap<VhdImage, Uint32Array>();

/**
 * The BAT of an image from `readImage` as stored (big-endian words, not byte-swapped) while nobody has read
 * `image.bat` yet; undefined once it is decoded or replaced, or when the image has no table. For callers that need
 * only what reads the same in either byte order (an entry is unused when it is 0xFFFFFFFF), so that they can skip
 * decoding a million entries: `vpc info` counts the allocated blocks this way. The words must not be modified.
 */
export function undecodedBat(image: VhdImage): Uint32Array | undefined {
  return undecodedTables.get(image);
}

/**
 * Gives `image` a `bat` that is decoded (byte-swapped in place) on first access, then an ordinary property: opening
 * an image pays only for reading the table, and a caller that never looks an entry up (metadata for display, a
 * size check) never pays for decoding a million entries. Only a stored table whose size was checked comes here.
 */
function defineLazyBat(image: VhdImage, stored: Uint32Array, swapWords: SwapWords | undefined): void {
  const settle = (table: Uint32Array | undefined): void => {
    undecodedTables.delete(image);
    Object.defineProperty(image, 'bat', { value: table, writable: true, enumerable: true, configurable: true });
  };
  undecodedTables.set(image, stored);
  Object.defineProperty(image, 'bat', {
    enumerable: true,
    configurable: true,
    get(): Uint32Array {
      const table = decodeBatInPlace(stored, swapWords);
      settle(table);
      return table;
    },
    set(table: Uint32Array | undefined): void {
      settle(table);
    },
  });
}
