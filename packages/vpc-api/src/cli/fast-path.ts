import type { CliIo } from './cli-io.js';
import { absorbWriteErrors } from './cli-io.js';
import type { CommandContext, CommandSettings, FacadeLoader } from './command-context.js';
import { commandContext, stopOnSignals } from './command-context.js';
import { cliLanguage } from './language.js';

// `vpc info <image>`, `vpc create-diff <child> <parent>`, `vpc write <image> --offset N` and `vpc cat <image>` are
// what scripts run once per image, so their start-up is much of their time. The bin answers these plain shapes through
// one CommonJS bundle per command (fast-info.ts, fast-create-diff.ts, fast-write.ts, fast-cat.ts →
// dist/cli-bundle/fast-*.cjs): no ESM loader, no commander, no other command's code. Each runs the same action, in
// the same context, and reports failures the same way as the full CLI (run.ts); being CommonJS, each bundle holds its
// own copy of the classes its instanceof checks compare. Any other shape (another option, a `--`, an argument that
// looks like an option, a wrong count, a missing required option) goes to the full CLI, which owns usage errors and
// help.

/** A command line the fast path runs: the command, its positional arguments, its options, the global flags. */
export interface FastCommand {
  command: 'info' | 'create-diff' | 'write' | 'cat';
  operands: string[];
  /** Options with a value (`--offset 4M`, `--input=-`), by name without dashes. */
  values: Record<string, string>;
  json: boolean;
  quiet: boolean;
}

const OPERAND_COUNTS = { info: 1, 'create-diff': 2, write: 1, cat: 1 } as const;
/** The options with a value each fast command takes; `required` ones must be given (else commander reports it). */
const VALUE_OPTIONS: Record<FastCommand['command'], { names: readonly string[]; required: readonly string[] }> = {
  info: { names: [], required: [] },
  'create-diff': { names: [], required: [] },
  write: { names: ['offset', 'input'], required: ['offset'] },
  cat: { names: [], required: [] },
};

/**
 * The fast shape of `argv`, or undefined for the full CLI: the global flags --json, -q, --quiet anywhere; the
 * command's value options after the command, each at most once, with a value that is `-` or does not start with one.
 */
export function fastCommand(argv: readonly string[]): FastCommand | undefined {
  let json = false;
  let quiet = false;
  const words: string[] = [];
  const values: Record<string, string> = {};
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === '--json') json = true;
    else if (argument === '-q' || argument === '--quiet') quiet = true;
    else if (argument.startsWith('--') && words.length > 0) {
      const equals = argument.indexOf('=');
      const name = argument.slice(2, equals === -1 ? undefined : equals);
      const value = equals === -1 ? argv[++index] : argument.slice(equals + 1);
      if (!(VALUE_OPTIONS[words[0] as FastCommand['command']]?.names.includes(name) ?? false)) return undefined;
      if (value === undefined || name in values || value === '' || (value.startsWith('-') && value !== '-')) return undefined;
      values[name] = value;
    } else if (argument === '' || argument.startsWith('-')) return undefined;
    else words.push(argument);
  }
  const [command, ...operands] = words;
  if (!isFastCommandName(command)) return undefined;
  if (operands.length !== OPERAND_COUNTS[command]) return undefined;
  if (!VALUE_OPTIONS[command].required.every((name) => name in values)) return undefined;
  return { command, operands, values, json, quiet };
}

function isFastCommandName(word: string | undefined): word is FastCommand['command'] {
  return word !== undefined && Object.hasOwn(OPERAND_COUNTS, word);
}

/** A command's action, as the full CLI's registration calls it with its operands. */
export type FastAction = (ctx: CommandContext, operands: readonly string[], values: Readonly<Record<string, string>>) => Promise<number>;

/**
 * Runs `argv` with `action` if it has the fast shape of `command` and returns its exit code; undefined (nothing
 * done) for the full CLI. Failures are reported as the full CLI reports them (same line, same exit code).
 */
export function runFastCommand(
  argv: readonly string[],
  io: CliIo,
  command: FastCommand['command'],
  action: FastAction,
  loadFacade: FacadeLoader = noFacade,
): Promise<number> | undefined {
  const fast = fastCommand(argv);
  return fast?.command === command ? runFast(fast, io, action, loadFacade) : undefined;
}

/** The facade loader of a command that builds no facade (`info`). */
function noFacade(): never {
  throw new Error('this command builds no VirtualPC facade');
}

async function runFast(fast: FastCommand, io: CliIo, action: FastAction, loadFacade: FacadeLoader): Promise<number> {
  const settings: CommandSettings = { lang: cliLanguage(undefined, io.env), json: fast.json, quiet: fast.quiet };
  const stopController = new AbortController();
  const removeStopSignals = io.handleSignals === true ? stopOnSignals(stopController, () => settings.lang) : () => undefined;
  absorbWriteErrors([io.stdout, io.stderr]);
  try {
    return await action(commandContext(io, settings, stopController.signal, loadFacade), fast.operands, fast.values);
  } catch (error) {
    // Loaded on failure only: the error catalogue and its mappings cost a successful run more than its own work.
    const { reportFailure } = await import('./error-output.js');
    return reportFailure(io, error, settings.lang, settings.json);
  } finally {
    removeStopSignals();
  }
}
