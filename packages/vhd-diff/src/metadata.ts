import type { FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readFully } from './file-io.js';
import { openImageHandle } from './open-image.js';
import {
  DYNAMIC_HEADER_SIZE,
  DiskType,
  FOOTER_SIZE,
  MAX_LOCATOR_DATA_BYTES,
  VhdFormatError,
  decodeBatInPlace,
  decodeDynamicHeader,
  decodeDynamicHeaderLenient,
  decodeFooter,
  decodeFooterLenient,
  decodeLocatorPath,
  isUnusedLocator,
  type DynamicHeader,
  type Footer,
  type FormatProblem,
  type Lenient,
} from '@vhdkit/vhd-format';
import { VhdIoError, toVhdIoError, type VhdIoErrorParams } from './errors.js';

/** What a VHD file says about itself, read without changing the file (not even its access time where avoidable). */
export interface ImageMetadata {
  /** Absolute path of the file. */
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
  parentLocatorPaths: { platformCode: string; path: string }[];
  /** Recoverable damage found while reading leniently (bad checksums, a damaged trailing footer, …). */
  problems: FormatProblem[];
}

export interface ReadMetadataOptions {
  /** Read the block allocation table (default true). */
  bat?: boolean;
  /** Throw on any damage instead of recording it in `problems` (default false). */
  strict?: boolean;
}

/**
 * Opens a file read-only for inspection: a regular file only (a FIFO or device is refused at once, never waited on),
 * without touching its access time where the kernel allows (openImageHandle).
 */
export async function openReadOnly(path: string): Promise<FileHandle> {
  return openImageHandle(path, 'read');
}

