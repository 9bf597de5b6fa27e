import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { CompactResult, CreatedDisk, ImportedDisk, ResizeResult } from '@vhdkit/vhd-diff';
import { compact, createDifferencingDisk, createDynamicDisk, createFixedDisk, importRaw, resize } from '@vhdkit/vhd-diff';
import { DEFAULT_BLOCK_SIZE } from '@vhdkit/vhd-diff';
import type { Language } from '@vhdkit/vpc-errors';
import { checkDestination } from './create/destination-checks.js';
import { fixedFileBytes, fullyExpandedDynamicFileBytes, roundUpToSector } from './create/expanded-file-size.js';
import { inspectParent } from './create/parent-checks.js';
import { checkPathPair, checkSinglePath } from './create/path-checks.js';
import { DETAILS, detail } from './errors/details.js';
import { refusal, toVpcError } from './errors/hresult-map.js';
import { CreatedFolders } from './folders/missing-folders.js';
import { sizeProblem } from './guest/size-rules.js';
import type { GuestVolumeFormat } from './guest/guest-volume-format.js';
import type { HardwareVirtualizationState } from './hardware/virtualization.js';
import { detectHardwareVirtualization } from './hardware/virtualization.js';
import type { PathStyle } from './paths/path-style.js';
import { defaultPathStyle } from './paths/path-style.js';
import type { AcceptedWork, TaskWork } from './task/vm-task.js';
import { VMTask } from './task/vm-task.js';
import { LinuxVolumeProbe } from './volume/linux-volume-probe.js';
import type { VolumeProbe } from './volume/volume-probe.js';

/** Virtual PC refuses to start a creation with less than 8 MB (MiB) free on the destination volume. */
export const DEFAULT_MINIMUM_FREE_BYTES = 8 * 1024 * 1024;

/** vhd-diff writes block sizes from one sector up to 256 MiB (Windows itself uses 2 MiB; some tools 512 KiB). */
const MAX_BLOCK_SIZE_BYTES = 256 * 1024 * 1024;

/** Options of `new VirtualPC()`. */
export interface VirtualPCOptions {
  /** How path strings are read; default the platform's. */
  pathStyle?: PathStyle;
  /** Volume facts (file system, free space); default `LinuxVolumeProbe`. */
  volumeProbe?: VolumeProbe;
  /** Refuse with VM_E_HARDWARE_VIRTUALIZATION_DISABLED when the CPU lacks vmx/svm (default false). */
  requireHardwareVirtualization?: boolean;
  /** Where the hardware-virtualization state comes from; default /proc/cpuinfo. 'unknown' is not refused. */
  hardwareVirtualization?: () => Promise<HardwareVirtualizationState>;
  /** Language of error messages (default 'en'). */
  language?: Language;
  /** Free space required before creating (default 8 MiB). */
  minimumFreeBytes?: number;
}

/** Options of the task-returning methods. */
export interface CreateTaskOptions {
  /** Cancels the task while it checks (`accepted` and the task reject with ERROR_CANCELLED) or while it works (the task fails the same way). */
  signal?: AbortSignal;
}

/** Options of `createDynamicVirtualHardDisk`. */
export interface CreateDynamicTaskOptions extends CreateTaskOptions {
  /** Default 2 MiB. A power of two from 512 bytes to 256 MiB. */
  blockSize?: number;
}

/** Options of `compactVirtualHardDisk`: cancellation, and whether sectors equal to the parent's are released too. */
export interface CompactTaskOptions extends CreateTaskOptions {
  /** Differencing disks: also unmark sectors whose bytes equal the parent chain's (what the guest reads is unchanged). */
  zeroMatchesParent?: boolean;
}

/** Options of `importRawVirtualHardDisk`: the image type, size and block size, Azure rules, cancellation. */
export interface ImportTaskOptions extends CreateTaskOptions {
  type: 'fixed' | 'dynamic';
  /** The virtual size; default the source's length. Both are rounded up to whole sectors (whole MiB with `azure`). */
  sizeBytes?: number;
  /** Dynamic disks only; default 2 MiB. */
  blockSize?: number;
  /** Azure's rules for uploaded VHDs: fixed, a whole number of MiB (see vhd-diff's importRaw). */
  azure?: boolean;
}

