import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import type { Language } from '@vhdkit/vpc-errors';
import type { CliIo } from './cli-io.js';
import { absorbWriteErrors } from './cli-io.js';
import type { ContextFactory } from './command-context.js';
import { commandContext, stopOnSignals } from './command-context.js';
import { registerCat, registerCheck, registerCompact, registerConvert, registerMerge, registerResize, registerSetParent, registerWrite } from './commands/chain.js';
import { registerCreate, registerCreateDiff } from './commands/create.js';
import { registerInfo } from './commands/info.js';
import { registerExport, registerImport } from './commands/transfer.js';
import { CLI_LANGUAGES, cliLanguage, languageFlagIn } from './language.js';

// Start-up cost matters (scripts run `vpc` once per image): this module loads only commander and the command
// registrations. The facade, vhd-diff, the error catalogue and the failure reporting are imported when first needed.

interface GlobalOptions {
  json?: boolean;
  /** qemu-img's spelling: `--output=json` is `--json`. */
  output?: 'text' | 'json';
  quiet?: boolean;
  lang?: string;
}

function wantsJson(options: GlobalOptions): boolean {
  return options.json === true || options.output === 'json';
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

/**
 * Runs the `vpc` command line in-process and returns the exit code: 0 success, 1 error (first stderr line
 * `0x%08X NAME: message`), 2 `check` found problems.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = 1;
  const setExit = (code: number) => {
    exitCode = code;
  };
  const stopController = new AbortController();
  const lateLanguage = (): Language => cliLanguage(program.opts<GlobalOptions>().lang ?? languageFlagIn(argv), io.env);
  const program = new Command('vpc');
  let usageText: string | undefined;
  // Help and version text: each write settles with its failure, checked once commander is done (`vpc --help >/dev/full`).
  const helpWrites: Promise<unknown>[] = [];
  const writeHelp = (text: string) => {
    helpWrites.push(new Promise((resolve) => io.stdout.write(text, resolve)));
  };

  const context: ContextFactory = () => {
    const options = program.opts<GlobalOptions>();
    return commandContext(io, { lang: cliLanguage(options.lang, io.env), json: wantsJson(options), quiet: options.quiet === true }, stopController.signal, () => import('../virtual-pc.js'));
  };

  program
    .description('Windows Virtual PC disk images for Node: create differencing, fixed and dynamic VHDs; inspect, read, write, merge, re-parent, convert and check them.')
    .version(packageVersion(), '-V, --version')
    .option('--json', 'print the result (or the error) as JSON on stdout (shapes: schemas/<command>.schema.json)')
    .addOption(new Option('--output <format>', "text or json; '--output=json' is --json (qemu-img's spelling)").choices(['text', 'json']))
    .option('-q, --quiet', 'no output but errors (no result, no progress bar); cat still writes the disk')
    .addOption(new Option('--lang <language>', 'language of messages (default: from LC_ALL, LC_MESSAGES or LANG)').choices(CLI_LANGUAGES))
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({
      writeOut: writeHelp,
      writeErr: (text: string) => io.stderr.write(text),
      // Usage errors are reported (localized, in the common first-line format) when commander throws them.
      outputError: (text: string) => {
        usageText = text.replace(/^error: /, '').trim();
      },
    });

  registerCreateDiff(program, context, setExit);
  registerCreate(program, context, setExit);
  registerInfo(program, context, setExit);
  registerCat(program, context, setExit);
  registerWrite(program, context, setExit);
  registerMerge(program, context, setExit);
  registerSetParent(program, context, setExit);
  registerConvert(program, context, setExit);
  registerCheck(program, context, setExit);
  registerResize(program, context, setExit);
  registerCompact(program, context, setExit);
  registerImport(program, context, setExit);
  registerExport(program, context, setExit);
  for (const command of program.commands) command.exitOverride().configureOutput(program.configureOutput());

  const removeStopSignals = io.handleSignals === true ? stopOnSignals(stopController, lateLanguage) : () => undefined;
  absorbWriteErrors([io.stdout, io.stderr]);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (usageText === undefined) return (await helpWriteFailure(helpWrites, io, lateLanguage())) ?? error.exitCode; // help and version: 0; help after a bare `vpc`: 1
      const [{ reportFailure }, { usageErrorDetail }, { usageContext }, { VpcError }] = await Promise.all([
        import('./error-output.js'),
        import('../errors/details.js'),
        import('./usage-help.js'),
        import('@vhdkit/vpc-errors'),
      ]);
      const lang = lateLanguage();
      const detail = `${usageErrorDetail(error.code, usageText, lang).replace(/\.$/, '')}${usageContext(program, argv, error.code, lang)}`;
      const usage = new VpcError('E_INVALIDARG', { lang, detail });
      return reportFailure(io, usage, lang, wantsJson(program.opts<GlobalOptions>()));
    }
    const { reportFailure } = await import('./error-output.js');
    return reportFailure(io, error, lateLanguage(), wantsJson(program.opts<GlobalOptions>()));
  } finally {
    removeStopSignals();
  }
}

/** The exit code of a failed help or version write, reported in the error-line format; undefined when all went out. */
async function helpWriteFailure(writes: readonly Promise<unknown>[], io: CliIo, lang: Language): Promise<number | undefined> {
  const failure = (await Promise.all(writes)).find((error) => error !== null && error !== undefined);
  if (failure === undefined || (failure as NodeJS.ErrnoException).code === 'EPIPE') return undefined;
  const [{ reportFailure }, { outputFailure }] = await Promise.all([import('./error-output.js'), import('./output-failure.js')]);
  return reportFailure(io, outputFailure(failure, lang), lang, false);
}