/** Reads the footer, header, parent locators and BAT of the VHD at `path`. */
export async function readImageMetadata(path: string, options: ReadMetadataOptions = {}): Promise<ImageMetadata> {
  const absolutePath = resolve(path);
  const handle = await openReadOnly(absolutePath);
  try {
    const stats = await handle.stat().catch((error: unknown) => {
      throw toVhdIoError(error, 'reading the size of', absolutePath);
    });
    if (!stats.isFile()) {
      throw new VhdIoError('NOT_A_VHD', `${absolutePath} is not a VHD: it is not a regular file`, {
        path: absolutePath,
        params: { reason: 'not-a-file', path: absolutePath },
      });
    }
    const reader = new MetadataReader(handle, absolutePath, stats.size, options.strict ?? false);
    const footer = await reader.readFooter();
    const metadata: ImageMetadata = {
      path: absolutePath,
      fileSize: stats.size,
      mtime: stats.mtime,
      footer,
      parentLocatorPaths: [],
      problems: reader.problems,
    };
    if (footer.diskType === DiskType.Dynamic || footer.diskType === DiskType.Differencing) {
      const header = await reader.readHeader(footer);
      metadata.header = header;
      metadata.parentLocatorPaths = await reader.readLocatorPaths(header);
      if (options.bat ?? true) metadata.bat = await reader.readBat(header, footer);
    }
    return metadata;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** One read-only pass over a file's metadata; owns the strict/lenient policy and the list of problems. */
class MetadataReader {
  readonly problems: FormatProblem[] = [];

  constructor(
    private readonly handle: FileHandle,
    private readonly path: string,
    private readonly fileSize: number,
    private readonly strict: boolean,
  ) {}

  /** The trailing footer (512 or, from old Virtual PC, 511 bytes); the copy at 0 when the end is damaged. */
  async readFooter(): Promise<Footer> {
    if (this.fileSize < FOOTER_SIZE - 1) {
      throw this.notAVhd(`the file is ${this.fileSize} bytes, shorter than a VHD footer`, undefined, { reason: 'too-short', fileSize: this.fileSize });
    }
    const tailLength = Math.min(FOOTER_SIZE, this.fileSize);
    const tail = await this.read(this.fileSize - tailLength, tailLength);
    if (this.strict) return this.decodeTrailingStrict(tail);

    let trailing: Lenient<Footer> | undefined;
    let trailingError: unknown;
    for (const candidate of trailingFooterCandidates(tail)) {
      try {
        trailing = decodeFooterLenient(candidate);
        break;
      } catch (error) {
        trailingError ??= error;
      }
    }
    if (trailing && !hasErrors(trailing.problems)) return trailing.value;

    const copy = await this.readFooterCopy();
    if (copy) {
      const why = trailing ? trailing.problems.map((problem) => problem.message).join('; ') : describe(trailingError);
      this.problems.push({
        code: trailing ? (trailing.problems.find((p) => p.severity === 'error')?.code ?? 'BAD_CHECKSUM') : formatCode(trailingError),
        offset: this.fileSize - tailLength,
        severity: 'error',
        message: `the footer at the end of the file is damaged (${why}); using the copy at offset 0`,
      });
      return copy;
    }
    if (trailing) {
      this.problems.push(...trailing.problems);
      return trailing.value;
    }
    throw this.notAVhd(`no VHD footer at the end of the file: ${describe(trailingError)}`, trailingError, { reason: 'no-footer' });
  }

  private decodeTrailingStrict(tail: Uint8Array): Footer {
    let firstError: unknown;
    for (const candidate of trailingFooterCandidates(tail)) {
      try {
        return decodeFooter(candidate);
      } catch (error) {
        // A damaged 512-byte footer is reported as such, not as "no 511-byte footer".
        firstError ??= error;
      }
    }
    throw this.notAVhd(`bad footer at the end of the file: ${describe(firstError)}`, firstError, { reason: 'bad-footer' });
  }

  /** The footer copy at offset 0 when it is intact and belongs to a dynamic or differencing image. */
  private async readFooterCopy(): Promise<Footer | undefined> {
    if (this.fileSize < 2 * FOOTER_SIZE) return undefined;
    try {
      const copy = decodeFooterLenient(await this.read(0, FOOTER_SIZE));
      const hasHeader = copy.value.diskType === DiskType.Dynamic || copy.value.diskType === DiskType.Differencing;
      return hasErrors(copy.problems) || !hasHeader ? undefined : copy.value;
    } catch (error) {
      if (error instanceof VhdFormatError) return undefined;
      throw error;
    }
  }

  async readHeader(footer: Footer): Promise<DynamicHeader> {
    const offset = footer.dataOffset;
    if (offset < BigInt(FOOTER_SIZE) || offset + BigInt(DYNAMIC_HEADER_SIZE) > BigInt(this.fileSize)) {
      throw new VhdIoError(
        'CORRUPT',
        `${this.path}: the footer places the dynamic header at ${offset}, outside the ${this.fileSize}-byte file`,
        { path: this.path },
      );
    }
    const headerOffset = Number(offset);
    const bytes = await this.read(headerOffset, DYNAMIC_HEADER_SIZE);
    try {
      if (this.strict) return decodeDynamicHeader(bytes);
      const header = decodeDynamicHeaderLenient(bytes);
      this.problems.push(...header.problems.map((problem) => ({ ...problem, offset: headerOffset + problem.offset })));
      return header.value;
    } catch (error) {
      throw this.notAVhd(`bad dynamic header at offset ${headerOffset}: ${describe(error)}`, error, { reason: 'bad-header', offset: headerOffset });
    }
  }

  async readLocatorPaths(header: DynamicHeader): Promise<{ platformCode: string; path: string }[]> {
    const paths: { platformCode: string; path: string }[] = [];
    for (const entry of header.parentLocators) {
      if (isUnusedLocator(entry)) continue;
      const { platformCode, platformDataOffset: offset, platformDataLength: length } = entry;
      // Longer data is not a path (Windows paths are at most 32,767 UTF-16 units); refusing it bounds what a hostile
      // header can make us allocate.
      if (length > MAX_LOCATOR_DATA_BYTES || offset < FOOTER_SIZE || offset + length > this.fileSize) {
        this.damage('BAD_LOCATOR', offset, `parent locator ${JSON.stringify(platformCode)} has ${length} bytes at offset ${offset}, outside the file or too long for a path`);
        continue;
      }
      const data = await this.read(offset, length);
      let path: string | undefined;
      try {
        path = decodeLocatorPath(platformCode, data);
      } catch (error) {
        this.damage('BAD_LOCATOR', offset, `parent locator ${JSON.stringify(platformCode)} at offset ${offset} does not hold a path: ${describe(error)}`);
        continue;
      }
      if (path !== undefined) paths.push({ platformCode, path });
    }
    return paths;
  }

  /** The BAT, after checking that it lies inside the file (so a hostile entry count cannot make us allocate). */
  async readBat(header: DynamicHeader, footer: Footer): Promise<Uint32Array> {
    const { tableOffset, maxTableEntries, blockSize } = header;
    const tableBytes = maxTableEntries * 4;
    if (tableOffset < FOOTER_SIZE || tableOffset + tableBytes > this.fileSize) {
      throw new VhdIoError(
        'CORRUPT',
        `${this.path}: the BAT (${maxTableEntries} entries at offset ${tableOffset}) does not fit in the ${this.fileSize}-byte file`,
        { path: this.path },
      );
    }
    if (blockSize > 0 && maxTableEntries < Math.ceil(footer.currentSize / blockSize)) {
      this.damage('TABLE_OUT_OF_RANGE', tableOffset, `the BAT has ${maxTableEntries} entries, but a ${footer.currentSize}-byte disk with ${blockSize}-byte blocks needs ${Math.ceil(footer.currentSize / blockSize)}`);
    }
    // Read straight into the table's memory and decode there: the 4 MiB of a 2040 GiB disk's BAT are held once.
    const table = new Uint32Array(maxTableEntries);
    await this.readInto(new Uint8Array(table.buffer), tableOffset);
    return decodeBatInPlace(table);
  }

  /** Lenient: record the problem; strict: throw it. */
  private damage(code: FormatProblem['code'], offset: number, message: string): void {
    if (this.strict) throw new VhdIoError('CORRUPT', `${this.path}: ${message}`, { path: this.path });
    this.problems.push({ code, offset, severity: 'error', message });
  }

  private notAVhd(reason: string, cause: unknown, params: VhdIoErrorParams): VhdIoError {
    if (cause !== undefined && !(cause instanceof VhdFormatError)) return toVhdIoError(cause, 'reading', this.path);
    return new VhdIoError('NOT_A_VHD', `${this.path} is not a valid VHD: ${reason}`, { path: this.path, cause, params: { ...params, path: this.path } });
  }

  private async read(offset: number, length: number): Promise<Uint8Array> {
    const bytes = new Uint8Array(length);
    await this.readInto(bytes, offset);
    return bytes;
  }

  /** Fills `bytes` from `offset`; a file that ends first is CORRUPT. */
  private async readInto(bytes: Uint8Array, offset: number): Promise<void> {
    const length = bytes.length;
    let filled: number;
    try {
      filled = await readFully(this.handle, bytes, offset);
    } catch (error) {
      throw toVhdIoError(error, 'reading', this.path);
    }
    if (filled < length) {
      throw new VhdIoError('CORRUPT', `${this.path}: expected ${length} bytes at offset ${offset}, the file ended after ${filled}`, { path: this.path });
    }
  }
}

/** The last 512 bytes, then the last 511 (old Virtual PC images lack the footer's final reserved byte). */
function trailingFooterCandidates(tail: Uint8Array): Uint8Array[] {
  return tail.length === FOOTER_SIZE ? [tail, tail.subarray(1)] : [tail];
}

function hasErrors(problems: readonly FormatProblem[]): boolean {
  return problems.some((problem) => problem.severity === 'error');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function formatCode(error: unknown): FormatProblem['code'] {
  return error instanceof VhdFormatError ? error.code : 'BAD_COOKIE';
}
