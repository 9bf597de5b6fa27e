import type { Readable } from 'node:stream';
import type { CheckIssue, DiskTypeName, ParentResolver } from '@vhdkit/vhd-format';
import type { ImageMetadata, WriteProgress } from './creation-api.js';

/** Options of `openDisk`. */
export interface OpenDiskOptions {
  /** The top image only; parents are always opened read-only. */
  writable?: boolean;
  /** Explicit parent for the top image (overrides locators and the header name). */
  parentPath?: string;
  /**
   * What to do when a child's recorded parent timestamp differs from the parent file's modification time.
   * 'error' (default) refuses like Windows/Hyper-V; 'accept' opens and records a warning. A recorded
   * timestamp of 0 means "not recorded" (Windows 10 diskpart writes 0) and is always accepted.
   */
  timestampMismatch?: 'error' | 'accept';
  /** Most images a chain may have, the top one included: 1 to 32 (MAX_CHAIN_DEPTH, the default). */
  maxDepth?: number;
  /**
   * Finds parents in place of the default (the first candidate that is a file; none for a URL-named source): e.g.
   * vhd-format's `firstOpenable((url) => httpSource(url))` for a chain on a web server.
   */
  resolveParent?: ParentResolver;
  /**
   * Read the chain's files on the calling thread (`fs.readSync`) instead of libuv's thread pool (default false).
   * Each read then blocks the event loop while it runs (from the page cache about 0.1 ms per 2 MiB; from a slow
   * disk far longer) but skips a thread hand-off per read, which on some virtual machines costs more than the
   * copy itself. For single-purpose processes such as `vpc cat`, not for servers. Writes stay asynchronous.
   */
  blockingReads?: boolean;
  /**
   * Writes that allocate blocks leave the blocks' table entries for `flush()` (or `close()`): the data of many
   * writes, then one fdatasync, then all their entries, instead of an fdatasync per write (default false). The crash
   * order holds (no entry ever points at data that is not on disk; a write into an older block first commits the
   * waiting entries, so a crash leaves the state after some write, never a mix), but a crash loses every write
   * since the last flush, not only the last one. For bulk writers that report nothing before the end, such as
   * `vpc write`; while the entries wait, fdatasyncs run in the background so that the flush has little left.
   */
  tableEntriesOnFlush?: boolean;
}

/** A range of virtual disk bytes. */
export interface ByteRange {
  offset: number;
  length: number;
}

/** An open image with its chain of parents: reads through the chain, writes to the top image. */
export interface VhdDisk {
  readonly path: string;
  readonly metadata: ImageMetadata;
  readonly diskType: DiskTypeName;
  readonly virtualSize: number;
  readonly blockSize: number | undefined;
  readonly parent: VhdDisk | undefined;
  /** Recoverable oddities met while opening (bad checksums, an accepted timestamp mismatch…). */
  readonly warnings: string[];
  /** Reads from `virtualOffset` into `buffer`; returns the bytes read (short only at the end of the disk). */
  read(buffer: Uint8Array, virtualOffset: number): Promise<number>;
  /** The virtual disk's bytes; `end` inclusive, like fs.createReadStream. */
  createReadStream(options?: { start?: number; end?: number }): Readable;
  readableWebStream(options?: { start?: number; end?: number }): ReadableStream<Uint8Array>;
  /** Virtual ranges some layer of the chain holds, at block granularity (sorted, merged). */
  allocatedRanges(): ByteRange[];
  /** This file's allocated BAT entries (0 for a fixed disk). */
  allocatedBlockCount(): number;
  write(buffer: Uint8Array, virtualOffset: number): Promise<void>;
  flush(): Promise<void>;
  /** Closes the whole chain. */
  close(): Promise<void>;
}

/** Cancellation and progress of a long operation. */
export interface ProgressOptions {
  signal?: AbortSignal;
  onProgress?: (progress: WriteProgress) => void;
}

/** What `merge` did. */
export interface MergeResult {
  childPath: string;
  parentPath: string;
  sectorsCopied: number;
  bytesCopied: number;
}

// One issue, one definition: vhd-format's checker makes them, `check` and `repair` hand them on.
export type { CheckIssue, CheckSeverity } from '@vhdkit/vhd-format';

/** What `check` found in one image (JSON-able). */
export interface CheckReport {
  path: string;
  diskType: DiskTypeName | undefined;
  /** True when no issue has severity 'error'. */
  ok: boolean;
  /** The first 100 issues of each code (vhd-format's MAX_ISSUE_EXAMPLES), in the order found. */
  issues: CheckIssue[];
  /** Present when issues were left out: how many of each code were found. */
  counts?: Record<string, number>;
  /** Present when issues were left out: how many. */
  omittedIssues?: number;
}
