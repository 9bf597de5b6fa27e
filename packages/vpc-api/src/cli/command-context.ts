import path from 'node:path';
import type { Language } from '@vhdkit/vpc-errors';
import type { VirtualPC } from '../virtual-pc.js';
import type { CliIo } from './cli-io.js';
import { writeLine } from './cli-io.js';

// Loaded by every command (and by `--version`/`--help`): the facade and the error catalogue load only when needed.

/** What every command action gets. */
export interface CommandContext {
  io: CliIo;
  lang: Language;
  json: boolean;
  quiet: boolean;
  /**
   * Builds the facade with the CLI's language and probe (options such as hardware checks vary per command). Async
   * because the facade and its volume probe are loaded only by the commands that create disks.
   */
  virtualPc(options?: { requireHardwareVirtualization?: boolean; minimumFreeBytes?: number }): Promise<VirtualPC>;
  /** Aborted (reason: VM_E_APP_SHUTTING_DOWN) on SIGINT/SIGTERM; chain commands pass it to vhd-diff. */
  stopSignal: AbortSignal;
  /**
   * A command-line path resolved against the shell's working directory, as every CLI does (the API's own rule,
   * "relative to the other path", is for API callers). A trailing separator is kept, so the API can refuse a path
   * that names a folder; an empty text stays empty, so it is refused as empty rather than naming the working folder.
   */
  userPath(text: string): string;
  /**
   * An image a reading command (info, cat, check) opens: an http(s) URL is kept as given (it is read over HTTP,
   * never taken for a relative path); anything else is a path, as `userPath` resolves it.
   */
  userLocation(text: string): string;
}

/** A command's action: builds the context when it runs (after parsing), and records the exit code. */
export type ContextFactory = () => CommandContext;
export type SetExit = (code: number) => void;

/** The settings a command line gives every command (from commander's global options, or the fast path's own parse). */
export interface CommandSettings {
  lang: Language;
  json: boolean;
  quiet: boolean;
}

/** Loads the facade's module (a parameter, so that a fast-path bundle for a command without a facade leaves it out). */
export type FacadeLoader = () => Promise<{ VirtualPC: typeof VirtualPC }>;

/** The context a command action runs with: the full CLI and its fast path (fast-path.ts) build it the same way. */
export function commandContext(io: CliIo, settings: CommandSettings, stopSignal: AbortSignal, loadFacade: FacadeLoader): CommandContext {
  const { lang } = settings;
  return {
    io,
    ...settings,
    stopSignal,
    userPath: userPathResolver(io.cwd),
    userLocation: userLocationResolver(io.cwd),
    virtualPc: async (extra = {}) => {
      const { VirtualPC } = await loadFacade();
      const vpc = new VirtualPC({ language: lang, ...(io.volumeProbe === undefined ? {} : { volumeProbe: io.volumeProbe }), ...extra });
      // SIGINT/SIGTERM: shutdown() rejects pending checks and cancels the running task (no file left). A signal
      // that landed while the facade was loading shuts it down at once ('abort' does not fire twice).
      if (stopSignal.aborted) void vpc.shutdown();
      else stopSignal.addEventListener('abort', () => void vpc.shutdown(), { once: true });
      return vpc;
    },
  };
}

/**
 * Aborts `stopController` (reason: VM_E_APP_SHUTTING_DOWN in `lang()`) on SIGINT/SIGTERM; returns the remover of the
 * handlers. The error catalogue loads on demand, so the abort comes a moment after the OS signal, once it is there.
 */
export function stopOnSignals(stopController: AbortController, lang: () => Language): () => void {
  const onSignal = () => {
    void import('@vhdkit/vpc-errors').then(({ VpcError }) =>
      stopController.abort(new VpcError('VM_E_APP_SHUTTING_DOWN', { lang: lang(), detail: 'vpc' })),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/** Command-line paths resolved against `cwd` (CommandContext.userPath). */
export function userPathResolver(cwd: string): (text: string) => string {
  return (text) => {
    if (text === '') return text;
    const resolved = path.resolve(cwd, text);
    const namesFolder = text.endsWith(path.sep) || text.endsWith('/');
    return namesFolder && !resolved.endsWith(path.sep) ? `${resolved}${path.sep}` : resolved;
  };
}

const HTTP_URL = /^https?:\/\//i;

/** Command-line image locations: http(s) URLs as given, paths resolved against `cwd` (CommandContext.userLocation). */
export function userLocationResolver(cwd: string): (text: string) => string {
  const userPath = userPathResolver(cwd);
  return (text) => (HTTP_URL.test(text) ? text : userPath(text));
}

/**
 * Prints a JSON result or a line of text; nothing with --quiet (which silences all but errors). A failed write
 * rejects with its HRESULT (`vpc info >/dev/full`: ERROR_DISK_FULL); a reader that went away (EPIPE, `| head -0`)
 * is not a failure of the command, as for `vpc cat`.
 */
export async function printResult(context: CommandContext, json: unknown, text: string): Promise<void> {
  if (context.quiet) return;
  try {
    await writeLine(context.io.stdout, context.json ? JSON.stringify(json, null, 2) : text);
  } catch (error) {
    if ((error as NodeJS.ErrnoException | null)?.code === 'EPIPE') return;
    const { outputFailure } = await import('./output-failure.js');
    throw outputFailure(error, context.lang);
  }
}
