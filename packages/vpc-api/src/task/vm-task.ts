import { EventEmitter } from 'node:events';
import type { CreatedDisk } from '@vhdkit/vhd-diff';
import type { HresultName, Language } from '@vhdkit/vpc-errors';
import { CANCELLATION_NAME, HRESULTS, VpcError } from '@vhdkit/vpc-errors';
import { toVpcError } from '../errors/hresult-map.js';

/** One progress report of a running task. */
export interface TaskProgress {
  /** 0–100, whole numbers, never decreasing. */
  percentCompleted: number;
  bytesWritten: number;
  totalBytes: number;
}

/** The events a `VMTask` emits, for `task.on(name, listener)`. */
export interface VMTaskEvents<T> {
  progress: [progress: TaskProgress, task: VMTask<T>];
  /** After success and after failure (a refused call included); `task.error` tells which. */
  complete: [task: VMTask<T>];
}

/** What a task runs once accepted: gets the abort signal and a progress sink, resolves with the result. */
export type TaskWork<T> = (signal: AbortSignal, onProgress: (bytesWritten: number, totalBytes: number) => void) => Promise<T>;

/** What a method's checks hand over once they pass. */
export interface AcceptedWork<T> {
  work: TaskWork<T>;
  /** Runs after the work failed and before the task settles (e.g. removes folders the checks created). */
  onFailure?: () => Promise<void>;
}

/**
 * A method's own checks: they observe `signal` (aborted by `cancel()`, the caller's signal or shutdown) and resolve
 * with the work once they pass, or throw the refusal.
 */
export type TaskChecks<T> = (signal: AbortSignal) => Promise<AcceptedWork<T>>;

/** How a task describes itself and what may cancel it. */
export interface TaskStartOptions {
  /** The operation in English (`task.description`). */
  description: string;
  /** The operation in `lang`, for failure messages (cancellation, shutdown); default `description`. */
  failureDetail?: string;
  /** Language of the task's VpcErrors. */
  lang: Language;
  /** Cancels the task like `cancel()`. */
  signal?: AbortSignal;
  /** For `VMTask.start`: runs after a failure and before the task settles. */
  onFailure?: () => Promise<void>;
}

const ignore = (): void => undefined;

/**
 * Node's IVMTask: an operation with progress, completion, cancellation and an HRESULT result — and a promise of its
 * result. `await task` gives `T` (by default the new disk's facts) or throws the `VpcError` of the first failing
 * check or of the work. `task.accepted` settles when the checks pass (the moment the COM method returns S_OK), so a
 * caller can still tell a refused call from a failed task.
 *
 * Neither `accepted` nor the task itself ever reports an unhandled rejection: await whichever you need.
 */
export class VMTask<T = CreatedDisk> extends EventEmitter<VMTaskEvents<T>> implements PromiseLike<T> {
  /** The operation in English, e.g. `Create differencing disk /vms/c.vhd`. */
  readonly description: string;
  /** Resolves when the method's checks passed and the work started; rejects with the refusal's VpcError. */
  readonly accepted: Promise<void>;
  /** The task's outcome as a plain Promise: what `await task` gives or throws. */
  readonly completion: Promise<T>;

  readonly #controller = new AbortController();
  readonly #failureDetail: string;
  #percentCompleted = 0;
  #complete = false;
  #error: VpcError | undefined;

  private constructor(checks: TaskChecks<T>, options: TaskStartOptions) {
    super();
    this.description = options.description;
    this.#failureDetail = options.failureDetail ?? options.description;
    let accept: (outcome: VpcError | undefined) => void = ignore;
    this.accepted = new Promise<void>((resolve, reject) => {
      accept = (refused) => (refused === undefined ? resolve() : reject(refused));
    });
    this.completion = this.#run(checks, options, accept);
    this.accepted.catch(ignore);
    this.completion.catch(ignore);
  }

  /** Starts `work` now, with no checks (`accepted` resolves at once); the returned task is already running. */
  static start<T>(work: TaskWork<T>, options: TaskStartOptions): VMTask<T> {
    const { onFailure } = options;
    return new VMTask<T>(async () => (onFailure === undefined ? { work } : { work, onFailure }), options);
  }

  /** Runs `checks` now and, once they pass, the work they hand over: a facade method's whole life in one task. */
  static startAfterChecks<T>(checks: TaskChecks<T>, options: TaskStartOptions): VMTask<T> {
    return new VMTask<T>(checks, options);
  }

  /** 0–100, whole numbers; 100 once the task succeeded. */
  get percentCompleted(): number {
    return this.#percentCompleted;
  }

  /** True once the task succeeded, failed or was refused. */
  get isComplete(): boolean {
    return this.#complete;
  }

