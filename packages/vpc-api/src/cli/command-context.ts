import path from 'node:path';
import type { Language } from '@vhdkit/vpc-errors';
import type { VirtualPC } from '../virtual-pc.js';
import type { CliIo } from './cli-io.js';
import { writeLine } from './cli-io.js';

// Loaded by every command (and by `--version`/`--help`): type imports only, so start-up stays light.

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