interface PreparedCreation {
  imagePath: string;
  missingFolders: string[];
}

/**
 * IVMVirtualPC's disk-creation methods for Node. Every method returns its `VMTask` at once; the task runs the
 * documented checks in order (see README, "Order of checks"), rejects with the first failing one's VpcError, and once
 * they pass (`task.accepted`) does the work. `await task` gives the new disk's facts. The facade holds policy only:
 * bytes are vhd-diff's job.
 */
export class VirtualPC {
  readonly pathStyle: PathStyle;
  readonly language: Language;
  readonly #volumeProbe: VolumeProbe;
  readonly #requireHardwareVirtualization: boolean;
  readonly #hardwareVirtualization: () => Promise<HardwareVirtualizationState>;
  readonly #minimumFreeBytes: number;
  readonly #tasks = new Set<VMTask<unknown>>();
  #shuttingDown = false;

  constructor(options: VirtualPCOptions = {}) {
    this.pathStyle = options.pathStyle ?? defaultPathStyle();
    this.language = options.language ?? 'en';
    this.#volumeProbe = options.volumeProbe ?? new LinuxVolumeProbe();
    this.#requireHardwareVirtualization = options.requireHardwareVirtualization ?? false;
    this.#hardwareVirtualization = options.hardwareVirtualization ?? (() => detectHardwareVirtualization());
    this.#minimumFreeBytes = options.minimumFreeBytes ?? DEFAULT_MINIMUM_FREE_BYTES;
  }