  /** The HRESULT: E_PENDING while checking or running (no outcome yet), S_OK after success, the failure's value after failure. */
  get result(): number {
    if (!this.#complete) return HRESULTS.E_PENDING;
    return this.#error?.hresult ?? HRESULTS.S_OK;
  }

  /** The failure once the task failed or was refused; undefined otherwise. */
  get error(): VpcError | undefined {
    return this.#error;
  }

  /** The signal the checks and the work observe; aborted by `cancel()`, by the caller's signal or by shutdown. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  // A task is its own promise, like execa's ResultPromise: `then` is an ordinary method in the declared type, so
  // TypeScript types `await task` as `T`, which is what it gives at run time.
  // oxlint-disable-next-line unicorn/no-thenable
  then<TFulfilled = T, TRejected = never>(
    onFulfilled?: ((value: T) => TFulfilled | PromiseLike<TFulfilled>) | null,
    onRejected?: ((reason: unknown) => TRejected | PromiseLike<TRejected>) | null,
  ): Promise<TFulfilled | TRejected> {
    return this.completion.then(onFulfilled, onRejected);
  }

  /** As `Promise.prototype.catch` on the task's outcome. */
  catch<TRejected = never>(onRejected?: ((reason: unknown) => TRejected | PromiseLike<TRejected>) | null): Promise<T | TRejected> {
    return this.completion.catch(onRejected);
  }

  /** As `Promise.prototype.finally` on the task's outcome. */
  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.completion.finally(onFinally);
  }

  /** True once complete, false when `timeoutMs` passed first; a negative timeout waits forever (as in COM). */
  waitForCompletion(timeoutMs: number): Promise<boolean> {
    if (this.#complete) return Promise.resolve(true);
    const settled = this.completion.then(() => true, () => true);
    if (timeoutMs < 0) return settled;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(this.#complete), timeoutMs);
      void settled.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Cancels the task (it fails with ERROR_CANCELLED and leaves no file); no effect once complete. */
  cancel(): void {
    this.cancelWith(CANCELLATION_NAME);
  }

  /** Cancels with a specific failure code (VirtualPC.shutdown uses VM_E_APP_SHUTTING_DOWN). */
  cancelWith(name: HresultName, lang: Language = 'en'): void {
    if (this.#complete || this.#controller.signal.aborted) return;
    this.#controller.abort(new VpcError(name, { lang, detail: this.#failureDetail }));
  }

  async #run(checks: TaskChecks<T>, options: TaskStartOptions, accept: (refused: VpcError | undefined) => void): Promise<T> {
    const external = options.signal;
    const forwardAbort = () => this.#controller.abort(external?.reason);
    external?.addEventListener('abort', forwardAbort, { once: true });
    if (external?.aborted) forwardAbort();
    // Let the caller attach listeners before the first event.
    await Promise.resolve();
    try {
      let accepted: AcceptedWork<T>;
      try {
        accepted = await checks(this.#controller.signal);
      } catch (thrown) {
        const refused = this.#failureFor(thrown, options.lang);
        accept(refused);
        this.#settle(refused);
        throw refused;
      }
      accept(undefined);
      return await this.#runWork(accepted, options.lang);
    } finally {
      external?.removeEventListener('abort', forwardAbort);
    }
  }

  async #runWork({ work, onFailure }: AcceptedWork<T>, lang: Language): Promise<T> {
    try {
      const value = await work(this.#controller.signal, (bytesWritten, totalBytes) => this.#progress(bytesWritten, totalBytes));
      this.#percentCompleted = 100;
      this.#settle(undefined);
      return value;
    } catch (thrown) {
      const error = this.#failureFor(thrown, lang);
      try {
        await onFailure?.();
      } catch {
        // Cleanup is best effort; the task's own failure is what the caller needs.
      }
      this.#settle(error);
      throw error;
    }
  }

  #failureFor(thrown: unknown, lang: Language): VpcError {
    const signal = this.#controller.signal;
    // A cancelled task reports why it was cancelled (cancel() / shutdown()), with the work's own error as cause.
    if (signal.aborted && signal.reason instanceof VpcError) {
      const reason = signal.reason;
      return new VpcError(reason.code, { lang, detail: reason.detail, cause: thrown === reason ? undefined : thrown });
    }
    if (signal.aborted) return new VpcError(CANCELLATION_NAME, { lang, detail: this.#failureDetail, cause: thrown });
    return toVpcError(thrown, { lang });
  }

  #progress(bytesWritten: number, totalBytes: number): void {
    const percent = totalBytes > 0 ? Math.min(100, Math.max(0, Math.floor((bytesWritten * 100) / totalBytes))) : 0;
    this.#percentCompleted = Math.max(this.#percentCompleted, percent);
    this.emit('progress', { percentCompleted: this.#percentCompleted, bytesWritten, totalBytes }, this);
  }

  #settle(error: VpcError | undefined): void {
    this.#error = error;
    this.#complete = true;
    this.emit('complete', this);
  }
}
