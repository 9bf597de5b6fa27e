// The error the toolkit throws for a failed Virtual PC call. `name` stays 'VpcError' (the Error
// convention that stack traces and `instanceof`-free checks rely on); the symbolic HRESULT name is `code`,
// like Node's `err.code`.
import { assertLanguage, lookupByName, resolveEntry } from './catalogue.js';
import type { HresultName } from './codes.js';
import { formatHresult, isFailure } from './hresult.js';
import type { Language } from './messages.js';

/** Options of `VpcError.from`. */
export interface VpcErrorOptions {
  /** The underlying error (a Node errno error, a VhdIoError…). */
  cause?: unknown;
  /** Message language; 'en' by default. */
  lang?: Language;
  /** Context appended to the message, typically the path concerned. */
  detail?: string;
}

/** What `VpcError.toJSON()` gives (and the `vpc` CLI prints with `--json`). */
export interface VpcErrorJson {
  hresult: number;
  name: HresultName;
  message: string;
}

/** A failure of the Virtual PC API: its symbolic `code`, its exact `hresult` and a localized message. */
export class VpcError extends Error {
  // On the prototype, so the stack header captured during super() already reads 'VpcError: …'.
  override get name(): 'VpcError' {
    return 'VpcError';
  }

  /** Symbolic HRESULT name, e.g. 'ERROR_ALREADY_EXISTS'. */
  readonly code: HresultName;
  /** Unsigned 32-bit value, e.g. 0x800700B7. */
  readonly hresult: number;
  readonly detail: string | undefined;
  readonly language: Language;

  /** @throws RangeError for S_OK or an unsupported language: a VpcError always reports a failure. */
  constructor(code: HresultName, options: VpcErrorOptions = {}) {
    const language = options.lang ?? 'en';
    assertLanguage(language);
    const entry = lookupByName(code);
    if (entry === undefined) throw new RangeError(`Unknown HRESULT name: ${String(code)}`);
    if (!isFailure(entry.hresult)) throw new RangeError(`${code} is a success code, not an error`);
    const text = entry.messages[language];
    super(options.detail === undefined ? text : `${text}: ${options.detail}`, { cause: options.cause });
    this.code = code;
    this.hresult = entry.hresult;
    this.detail = options.detail;
    this.language = language;
  }

  /**
   * From a catalogue name or an HRESULT value (uint32 or int32).
   * @throws RangeError for a value outside the catalogue or a success code.
   */
  static from(nameOrValue: HresultName | number, options: VpcErrorOptions = {}): VpcError {
    const entry = resolveEntry(nameOrValue);
    if (entry === undefined) {
      throw new RangeError(`HRESULT ${formatHresult(nameOrValue as number)} is not in the Virtual PC catalogue`);
    }
    return new VpcError(entry.name, options);
  }

  /** The same error with its message in another language (code, cause and detail kept). */
  inLanguage(lang: Language): VpcError {
    return new VpcError(this.code, { cause: this.cause, detail: this.detail, lang });
  }

  toJSON(): VpcErrorJson {
    return { hresult: this.hresult, name: this.code, message: this.message };
  }
}

/** True for a VpcError. */
export function isVpcError(value: unknown): value is VpcError {
  return value instanceof VpcError;
}
