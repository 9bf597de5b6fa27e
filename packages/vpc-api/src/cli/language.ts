import type { Language } from '@vhdkit/vpc-errors';

/** `--lang es|en` wins; otherwise Spanish when LANG starts with "es" (es_ES.UTF-8, es_MX…), English else. */
export function cliLanguage(flag: string | undefined, env: NodeJS.ProcessEnv): Language {
  if (flag === 'es' || flag === 'en') return flag;
  return (env.LANG ?? '').toLowerCase().startsWith('es') ? 'es' : 'en';
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
