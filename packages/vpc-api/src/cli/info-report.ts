import { resolve } from 'node:path';
import type { ImageMetadata } from '@vhdkit/vhd-diff';
import { FileSource, MAX_CHAIN_DEPTH, isHttpLocation, readImageMetadata, readParentMetadata, readSourceMetadata, resolveParentPath } from '@vhdkit/vhd-diff';
import type { DiskTypeName, DynamicHeader, Footer } from '@vhdkit/vhd-diff';
import {
  DYNAMIC_HEADER_SIZE,
  FIXED_DATA_OFFSET,
  FOOTER_SIZE,
  UNUSED_BAT_ENTRY,
  VhdFormatError,
  dateFromVhdTimestamp,
  diskTypeName,
  encodeDynamicHeader,
  encodeFooter,
  footerChecksumValid,
  headerChecksumValid,
  isUnusedLocator,
  locatorDataSpaceBytes,
  undecodedMetadataBat,
  uniqueIdToString,
} from '@vhdkit/vhd-diff';

/** One used parent locator, as `vpc info --json` reports it. */
export interface LocatorReport {
  platformCode: string;
  /** Reserved space in bytes (Windows stores bytes, the specification sectors; normalised by vhd-format). */
  dataSpace: number;
  dataLength: number;
  dataOffset: number;
  /** The decoded path; null for platform codes without a path encoding. */
  path: string | null;
}

/** One link of the chain: the image itself first, then each ancestor as far as the parents resolve. */
export interface ChainLink {
  path: string;
  type: DiskTypeName | null;
}

/** Footer fields the summary fields above do not already carry, as stored (checksum with its validity). */
export interface FooterReport {
  cookie: string;
  features: number;
  formatVersion: number;
  /** Byte offset of the dynamic header; null for the all-ones "none" of a fixed image. */
  dataOffset: number | null;
  checksum: number;
  checksumValid: boolean;
  savedState: number;
}

/** Dynamic-header fields not already among the summary fields (dynamic and differencing images). */
export interface HeaderReport {
  cookie: string;
  /** Unused by the format: null for the all-ones value every writer stores. */
  dataOffset: number | null;
  tableOffset: number;
  headerVersion: number;
  checksum: number;
  checksumValid: boolean;
}

/**
 * The `vpc info --json` shape (schemas/info.schema.json): everything the text shows. Sizes in bytes, timestamps
 * ISO 8601, 32-bit fields as numbers.
 */
export interface InfoReport {
  path: string;
  /** The image file's size on the host. */
  fileSize: number;
  type: DiskTypeName | null;
  virtualSize: number;
  originalSize: number;
  geometry: { cylinders: number; heads: number; sectorsPerTrack: number };
  uniqueId: string;
  timestamp: string;
  creatorApplication: string;
  creatorVersion: number;
  creatorHostOs: string;
  blockSize: number | null;
  maxTableEntries: number | null;
  allocatedBlocks: number | null;
  footer: FooterReport;
  header: HeaderReport | null;
  parent: null | {
    uniqueId: string;
    timestamp: string;
    unicodeName: string;
    locators: LocatorReport[];
    resolvedPath: string | null;
  };
  /** The whole chain, starting with this image; it ends early where a parent cannot be found. */
  chain: ChainLink[];
}

/** A 64-bit offset as a number; null for the all-ones marker (which no safe integer can hold anyway). */
function offsetOrNone(value: bigint): number | null {
  return value === FIXED_DATA_OFFSET ? null : Number(value);
}

function footerReport(footer: Footer, metadata: ImageMetadata): FooterReport {
  return {
    cookie: footer.cookie,
    features: footer.features,
    formatVersion: footer.formatVersion,
    dataOffset: offsetOrNone(footer.dataOffset),
    checksum: footer.checksum,
    checksumValid: footerChecksumVerdict(footer, metadata),
    savedState: footer.savedState,
  };
}

function headerReport(header: DynamicHeader, metadata: ImageMetadata): HeaderReport {
  return {
    cookie: header.cookie,
    dataOffset: offsetOrNone(header.dataOffset),
    tableOffset: header.tableOffset,
    headerVersion: header.headerVersion,
    checksum: header.checksum,
    checksumValid: headerChecksumVerdict(header, metadata),
  };
}

/** Entries compared at once against an all-unused window (4 KiB of table). */
const WINDOW_ENTRIES = 1024;
const UNUSED_WINDOW_BYTES = Buffer.from(new Uint32Array(WINDOW_ENTRIES).fill(UNUSED_BAT_ENTRY).buffer);

