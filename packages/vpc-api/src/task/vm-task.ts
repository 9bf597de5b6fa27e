import { EventEmitter } from 'node:events';
import type { HresultName, Language } from '@vhdkit/vpc-errors';
import { CANCELLATION_NAME, HRESULTS, VpcError } from '@vhdkit/vpc-errors';
import { toVpcError } from '../errors/hresult-map.js';

/** A progress event of a VMTask. */
export interface TaskProgress {
  percentCompleted: number;
  bytesWritten: number;
  totalBytes: number;
}

/** The events a VMTask emits, with their arguments. */
export interface VMTaskEvents<T> {
  progress: [progress: TaskProgress, task: VMTask<T>];
  /** After success and after failure; `task.error` tells which. */
  complete: [task: VMTask<T>];
}

/** What a task runs: gets the abort signal and a progress sink, resolves with the result. */
export type TaskWork<T> = (signal: AbortSignal, onProgress: (bytesWritten: number, totalBytes: number) => void) => Promise<T>;

export interface TaskStartOptions {
  description: string;
  /** The operation in `lang`, for failure messages (cancellation, shutdown); default `description`. */
  failureDetail?: string;
  lang: Language;
  /** Cancels the task like `cancel()`. */
  signal?: AbortSignal;
  /** Runs after a failure and before the task settles (e.g. removes folders the call created). */
  onFailure?: () => Promise<void>;
}

/**
 * Node's IVMTask: a running operation with progress, completion, cancellation and an HRESULT result.
 *
 * `await task` gives the result (or throws the VpcError): the task is a thenable at run time. TypeScript cannot type
 * both `await vpc.create…()` → VMTask and `await task` → result (it unwraps thenables recursively and refuses a
 * promise of a thenable), so `then` is left out of the declared type: TypeScript callers use `await task.completion`.
 */
export class VMTask<T> extends EventEmitter<VMTaskEvents<T>> {
  readonly description: string;
  /** Settles with the result or rejects with the VpcError; never rejects unhandled. */
  readonly completion: Promise<T>;

  readonly #controller = new AbortController();
  #percentCompleted = 0;
  #complete = false;
  #error: VpcError | undefined;
  #thenHidden = false;
  #failureDetail: string;

  private constructor(description: string, completion: (task: VMTask<T>) => Promise<T>) {
    super();
    this.description = description;
    this.#failureDetail = description;
    this.completion = completion(this);
    this.completion.catch(() => undefined);
  }

  /** Starts `work` now; the returned task is already running. */
  static start<T>(work: TaskWork<T>, options: TaskStartOptions): VMTask<T> {
    const task = new VMTask<T>(options.description, (started) => started.#run(work, options));
    if (options.failureDetail !== undefined) task.#failureDetail = options.failureDetail;
    return task;
  }

  /**
   * Resolves `resolve` with the task itself rather than with its result: the Promise machinery reads `then` exactly
   * once, synchronously inside `resolve`, so hiding it for that call makes the promise fulfil with the task.
   */
  static resolveWithTask<T>(task: VMTask<T>, resolve: (value: VMTask<T>) => void): void {
    task.#thenHidden = true;
    try {
      resolve(task);
    } finally {
      task.#thenHidden = false;
    }
  }

  /** 0–100, whole numbers; 100 once the task succeeded. */
  get percentCompleted(): number {
    return this.#percentCompleted;
  }

  get isComplete(): boolean {
    return this.#complete;
  }

  /** The HRESULT: E_PENDING while running (no outcome yet), S_OK after success, the failure's value after failure. */
  get result(): number {
    if (!this.#complete) return HRESULTS.E_PENDING;
    return this.#error?.hresult ?? HRESULTS.S_OK;
  }

  get error(): VpcError | undefined {
    return this.#error;
  }

  /** The signal the work observes; aborted by `cancel()`, by the caller's signal or by shutdown. */
  get signal(): AbortSignal {
    return this.#controller.signal;
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

  /** Cancels a running task (it fails with ERROR_CANCELLED and leaves no file); no effect once complete. */
  cancel(): void {
    this.cancelWith(CANCELLATION_NAME);
  }

  /** Cancels with a specific failure code (VirtualPC.shutdown uses VM_E_APP_SHUTTING_DOWN). */
  cancelWith(name: HresultName, lang: Language = 'en'): void {
    if (this.#complete || this.#controller.signal.aborted) return;
    this.#controller.abort(new VpcError(name, { lang, detail: this.#failureDetail }));
  }

  async #run(work: TaskWork<T>, options: TaskStartOptions): Promise<T> {
    const external = options.signal;
    const forwardAbort = () => this.#controller.abort(external?.reason);
    external?.addEventListener('abort', forwardAbort, { once: true });
    if (external?.aborted) forwardAbort();
    // Let the caller attach listeners before the first event.
    await Promise.resolve();
    try {
      const value = await work(this.#controller.signal, (bytesWritten, totalBytes) => this.#progress(bytesWritten, totalBytes));
      this.#percentCompleted = 100;
      this.#settle(undefined);
      return value;
    } catch (thrown) {
      const error = this.#failureFor(thrown, options.lang);
      try {
        await options.onFailure?.();
      } catch {
        // Cleanup is best effort; the task's own failure is what the caller needs.
      }
      this.#settle(error);
      throw error;
    } finally {
      external?.removeEventListener('abort', forwardAbort);
    }
  }

  #failureFor(thrown: unknown, lang: Language): VpcError {
    const signal = this.#controller.signal;
    // A cancelled task reports why it was cancelled (cancel() / shutdown()), with the work's own error as cause.
    if (signal.aborted && signal.reason instanceof VpcError) {
      const reason = signal.reason;
      return new VpcError(reason.code, { lang, detail: reason.detail, cause: thrown });
    }
    if (signal.aborted) return new VpcError(CANCELLATION_NAME, { lang, detail: this.#failureDetail, cause: thrown });
    return toVpcError(thrown, { lang });
  }

  #progress(bytesWritten: number, totalBytes: number): void {
    const percent = totalBytes > 0 ? Math.min(100, Math.max(0, Math.floor((bytesWritten * 100) / totalBytes))) : 0;
    this.#percentCompleted = Math.max(this.#percentCompleted, percent);
    this.emit('progress', { percentCompleted: this.#percentCompleted, bytesWritten, totalBytes }, this);
  }

  // `then` lives on the prototype as a getter so it can be hidden while a creation promise adopts the task.
  static {
    // The issue requires `await task` to give the result; the hidden-while-resolving getter keeps that from
    // hijacking the creation promise, which is the hazard this lint rule guards against.
    // oxlint-disable-next-line unicorn/no-thenable
    Object.defineProperty(VMTask.prototype, 'then', {
      configurable: true,
      get(this: VMTask<unknown>) {
        if (!(#thenHidden in this) || this.#thenHidden) return undefined;
        const completion = this.completion;
        return (onFulfilled?: unknown, onRejected?: unknown) => completion.then(onFulfilled as never, onRejected as never);
      },
    });
  }

  #settle(error: VpcError | undefined): void {
    this.#error = error;
    this.#complete = true;
    this.emit('complete', this);
  }
}
