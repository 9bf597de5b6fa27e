// The catalogue: definitions joined with their messages, plus lookups by name and by value.
import { HRESULT_DEFINITIONS, type HresultName, type HresultSource } from './codes.js';
import { formatHresult, toUnsignedHresult } from './hresult.js';
import { isLanguage, MESSAGES, unknownHresultMessage, type Language, type LocalizedText } from './messages.js';

/** One catalogue entry: name, value, source and messages. */
export interface HresultEntry {
  readonly name: HresultName;
  /** Unsigned 32-bit value, e.g. 0x800700B7. */
  readonly hresult: number;
  /** The Win32 error code wrapped by HRESULT_FROM_WIN32, when there is one (e.g. 183). */
  readonly win32Code?: number;
  readonly source: HresultSource;
  readonly messages: LocalizedText;
}

/** Every HRESULT this toolkit knows, in the order of the README's table. */
export const catalogue: readonly HresultEntry[] = Object.freeze(
  HRESULT_DEFINITIONS.map((definition): HresultEntry =>
    Object.freeze({ ...definition, messages: Object.freeze({ ...MESSAGES[definition.name] }) }),
  ),
);

const entriesByName = new Map<string, HresultEntry>(catalogue.map((entry) => [entry.name, entry]));
const entriesByValue = new Map<number, HresultEntry>(catalogue.map((entry) => [entry.hresult, entry]));

/** Name → unsigned value, like the constants of a header: `HRESULTS.ERROR_ALREADY_EXISTS === 0x800700B7`. */
export const HRESULTS: Readonly<Record<HresultName, number>> = Object.freeze(
  Object.fromEntries(catalogue.map((entry) => [entry.name, entry.hresult])) as Record<HresultName, number>,
);

/** The catalogue entry of a symbolic name (undefined for names not in the catalogue). */
export function lookupByName(name: HresultName): HresultEntry;
export function lookupByName(name: string): HresultEntry | undefined;
export function lookupByName(name: string): HresultEntry | undefined {
  return entriesByName.get(name);
}

/** Accepts the unsigned or the signed int32 form; undefined for values outside the catalogue. */
export function lookupByValue(hr: number): HresultEntry | undefined {
  return entriesByValue.get(toUnsignedHresult(hr));
}

/** True for a name in the catalogue. */
export function isHresultName(value: unknown): value is HresultName {
  return typeof value === 'string' && entriesByName.has(value);
}

/**
 * The entry for a name or value.
 * @throws RangeError for a name outside the catalogue (a programming error, unlike an unknown value).
 */
export function resolveEntry(nameOrValue: HresultName | number): HresultEntry | undefined {
  if (typeof nameOrValue === 'number') return lookupByValue(nameOrValue);
  const entry = lookupByName(nameOrValue);
  if (entry === undefined) throw new RangeError(`Unknown HRESULT name: ${String(nameOrValue)}`);
  return entry;
}

export function assertLanguage(language: unknown): asserts language is Language {
  if (!isLanguage(language)) throw new RangeError(`Unsupported language: ${String(language)} (use 'en' or 'es')`);
}

/**
 * The message for a catalogue name or any HRESULT value. Values outside the catalogue get a generic
 * message quoting the hex value, since Windows can report codes this catalogue does not list.
 */
export function messageFor(nameOrValue: HresultName | number, language: Language = 'en'): string {
  assertLanguage(language);
  const entry = resolveEntry(nameOrValue);
  if (entry !== undefined) return entry.messages[language];
  return unknownHresultMessage(formatHresult(nameOrValue as number), language);
}