/**
 * The table as stored while it is still undecoded (an unused entry, 0xFFFFFFFF, reads the same in either byte
 * order, so counting needs no decode); otherwise metadata.bat (decoded, or one the caller put there).
 */
function tableToCount(metadata: ImageMetadata): Uint32Array | undefined {
  return undecodedMetadataBat(metadata) ?? metadata.bat;
}

/**
 * Entries that point at a block. `vpc info` runs this once per process, before V8 optimises anything, over up to
 * 1,044,480 entries: an element-by-element loop cost tens of milliseconds there (a for-of allocated an iterator
 * result per entry), and so did decoding the table first. Windows that are wholly unused, most of a sparse table,
 * are skipped by one native compare; the words are compared only against the all-ones value, in either byte order.
 */
function countAllocated(bat: Uint32Array | undefined): number | null {
  if (bat === undefined) return null;
  const bytes = Buffer.from(bat.buffer, bat.byteOffset, bat.byteLength);
  let count = 0;
  for (let start = 0; start < bat.length; start += WINDOW_ENTRIES) {
    const end = Math.min(start + WINDOW_ENTRIES, bat.length);
    if (end - start === WINDOW_ENTRIES && UNUSED_WINDOW_BYTES.compare(bytes, start * 4, end * 4) === 0) continue;
    for (let index = start; index < end; index++) if (bat[index] !== UNUSED_BAT_ENTRY) count++;
  }
  return count;
}

/** Pairs used locator entries with the paths vhd-diff decoded (same entry order, one queue per platform code). */
function locatorReports(metadata: ImageMetadata): LocatorReport[] {
  const queues = new Map<string, string[]>();
  for (const { platformCode, path } of metadata.parentLocatorPaths) {
    queues.set(platformCode, [...(queues.get(platformCode) ?? []), path]);
  }
  return (metadata.header?.parentLocators ?? [])
    .filter((entry) => !isUnusedLocator(entry))
    .map((entry) => ({
      platformCode: entry.platformCode,
      dataSpace: locatorDataSpaceBytes(entry),
      dataLength: entry.platformDataLength,
      dataOffset: entry.platformDataOffset,
      path: queues.get(entry.platformCode)?.shift() ?? null,
    }));
}

/**
 * The report `vpc info` prints, from an image's metadata (looks for the parent through its locators).
 * `allocatedBlocks`, when given, is the count of used table entries already made from the file (metadata read
 * without its table); otherwise it is counted on `metadata.bat`.
 */
export async function buildInfoReport(metadata: ImageMetadata, allocatedBlocks?: number | null): Promise<InfoReport> {
  const { footer, header } = metadata;
  const type = diskTypeName(footer.diskType) ?? null;
  let parent: InfoReport['parent'] = null;
  if (type === 'differencing' && header !== undefined) {
    const resolved = await resolveParentPath(metadata);
    parent = {
      uniqueId: uniqueIdToString(header.parentUniqueId),
      timestamp: dateFromVhdTimestamp(header.parentTimestamp).toISOString(),
      unicodeName: header.parentUnicodeName,
      locators: locatorReports(metadata),
      resolvedPath: resolved.path ?? null,
    };
  }
  const report: Omit<InfoReport, 'chain'> = {
    path: metadata.path,
    fileSize: metadata.fileSize,
    type,
    virtualSize: footer.currentSize,
    originalSize: footer.originalSize,
    geometry: { ...footer.geometry },
    uniqueId: uniqueIdToString(footer.uniqueId),
    timestamp: dateFromVhdTimestamp(footer.timestamp).toISOString(),
    creatorApplication: footer.creatorApplication,
    creatorVersion: footer.creatorVersion,
    creatorHostOs: footer.creatorHostOs,
    blockSize: header?.blockSize ?? null,
    maxTableEntries: header?.maxTableEntries ?? null,
    allocatedBlocks: allocatedBlocks === undefined ? countAllocated(tableToCount(metadata)) : allocatedBlocks,
    footer: footerReport(footer, metadata),
    header: header === undefined ? null : headerReport(header, metadata),
    parent,
  };
  return { ...report, chain: [{ path: metadata.path, type }, ...(await resolvedChain(report))] };
}

/** The `vpc info` facts of the image at `path` (read-only; the file is not modified). */
export async function readImageInfo(path: string): Promise<InfoReport> {
  return (await readImageInfoWithMetadata(path)).report;
}

