import { VhdFormatError } from '../errors.js';
import type { VhdFormatErrorCode } from '../errors.js';

/** The facts a chain failure's message quotes, for callers that word failures themselves. */
export type ChainFacts = Readonly<Record<string, string | number>>;

/** A chain that cannot be opened: a parent missing, mismatched, changed, looping or too deep. */
export class VhdChainError extends VhdFormatError {
  /** `reason` plus the names, ids and times the message quotes (never bytes read from a file). */
  readonly facts: ChainFacts & { reason: string };
  /** The name (path or URL) of the child whose parent is at fault. */
  readonly childName: string;

  constructor(code: VhdFormatErrorCode, childName: string, message: string, facts: ChainFacts & { reason: string }, options?: ErrorOptions) {
    super(code, 0, message, options);
    this.name = 'VhdChainError';
    this.childName = childName;
    this.facts = facts;
  }
}
