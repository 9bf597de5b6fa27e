import type { CheckIssue, CheckReport, ExportedFile, ImportedDisk, MergeResult } from '@vhdkit/vhd-diff';
import type { DiskTypeName } from '@vhdkit/vhd-diff';
import { createdDiskJson, type CreatedDiskJson } from './created-disk.js';

/**
 * The `--json` results of the chain commands, one documented shape each (schemas/<command>.schema.json). Names are
 * shared across commands: `path` for the image a command acts on, `type` for a disk type, `childPath`/`parentPath`
 * for a link of a chain; a fact that is absent is null, never a missing key.
 */

/** `vpc write --json`. */
export interface WriteResultJson {
  path: string;
  offset: number;
  bytesWritten: number;
}

/** `vpc merge --json`: the child is deleted after a successful merge. */
export interface MergeResultJson {
  childPath: string;
  parentPath: string;
  sectorsCopied: number;
  bytesCopied: number;
}

/** `vpc set-parent --json`. */
export interface SetParentResultJson {
  childPath: string;
  parentPath: string;
}

export interface CheckIssueJson {
  code: string;
  severity: CheckIssue['severity'];
  message: string;
  offset: number | null;
  blockIndex: number | null;
  repairable: boolean;
}

/** `vpc check --json`; with --repair, `repaired` lists what was fixed and `ok`/`issues` describe the image after. */
export interface CheckResultJson {
  path: string;
  type: DiskTypeName | null;
  ok: boolean;
  issues: CheckIssueJson[];
  repaired?: CheckIssueJson[];
}

export function mergeResultJson(result: MergeResult): MergeResultJson {
  return { childPath: result.childPath, parentPath: result.parentPath, sectorsCopied: result.sectorsCopied, bytesCopied: result.bytesCopied };
}

function issueJson(issue: CheckIssue): CheckIssueJson {
  return {
    code: issue.code,
    severity: issue.severity,
    message: issue.message,
    offset: issue.offset ?? null,
    blockIndex: issue.blockIndex ?? null,
    repairable: issue.repairable,
  };
}

export function checkResultJson(report: CheckReport, repaired?: readonly CheckIssue[]): CheckResultJson {
  return {
    path: report.path,
    type: report.diskType ?? null,
    ok: report.ok,
    issues: report.issues.map(issueJson),
    ...(repaired === undefined ? {} : { repaired: repaired.map(issueJson) }),
  };
}

/** What vhd-diff's `resize` reports (described structurally: the CLI names its disk type `type`, like every command). */
interface ResizeFacts {
  path: string;
  diskType: DiskTypeName;
  oldSize: number;
  newSize: number;
  blocksMoved: number;
  locatorsMoved: number;
}

/** `vpc resize --json`. */
export interface ResizeResultJson {
  path: string;
  type: DiskTypeName;
  oldSize: number;
  newSize: number;
  blocksMoved: number;
  locatorsMoved: number;
}

export function resizeResultJson(result: ResizeFacts): ResizeResultJson {
  const { path, diskType, oldSize, newSize, blocksMoved, locatorsMoved } = result;
  return { path, type: diskType, oldSize, newSize, blocksMoved, locatorsMoved };
}

/** What vhd-diff's `compact` reports. */
interface CompactFacts {
  path: string;
  diskType: 'dynamic' | 'differencing';
  blocksBefore: number;
  blocksAfter: number;
  sectorsUnmarked: number;
  fileSizeBefore: number;
  fileSizeAfter: number;
}

/** `vpc compact --json`. */
export interface CompactResultJson {
  path: string;
  type: 'dynamic' | 'differencing';
  blocksBefore: number;
  blocksAfter: number;
  sectorsUnmarked: number;
  fileSizeBefore: number;
  fileSizeAfter: number;
}

export function compactResultJson(result: CompactFacts): CompactResultJson {
  const { path, diskType, blocksBefore, blocksAfter, sectorsUnmarked, fileSizeBefore, fileSizeAfter } = result;
  return { path, type: diskType, blocksBefore, blocksAfter, sectorsUnmarked, fileSizeBefore, fileSizeAfter };
}

/** `vpc import --json`: the created disk, plus what was read and (dynamic images only) the blocks stored. */
export interface ImportResultJson extends CreatedDiskJson {
  sourceBytes: number;
  /** Blocks holding a non-zero byte; null for a fixed image. */
  storedBlocks: number | null;
}

export function importResultJson(disk: ImportedDisk): ImportResultJson {
  return { ...createdDiskJson(disk), sourceBytes: disk.sourceBytes, storedBlocks: disk.storedBlocks ?? null };
}

/** `vpc export <image> <output> --json` (an export to stdout has no JSON result: stdout is the image). */
export interface ExportResultJson {
  path: string;
  type: ExportedFile['diskType'];
  virtualSize: number;
  fileSize: number;
  /** null for a fixed image. */
  blockSize: number | null;
  /** Blocks written; null for a fixed image. */
  storedBlocks: number | null;
}

export function exportResultJson(written: ExportedFile): ExportResultJson {
  const { path, diskType, virtualSize, fileSize } = written;
  return { path, type: diskType, virtualSize, fileSize, blockSize: written.blockSize ?? null, storedBlocks: written.storedBlocks ?? null };
}
