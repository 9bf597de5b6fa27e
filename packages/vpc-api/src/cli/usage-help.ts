import type { Command } from 'commander';
import type { Language } from '@vhdkit/vpc-errors';
import { refusal } from '../errors/hresult-map.js';

/**
 * What a usage error adds to its detail: what is valid (the commands, the command's usage line, the form of a value)
 * and where to read more (`vpc <command> --help`). English and Spanish, like every detail.
 */

export function helpPointer(command: string | undefined, lang: Language): string {
  const help = `vpc ${command === undefined ? '' : `${command} `}--help`;
  return lang === 'es' ? `; más información: '${help}'` : `; see '${help}'`;
}

export function commandList(names: readonly string[], lang: Language): string {
  return `${lang === 'es' ? '; órdenes' : '; commands'}: ${names.join(', ')}`;
}

export function usageLine(command: string, usage: string, lang: Language): string {
  return `${lang === 'es' ? '; uso' : '; usage'}: vpc ${command} ${usage}`;
}

const BYTE_COUNT_FORM: Record<Language, string> = {
  en: 'is not a whole number of bytes: give an integer, or a number with a K, M, G or T suffix (binary multiples: 64M = 67108864, 1.5K = 1536)',
  es: 'no es un número entero de bytes: indique un entero, o un número con el sufijo K, M, G o T (múltiplos binarios: 64M = 67108864, 1.5K = 1536; el separador decimal es el punto)',
};

/** E_INVALIDARG for an option whose value is not a byte count (`--size 10X`, `--offset 1.5`). */
export function badByteCount(command: string, option: string, value: string, lang: Language): Error {
  return refusal('E_INVALIDARG', lang, `${option} ${value} ${BYTE_COUNT_FORM[lang]}${helpPointer(command, lang)}`);
}

/** The part of `vpc` a usage error concerns: the subcommand named on the command line, if any. */
function subcommandIn(program: Command, argv: readonly string[]): Command | undefined {
  for (const argument of argv) {
    const command = program.commands.find((candidate) => candidate.name() === argument || candidate.aliases().includes(argument));
    if (command !== undefined) return command;
  }
  return undefined;
}

/** What follows commander's own text in a usage error's detail: what is valid here, then where the help is. */
export function usageContext(program: Command, argv: readonly string[], commanderCode: string, lang: Language): string {
  const command = subcommandIn(program, argv);
  let valid = '';
  if (commanderCode === 'commander.unknownCommand') valid = commandList(program.commands.map((each) => each.name()), lang);
  else if (command !== undefined && USAGE_LINE_CODES.has(commanderCode)) valid = usageLine(command.name(), command.usage(), lang);
  return `${valid}${helpPointer(command?.name(), lang)}`;
}

/** Errors about the shape of the command line, answered with the command's usage line. */
const USAGE_LINE_CODES = new Set(['commander.missingArgument', 'commander.missingMandatoryOptionValue', 'commander.excessArguments', 'commander.optionMissingArgument']);