/** The metadata and the facts built from it, for the text output (which shows every raw field). */
export async function readImageInfoWithMetadata(path: string): Promise<{ metadata: ImageMetadata; report: InfoReport }> {
  const counted = await readCountingInFile(path);
  if (counted !== undefined) return { metadata: counted.metadata, report: await buildInfoReport(counted.metadata, counted.allocatedBlocks) };
  const metadata = await readImageMetadata(path);
  return { metadata, report: await buildInfoReport(metadata) };
}

/** Bytes of the table read at once by readCountingInFile: one small buffer, reused, instead of the whole table. */
const COUNT_READ_BYTES = 256 * 1024;

/**
 * A local image's metadata read without its table, and the table's used entries counted from the same open file
 * through one small buffer. The table of a 2040 GiB disk is 4 MiB, and fresh memory is costly to fault in and then
 * to touch on some machines (tens of milliseconds for `vpc info`, more than the rest of its work). Undefined
 * whenever this cannot stand for the full read (a URL, a table the full read refuses, any failure): the caller then
 * reads as before, which gives the same report or the same error.
 */
async function readCountingInFile(path: string): Promise<{ metadata: ImageMetadata; allocatedBlocks: number | null } | undefined> {
  if (isHttpLocation(path)) return undefined;
  let source: FileSource;
  try {
    source = await FileSource.open(resolve(path));
  } catch {
    return undefined;
  }
  try {
    const metadata = await readSourceMetadata(source, { bat: false });
    const { header } = metadata;
    if (header === undefined) return { metadata, allocatedBlocks: null };
    // Read with its table, such an image is refused (read without, it is recorded as damage).
    if (metadata.problems.some((problem) => problem.code === 'TABLE_OUT_OF_RANGE')) return undefined;
    return { metadata, allocatedBlocks: await countAllocatedInFile(source, header.tableOffset, header.maxTableEntries) };
  } catch {
    return undefined;
  } finally {
    await source.close().catch(() => undefined);
  }
}

/** Used entries of the `entries`-entry table at `tableOffset` of the file, read a slice at a time (a short file throws). */
async function countAllocatedInFile(source: FileSource, tableOffset: number, entries: number): Promise<number> {
  const words = new Uint32Array(Math.min(COUNT_READ_BYTES / 4, entries));
  const bytes = new Uint8Array(words.buffer);
  let count = 0;
  for (let done = 0; done < entries; ) {
    const slice = Math.min(words.length, entries - done);
    await source.readInto(bytes.subarray(0, slice * 4), tableOffset + done * 4);
    count += countAllocated(words.subarray(0, slice))!;
    done += slice;
  }
  return count;
}

/** The chain below `report` as far as it resolves: each ancestor's path and type (for the text output). */
export async function resolvedChain(report: Pick<InfoReport, 'parent' | 'path'>, maxDepth = MAX_CHAIN_DEPTH): Promise<ChainLink[]> {
  const chain: ChainLink[] = [];
  let next = report.parent?.resolvedPath ?? null;
  let child = report.path;
  while (next !== null && chain.length < maxDepth) {
    // Ancestors are files the chain names, not the caller: their failures quote none of their bytes.
    const metadata = await readParentMetadata(next, child, { bat: false });
    child = next;
    const type = diskTypeName(metadata.footer.diskType) ?? null;
    chain.push({ path: next, type });
    next = type === 'differencing' ? ((await resolveParentPath(metadata)).path ?? null) : null;
  }
  return chain;
}

function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

function hex64(value: bigint): string {
  return `0x${value.toString(16).padStart(16, '0')}`;
}

function label(name: string, value: string): string {
  return `${`${name}:`.padEnd(26)}${value}`;
}

const quoted = (text: string): string => JSON.stringify(text);
/** A 64-bit size field; one beyond 2^53 was read as the nearest number and is marked so. */
const byteCount = (value: number): string => `${value} bytes${Number.isSafeInteger(value) ? '' : ' (beyond 2^53: approximate)'}`;
const validity = (valid: boolean): string => (valid ? 'valid' : 'INVALID');

/**
 * Whether a structure's stored checksum matches, by re-encoding its decoded fields. A field beyond 2^53 (read as
 * an approximate number) cannot be re-encoded; then the lenient read's own verdict is used: it compared the checksum
 * on the raw bytes and recorded BAD_CHECKSUM at the structure's offset when it did not match.
 */
function checksumValid(reencode: () => boolean, problems: ImageMetadata['problems'], isThisStructure: (offset: number) => boolean): boolean {
  try {
    return reencode();
  } catch (error) {
    if (!(error instanceof VhdFormatError)) throw error;
    return !problems.some((problem) => problem.code === 'BAD_CHECKSUM' && isThisStructure(problem.offset));
  }
}