  get isShuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /**
   * A differencing child of `parentPath` at `imagePath`. A relative path is resolved against the folder of the
   * other path, never against the working directory.
   */
  createDifferencingVirtualHardDisk(imagePath: string, parentPath: string, options: CreateTaskOptions = {}): VMTask<CreatedDisk> {
    return this.#launch(options.signal, { kind: 'differencing', path: String(imagePath) }, async (guard) => {
      const pair = checkPathPair(imagePath, parentPath, this.pathStyle, this.language);
      this.#refuseForeignPathStyle(pair.imagePath);
      await guard();
      const parent = await inspectParent(pair.parentPath, this.language);
      await guard();
      this.#checkSize(parent.virtualSizeBytes, parent.guest);
      const expandedBytes = fullyExpandedDynamicFileBytes(parent.virtualSizeBytes, parent.childBlockSizeBytes, true);
      const prepared = await this.#checkDestination(pair.imagePath, expandedBytes, guard);
      const work: TaskWork<CreatedDisk> = (signal, onProgress) =>
        createDifferencingDisk(prepared.imagePath, parent.metadata, { signal, onProgress: (p) => onProgress(p.bytesWritten, p.totalBytes) });
      return { prepared, work };
    });
  }

  /** A fixed image of `sizeBytes` (rounded up to whole sectors); sparse, so instant even at 2040 GiB. */
  createFixedVirtualHardDisk(path: string, sizeBytes: number, options: CreateTaskOptions = {}): VMTask<CreatedDisk> {
    return this.#launch(options.signal, { kind: 'fixed', path: String(path) }, async (guard) => {
      const imagePath = checkSinglePath(path, this.pathStyle, this.language);
      this.#refuseForeignPathStyle(imagePath);
      const size = this.#checkSizeArgument(sizeBytes);
      const prepared = await this.#checkDestination(imagePath, fixedFileBytes(size), guard);
      const work: TaskWork<CreatedDisk> = (signal, onProgress) =>
        createFixedDisk(prepared.imagePath, size, { signal, onProgress: (p) => onProgress(p.bytesWritten, p.totalBytes) });
      return { prepared, work };
    });
  }

  /** A dynamic image of `sizeBytes` (rounded up to whole sectors) with `blockSize` (default 2 MiB). */
  createDynamicVirtualHardDisk(path: string, sizeBytes: number, options: CreateDynamicTaskOptions = {}): VMTask<CreatedDisk> {
    return this.#launch(options.signal, { kind: 'dynamic', path: String(path) }, async (guard) => {
      const imagePath = checkSinglePath(path, this.pathStyle, this.language);
      this.#refuseForeignPathStyle(imagePath);
      const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
      if (!Number.isSafeInteger(blockSize) || blockSize < 512 || blockSize > MAX_BLOCK_SIZE_BYTES || (blockSize & (blockSize - 1)) !== 0) {
        throw refusal('E_INVALIDARG', this.language, detail(this.language, DETAILS.badBlockSize, { value: String(options.blockSize) }));
      }
      const size = this.#checkSizeArgument(sizeBytes);
      const prepared = await this.#checkDestination(imagePath, fullyExpandedDynamicFileBytes(size, blockSize, false), guard);
      const work: TaskWork<CreatedDisk> = (signal, onProgress) =>
        createDynamicDisk(prepared.imagePath, size, { blockSize, signal, onProgress: (p) => onProgress(p.bytesWritten, p.totalBytes) });
      return { prepared, work };
    });
  }

  /**
   * A new fixed or dynamic disk at `imagePath` holding a raw disk image: a file path (relative to the working
   * directory) or a Readable of unknown length. Checks the destination like creation; the size limits are vhd-diff's
   * (2040 GiB; no 3 MB minimum: a raw image keeps its own size).
   */
  importRawVirtualHardDisk(source: string | Readable, imagePath: string, options: ImportTaskOptions): VMTask<ImportedDisk> {
    return this.#launch(options.signal, { kind: 'import', path: String(imagePath) }, async (guard) => {
      const lang = this.language;
      const target = checkSinglePath(imagePath, this.pathStyle, lang);
      this.#refuseForeignPathStyle(target);
      const { type, blockSize, sizeBytes } = options;
      if (type !== 'fixed' && type !== 'dynamic') throw refusal('E_INVALIDARG', lang, detail(lang, DETAILS.badImportType, { value: String(type) }));
      if (options.azure === true && type === 'dynamic') throw refusal('E_INVALIDARG', lang, detail(lang, DETAILS.azureNeedsFixed, {}));
      if (type === 'fixed' && blockSize !== undefined) throw refusal('E_INVALIDARG', lang, detail(lang, DETAILS.blockSizeForFixed, {}));
      if (blockSize !== undefined && !isValidBlockSizeArgument(blockSize)) throw refusal('E_INVALIDARG', lang, detail(lang, DETAILS.badBlockSize, { value: String(blockSize) }));
      if (sizeBytes !== undefined && !(typeof sizeBytes === 'number' && Number.isFinite(sizeBytes) && sizeBytes > 0)) {
        throw refusal('E_INVALIDARG', lang, detail(lang, DETAILS.badSizeArgument, { value: String(sizeBytes) }));
      }
      if (typeof source !== 'string' && typeof (source as Partial<Readable> | null)?.pipe !== 'function') {
        throw refusal('E_POINTER', lang, detail(lang, DETAILS.missingImportSource, {}));
      }
      // Unknown for a stream without a size: the volume's file-size limit is then found by the write itself.
      const size = roundUpToSector(sizeBytes ?? (typeof source === 'string' ? await sourceLength(source) : 0));
      if (sizeProblem(size, undefined)?.kind === 'too-large') this.#checkSize(size, undefined);
      const expanded = type === 'fixed' ? fixedFileBytes(size) : fullyExpandedDynamicFileBytes(size, blockSize ?? DEFAULT_BLOCK_SIZE, false);
      const prepared = await this.#checkDestination(target, expanded, guard);
      const work: TaskWork<ImportedDisk> = (signal, onProgress) =>
        importRaw(source, prepared.imagePath, { type, size: sizeBytes, blockSize, azure: options.azure, signal, onProgress: (p) => onProgress(p.bytesWritten, p.totalBytes) });
      return { prepared, work };
    });
  }

  /**
   * Changes the virtual size of the image at `path` in place (vhd-diff's `resize`: grow any disk, shrink only over
   * unused space, a differencing disk only to its parent's size). A relative path is relative to the working directory.
   */
  resizeVirtualHardDisk(path: string, sizeBytes: number, options: CreateTaskOptions = {}): VMTask<ResizeResult> {
    return this.#operate(options.signal, { kind: 'resize', path: String(path) }, () => {
      const imagePath = checkSinglePath(path, this.pathStyle, this.language);
      this.#refuseForeignPathStyle(imagePath);
      if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0) {
        throw refusal('E_INVALIDARG', this.language, detail(this.language, DETAILS.badSizeArgument, { value: String(sizeBytes) }));
      }
      return (signal, onProgress) => resize(imagePath, sizeBytes, { signal, onProgress: (p) => onProgress(p.bytesWritten, p.totalBytes) });
    });
  }

  /**
   * Releases the blocks the dynamic or differencing image at `path` does not need and shrinks the file (IVMHardDisk's
   * Compact; vhd-diff's `compact`, copy and atomic rename). Parents are only read.
   */
  compactVirtualHardDisk(path: string, options: CompactTaskOptions = {}): VMTask<CompactResult> {
    return this.#operate(options.signal, { kind: 'compact', path: String(path) }, () => {
      const imagePath = checkSinglePath(path, this.pathStyle, this.language);
      this.#refuseForeignPathStyle(imagePath);
      const zeroMatchesParent = options.zeroMatchesParent ?? false;
      return (signal, onProgress) => compact(imagePath, { zeroMatchesParent, signal, onProgress: (p) => onProgress(p.bytesWritten, p.totalBytes) });
    });
  }

  /**
   * New calls' tasks reject with VM_E_APP_SHUTTING_DOWN from now on; tasks still checking reject the same way and running
   * tasks are cancelled (they fail with VM_E_APP_SHUTTING_DOWN and leave no file). Resolves when all have settled.
   */
  async shutdown(): Promise<void> {
    this.#shuttingDown = true;
    const tasks = [...this.#tasks];
    for (const task of tasks) task.cancelWith('VM_E_APP_SHUTTING_DOWN', this.language);
    await Promise.all(tasks.map((task) => task.waitForCompletion(-1)));
  }

  /**
   * The common frame of every creation, run inside the returned task: shutting down → hardware virtualization → the
   * method's own checks → folder creation → `task.accepted` → the work. Failures are VpcErrors; anything unexpected
   * becomes DISP_E_EXCEPTION with the cause.
   */
  #launch<T = CreatedDisk>(
    signal: AbortSignal | undefined,
    operation: { kind: 'differencing' | 'fixed' | 'dynamic' | 'import'; path: string },
    check: (guard: () => Promise<void>) => Promise<{ prepared: PreparedCreation; work: TaskWork<T> }>,
  ): VMTask<T> {
    const lang = this.language;
    const description = detail('en', DETAILS.operation, operation);
    const failureDetail = detail(lang, DETAILS.operation, operation);
    const checks = async (taskSignal: AbortSignal): Promise<AcceptedWork<T>> => {
      // The task maps an aborted signal to its reason (ERROR_CANCELLED, or VM_E_APP_SHUTTING_DOWN from shutdown()).
      const refuseIfStopped = (): void => {
        if (this.#shuttingDown) throw refusal('VM_E_APP_SHUTTING_DOWN', lang, failureDetail);
        taskSignal.throwIfAborted();
      };
      refuseIfStopped();
      await this.#checkHardwareVirtualization();
      refuseIfStopped();
      const { prepared, work } = await check(async () => refuseIfStopped());
      refuseIfStopped();
      const folders = new CreatedFolders();
      try {
        await folders.create(prepared.missingFolders);
      } catch (error) {
        throw toVpcError(error, {
          lang, detail: prepared.imagePath,
          errnoOverrides: { ENOENT: 'ERROR_PATH_NOT_FOUND', ENOTDIR: 'ERROR_PATH_NOT_FOUND', EEXIST: 'ERROR_PATH_NOT_FOUND', ENAMETOOLONG: 'ERROR_PATH_NOT_FOUND' },
        });
      }
      try {
        refuseIfStopped();
      } catch (error) {
        await folders.removeAll();
        throw error;
      }
      return { work, onFailure: () => folders.removeAll() };
    };
    const task = VMTask.startAfterChecks(checks, { description, failureDetail, lang, signal });
    this.#track(task);
    return task;
  }

  /**
   * The frame of an operation on an existing image: shutting down → the method's own (synchronous) checks →
   * `task.accepted` → the work. No destination, folder or volume checks: nothing new is named.
   */
  #operate<T>(signal: AbortSignal | undefined, operation: { kind: 'resize' | 'compact'; path: string }, check: () => TaskWork<T>): VMTask<T> {
    const lang = this.language;
    const failureDetail = detail(lang, DETAILS.operation, operation);
    const checks = async (taskSignal: AbortSignal): Promise<AcceptedWork<T>> => {
      if (this.#shuttingDown) throw refusal('VM_E_APP_SHUTTING_DOWN', lang, failureDetail);
      taskSignal.throwIfAborted();
      return { work: check() };
    };
    const task = VMTask.startAfterChecks(checks, { description: detail('en', DETAILS.operation, operation), failureDetail, lang, signal });
    this.#track(task);
    return task;
  }

  async #checkHardwareVirtualization(): Promise<void> {
    if (!this.#requireHardwareVirtualization) return;
    if ((await this.#hardwareVirtualization()) === 'absent') {
      throw refusal('VM_E_HARDWARE_VIRTUALIZATION_DISABLED', this.language, detail(this.language, DETAILS.noHardwareVirtualization, {}));
    }
  }

  /** A VirtualPC reading Windows paths cannot touch files on a POSIX host (and vice versa): the path rules still apply. */
  #refuseForeignPathStyle(path: string): void {
    if (this.pathStyle !== defaultPathStyle()) {
      throw refusal('ERROR_NOT_SUPPORTED', this.language, detail(this.language, DETAILS.foreignPathStyle, { pathStyle: this.pathStyle, path, platform: process.platform }));
    }
  }

  /**
   * Microsoft documents E_INVALIDARG for CreateFixed/DynamicVirtualHardDisk when "the size parameter is less than
   * or equal to 0"; a positive size under 3 MB is VM_E_IMAGE_SIZE_TOO_SMALL (#checkSize).
   */
  #checkSizeArgument(sizeBytes: unknown): number {
    if (typeof sizeBytes !== 'number' || !Number.isFinite(sizeBytes) || sizeBytes <= 0) {
      throw refusal('E_INVALIDARG', this.language, detail(this.language, DETAILS.badSizeArgument, { value: String(sizeBytes) }));
    }
    const size = roundUpToSector(sizeBytes);
    this.#checkSize(size, undefined);
    return size;
  }

  #checkSize(sizeBytes: number, guest: GuestVolumeFormat | undefined): void {
    const problem = sizeProblem(sizeBytes, guest);
    if (problem === undefined) return;
    const lang = this.language;
    if (problem.kind === 'too-large') {
      throw refusal('VM_E_IMAGE_SIZE_TOO_LARGE', lang, detail(lang, DETAILS.sizeAboveLimit, {
        sizeBytes, limitBytes: problem.limitBytes, fat16Guest: problem.reason === 'fat16-guest',
      }));
    }
    throw refusal('VM_E_IMAGE_SIZE_TOO_SMALL', lang, detail(lang, DETAILS.sizeBelowLimit, {
      sizeBytes, limitBytes: problem.limitBytes, fat32Guest: problem.reason === 'fat32-guest',
    }));
  }

  async #checkDestination(imagePath: string, expandedFileBytes: number, guard: () => Promise<void>): Promise<PreparedCreation> {
    await guard();
    const destination = await checkDestination(imagePath, expandedFileBytes, {
      lang: this.language, volumeProbe: this.#volumeProbe, minimumFreeBytes: this.#minimumFreeBytes,
    });
    await guard();
    return { imagePath, missingFolders: destination.missingFolders };
  }

  #track(task: VMTask<unknown>): void {
    this.#tasks.add(task);
    void task.waitForCompletion(-1).then(() => this.#tasks.delete(task));
  }
}

function isValidBlockSizeArgument(blockSize: unknown): boolean {
  return typeof blockSize === 'number' && Number.isSafeInteger(blockSize) && blockSize >= 512 && blockSize <= MAX_BLOCK_SIZE_BYTES && (blockSize & (blockSize - 1)) === 0;
}

/** A raw source file's length for the destination checks (0 when unknown: the import reports a missing file itself). */
async function sourceLength(path: string): Promise<number> {
  try {
    const stats = await stat(path);
    return stats.isFile() ? stats.size : 0;
  } catch {
    return 0;
  }
}
