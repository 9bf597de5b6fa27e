import type { ImageMetadata } from '@vhdkit/vhd-diff';
import { readImageMetadata, resolveParentPath } from '@vhdkit/vhd-diff';
import type { DiskTypeName } from '@vhdkit/vhd-format';
import {
  UNUSED_BAT_ENTRY,
  dateFromVhdTimestamp,
  diskTypeName,
  isUnusedLocator,
  locatorDataSpaceBytes,
  uniqueIdToString,
} from '@vhdkit/vhd-format';

export interface LocatorReport {
  platformCode: string;
  /** Reserved space in bytes (Windows stores bytes, the specification sectors; normalised by vhd-format). */
  dataSpace: number;
  dataLength: number;
  dataOffset: number;
  /** The decoded path; null for platform codes without a path encoding. */
  path: string | null;
}

/** The `vpc info --json` shape (issue 6). Sizes in bytes, timestamps ISO 8601. */
export interface InfoReport {
  path: string;
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
  parent: null | {
    uniqueId: string;
    timestamp: string;
    unicodeName: string;
    locators: LocatorReport[];
    resolvedPath: string | null;
  };
}

function countAllocated(bat: Uint32Array | undefined): number | null {
  if (bat === undefined) return null;
  let count = 0;
  for (const entry of bat) if (entry !== UNUSED_BAT_ENTRY) count++;
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

export async function buildInfoReport(metadata: ImageMetadata): Promise<InfoReport> {
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
  return {
    path: metadata.path,
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
    allocatedBlocks: countAllocated(metadata.bat),
    parent,
  };
}

/** The `vpc info` facts of the image at `path` (read-only; the file is not modified). */
export async function readImageInfo(path: string): Promise<InfoReport> {
  return buildInfoReport(await readImageMetadata(path));
}

/** The chain below `report` as far as it resolves: each ancestor's path and type (for the text output). */
export async function resolvedChain(report: InfoReport, maxDepth = 32): Promise<{ path: string; type: string | null }[]> {
  const chain: { path: string; type: string | null }[] = [];
  let next = report.parent?.resolvedPath ?? null;
  while (next !== null && chain.length < maxDepth) {
    const metadata = await readImageMetadata(next, { bat: false });
    const type = diskTypeName(metadata.footer.diskType) ?? null;
    chain.push({ path: next, type });
    next = type === 'differencing' ? ((await resolveParentPath(metadata)).path ?? null) : null;
  }
  return chain;
}

function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

/** Human-readable `vpc info`. */
export function renderInfoText(report: InfoReport, chain: { path: string; type: string | null }[]): string {
  const g = report.geometry;
  const lines = [
    `Path:                 ${report.path}`,
    `Type:                 ${report.type ?? 'unknown'}`,
    `Virtual size:         ${report.virtualSize} bytes`,
    `Original size:        ${report.originalSize} bytes`,
    `Geometry (C/H/S):     ${g.cylinders}/${g.heads}/${g.sectorsPerTrack}`,
    `Unique id:            ${report.uniqueId}`,
    `Timestamp:            ${report.timestamp}`,
    `Creator:              ${JSON.stringify(report.creatorApplication)} version ${hex32(report.creatorVersion)} on ${JSON.stringify(report.creatorHostOs)}`,
  ];
  if (report.blockSize !== null) {
    lines.push(
      `Block size:           ${report.blockSize} bytes`,
      `Max table entries:    ${report.maxTableEntries}`,
      `Allocated blocks:     ${report.allocatedBlocks}`,
    );
  }
  if (report.parent !== null) {
    const p = report.parent;
    lines.push(
      `Parent unique id:     ${p.uniqueId}`,
      `Parent timestamp:     ${p.timestamp}`,
      `Parent name:          ${p.unicodeName}`,
      `Parent resolved to:   ${p.resolvedPath ?? '(not found)'}`,
    );
    for (const locator of p.locators) {
      lines.push(`Locator ${JSON.stringify(locator.platformCode)}: ${locator.path ?? '(no path)'} (offset ${locator.dataOffset}, ${locator.dataLength} of ${locator.dataSpace} bytes)`);
    }
    lines.push(`Chain:                ${[report.path, ...chain.map((link) => `${link.path} (${link.type ?? 'unknown'})`)].join(' -> ')}`);
  }
  return lines.join('\n');
}
