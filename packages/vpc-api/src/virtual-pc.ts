import type { CreatedDisk } from '@vhdkit/vhd-diff';
import { createDifferencingDisk, createDynamicDisk, createFixedDisk } from '@vhdkit/vhd-diff';
import { DEFAULT_BLOCK_SIZE } from '@vhdkit/vhd-diff';
import type { HresultName, Language } from '@vhdkit/vpc-errors';
import { CANCELLATION_NAME } from '@vhdkit/vpc-errors';
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
import type { TaskWork } from './task/vm-task.js';
import { VMTask } from './task/vm-task.js';
import { LinuxVolumeProbe } from './volume/linux-volume-probe.js';
import type { VolumeProbe } from './volume/volume-probe.js';

/** Virtual PC refuses to start a creation with less than 8 MB (MiB) free on the destination volume. */
export const DEFAULT_MINIMUM_FREE_BYTES = 8 * 1024 * 1024;

/** vhd-diff writes block sizes from one sector up to 256 MiB (Windows itself uses 2 MiB; some tools 512 KiB). */
const MAX_BLOCK_SIZE_BYTES = 256 * 1024 * 1024;

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

export interface CreateTaskOptions {
  /** Cancels the checks (the call rejects with ERROR_CANCELLED) or the running task (it fails the same way). */
  signal?: AbortSignal;
}

export interface CreateDynamicTaskOptions extends CreateTaskOptions {
  /** Default 2 MiB. A power of two from 512 bytes to 256 MiB. */
  blockSize?: number;
}

interface PreparedCreation {
  imagePath: string;
  missingFolders: string[];
}

/**
 * IVMVirtualPC's disk-creation methods for Node. Every method runs the documented checks in order (see README,
 * "Order of checks") and rejects with the first failing one's VpcError; once they pass it resolves with a running
 * VMTask. The facade holds policy only: bytes are vhd-diff's job.
 */
export class VirtualPC {
  readonly pathStyle: PathStyle;
  readonly language: Language;
  readonly #volumeProbe: VolumeProbe;
  readonly #requireHardwareVirtualization: boolean;
  readonly #hardwareVirtualization: () => Promise<HardwareVirtualizationState>;
  readonly #minimumFreeBytes: number;
  readonly #running = new Set<Promise<unknown>>();
  readonly #tasks = new Set<VMTask<CreatedDisk>>();
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
  createDifferencingVirtualHardDisk(imagePath: string, parentPath: string, options: CreateTaskOptions = {}): Promise<VMTask<CreatedDisk>> {
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
  createFixedVirtualHardDisk(path: string, sizeBytes: number, options: CreateTaskOptions = {}): Promise<VMTask<CreatedDisk>> {
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
  createDynamicVirtualHardDisk(path: string, sizeBytes: number, options: CreateDynamicTaskOptions = {}): Promise<VMTask<CreatedDisk>> {
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
   * New calls reject with VM_E_APP_SHUTTING_DOWN from now on; calls still checking reject the same way and running
   * tasks are cancelled (they fail with VM_E_APP_SHUTTING_DOWN and leave no file). Resolves when all have settled.
   */
  async shutdown(): Promise<void> {
    this.#shuttingDown = true;
    for (const task of this.#tasks) task.cancelWith('VM_E_APP_SHUTTING_DOWN', this.language);
    await Promise.allSettled(this.#running);
  }

  /**
   * The common frame of every creation: shutting down → hardware virtualization → the method's own checks → folder
   * creation → task. Rejections are VpcErrors; anything unexpected becomes DISP_E_EXCEPTION with the cause.
   */
  #launch(
    signal: AbortSignal | undefined,
    operation: { kind: 'differencing' | 'fixed' | 'dynamic'; path: string },
    check: (guard: () => Promise<void>) => Promise<{ prepared: PreparedCreation; work: TaskWork<CreatedDisk> }>,
  ): Promise<VMTask<CreatedDisk>> {
    const lang = this.language;
    const description = detail('en', DETAILS.operation, operation);
    const failureDetail = detail(lang, DETAILS.operation, operation);
    const refuseIfStopped = (): void => {
      const name = this.#stopReason(signal);
      if (name !== undefined) throw refusal(name, lang, failureDetail);
    };
    const checked = new Promise<VMTask<CreatedDisk>>((resolve, reject) => {
      const run = async () => {
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
        const task = VMTask.start(work, { description, failureDetail, lang, signal, onFailure: () => folders.removeAll() });
        this.#track(task);
        VMTask.resolveWithTask(task, resolve);
      };
      run().catch((error: unknown) => reject(toVpcError(error, { lang })));
    });
    this.#trackPromise(checked);
    return checked;
  }

  #stopReason(signal: AbortSignal | undefined): HresultName | undefined {
    if (this.#shuttingDown) return 'VM_E_APP_SHUTTING_DOWN';
    if (signal?.aborted) return CANCELLATION_NAME;
    return undefined;
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

  #track(task: VMTask<CreatedDisk>): void {
    this.#tasks.add(task);
    const settled = task.completion.then(() => undefined, () => undefined).finally(() => {
      this.#tasks.delete(task);
      this.#running.delete(settled);
    });
    this.#running.add(settled);
  }

  #trackPromise(promise: Promise<unknown>): void {
    const settled = promise.then(() => undefined, () => undefined).finally(() => this.#running.delete(settled));
    this.#running.add(settled);
  }
}