/** The footer's checksum verdict; its problems lie in the footer that was used (the trailing one or the copy at 0). */
function footerChecksumVerdict(footer: Footer, metadata: ImageMetadata): boolean {
  const start = metadata.image.footerOffset ?? 0;
  return checksumValid(() => footerChecksumValid(encodeFooter(footer, { checksum: 'keep' })), metadata.problems, (offset) => offset >= start && offset < start + FOOTER_SIZE);
}

/** The dynamic header's checksum verdict; the reader records its problems at image offsets inside the header. */
function headerChecksumVerdict(header: DynamicHeader, metadata: ImageMetadata): boolean {
  const start = metadata.image.headerOffset ?? 0;
  return checksumValid(() => headerChecksumValid(encodeDynamicHeader(header, { checksum: 'keep' })), metadata.problems, (offset) => offset >= start && offset < start + DYNAMIC_HEADER_SIZE);
}

/** Every footer field, in on-disk order. */
function footerLines(footer: Footer, report: InfoReport, metadata: ImageMetadata): string[] {
  const g = footer.geometry;
  return [
    label('Cookie', quoted(footer.cookie)),
    label('Features', hex32(footer.features)),
    label('Format version', hex32(footer.formatVersion)),
    label('Data offset', footer.dataOffset === FIXED_DATA_OFFSET ? `${hex64(footer.dataOffset)} (none: fixed disk)` : String(footer.dataOffset)),
    label('Timestamp', `${report.timestamp} (${footer.timestamp} VHD seconds)`),
    label('Creator application', quoted(footer.creatorApplication)),
    label('Creator version', hex32(footer.creatorVersion)),
    label('Creator host OS', quoted(footer.creatorHostOs)),
    label('Original size', byteCount(footer.originalSize)),
    label('Current size', byteCount(footer.currentSize)),
    label('Geometry (C/H/S)', `${g.cylinders}/${g.heads}/${g.sectorsPerTrack}`),
    label('Disk type', `${report.type ?? 'unknown'} (${footer.diskType})`),
    label('Checksum', `${hex32(footer.checksum)} (${validity(footerChecksumVerdict(footer, metadata))})`),
    label('Unique id', report.uniqueId),
    label('Saved state', `${footer.savedState}`),
  ];
}

/** Every dynamic-header field and each used locator with its decoded path. */
function headerLines(header: DynamicHeader, report: InfoReport, metadata: ImageMetadata): string[] {
  const lines = [
    label('Header cookie', quoted(header.cookie)),
    label('Header data offset', hex64(header.dataOffset)),
    label('Table offset', String(header.tableOffset)),
    label('Header version', hex32(header.headerVersion)),
    label('Max table entries', String(header.maxTableEntries)),
    label('Block size', `${header.blockSize} bytes`),
    label('Header checksum', `${hex32(header.checksum)} (${validity(headerChecksumVerdict(header, metadata))})`),
    label('Parent unique id', uniqueIdToString(header.parentUniqueId)),
    label('Parent timestamp', `${dateFromVhdTimestamp(header.parentTimestamp).toISOString()} (${header.parentTimestamp} VHD seconds)`),
    label('Parent unicode name', quoted(header.parentUnicodeName)),
  ];
  const locators = report.parent?.locators ?? [];
  lines.push(label('Parent locators', locators.length === 0 ? 'none' : String(locators.length)));
  for (const locator of locators) {
    lines.push(
      `  ${quoted(locator.platformCode)}: ${locator.path === null ? '(no path)' : quoted(locator.path)}` +
        ` (data offset ${locator.dataOffset}, length ${locator.dataLength} bytes, space ${locator.dataSpace} bytes)`,
    );
  }
  lines.push(label('Allocated blocks', String(report.allocatedBlocks)));
  return lines;
}

/**
 * Human-readable `vpc info`: every footer field, every header field with the locators' decoded paths, the
 * allocated block count, and the chain as far as it resolves.
 */
export function renderInfoText(metadata: ImageMetadata, report: InfoReport, chain: readonly ChainLink[] = report.chain.slice(1)): string {
  const lines = [label('Path', report.path), label('File size', `${report.fileSize} bytes`), ...footerLines(metadata.footer, report, metadata)];
  if (metadata.header !== undefined) lines.push(...headerLines(metadata.header, report, metadata));
  if (report.parent !== null) {
    lines.push(label('Parent resolved to', report.parent.resolvedPath ?? '(not found)'));
  }
  const links = [report.path, ...chain.map((link) => `${link.path} (${link.type ?? 'unknown'})`)];
  lines.push(label('Chain', links.join(' -> ')));
  return lines.join('\n');
}
