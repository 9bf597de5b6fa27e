import type { Language } from '@vhdkit/vpc-errors';

/**
 * The `--lang` choices, listed here rather than taken from vpc-errors' LANGUAGES so that parsing arguments does not
 * load the error catalogue (start-up time). `satisfies` keeps the list complete: a language added to vpc-errors (or
 * one it lacks) is a compile error.
 */
const LANGUAGE_KEYS = { en: true, es: true } satisfies Record<Language, true>;
export const CLI_LANGUAGES = Object.keys(LANGUAGE_KEYS) as Language[];

/**
 * The locale that decides the language of messages, as POSIX orders them: the first set and non-empty of
 * `LC_ALL`, `LC_MESSAGES`, `LANG` (so `LC_ALL=C` gives English whatever `LANG` says).
 */
export function messagesLocale(env: NodeJS.ProcessEnv): string {
  for (const name of ['LC_ALL', 'LC_MESSAGES', 'LANG'] as const) {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
  }
  return '';
}

/** `--lang es|en` wins; otherwise Spanish when the messages locale starts with "es" (es_ES.UTF-8, es_MX…), English else. */
export function cliLanguage(flag: string | undefined, env: NodeJS.ProcessEnv): Language {
  if (flag === 'es' || flag === 'en') return flag;
  return messagesLocale(env).toLowerCase().startsWith('es') ? 'es' : 'en';
}

/** The `--lang` value from raw arguments, for errors raised before commander has parsed them. */
export function languageFlagIn(argv: readonly string[]): string | undefined {
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === '--lang') return argv[index + 1];
    if (argument.startsWith('--lang=')) return argument.slice('--lang='.length);
  }
  return undefined;
}
