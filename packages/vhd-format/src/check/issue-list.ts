/** The bounded issue list of a check: every issue counted by code, the first examples of each kept. */
import type { FormatProblem } from '../errors.js';

/**
 * Examples kept per issue code. A hostile BAT can make every one of 4 Mi entries wrong: the report then says how many
 * (counts) and shows the first 100 of each kind, so its size stays bounded whatever the image claims.
 */
export const MAX_ISSUE_EXAMPLES = 100;

/** How bad a check issue is: 'error' makes the report not ok; 'warning' and 'info' do not. */
export type CheckSeverity = 'error' | 'warning' | 'info';

/** One thing wrong (or worth knowing) about an image. */
export interface CheckIssue {
  code: string;
  severity: CheckSeverity;
  message: string;
  offset?: number;
  blockIndex?: number;
  /** Whether the safe repair (footer and checksums only) fixes it. */
  repairable: boolean;
}

export interface IssueExtra {
  offset?: number;
  blockIndex?: number;
  repairable?: boolean;
}

export class IssueList {
  /** The kept examples, in the order found. */
  readonly issues: CheckIssue[] = [];
  /** Every issue found, by code (kept or not). */
  readonly counts: Record<string, number> = {};
  private errorCount = 0;

  /** `message` may be a function: it is then only called for kept examples (a hostile table makes millions). */
  add(code: string, severity: CheckSeverity, message: string | (() => string), extra: IssueExtra = {}): void {
    const count = (this.counts[code] ?? 0) + 1;
    this.counts[code] = count;
    if (severity === 'error') this.errorCount++;
    if (count > MAX_ISSUE_EXAMPLES) return;
    const issue: CheckIssue = { code, severity, message: typeof message === 'string' ? message : message(), repairable: extra.repairable ?? false };
    if (extra.offset !== undefined) issue.offset = extra.offset;
    if (extra.blockIndex !== undefined) issue.blockIndex = extra.blockIndex;
    this.issues.push(issue);
  }

  has(code: string): boolean {
    return (this.counts[code] ?? 0) > 0;
  }

  get hasErrors(): boolean {
    return this.errorCount > 0;
  }

  /** Issues found but not kept as examples. */
  get omitted(): number {
    return Object.values(this.counts).reduce((sum, count) => sum + Math.max(0, count - MAX_ISSUE_EXAMPLES), 0);
  }

  /** Decoder problems as `<prefix>_<code>` issues; bad checksums are repairable (`<prefix>_CHECKSUM`). */
  addProblems(prefix: 'FOOTER' | 'HEADER', problems: readonly FormatProblem[], baseOffset: number): void {
    for (const problem of problems) {
      const checksum = problem.code === 'BAD_CHECKSUM';
      this.add(checksum ? `${prefix}_CHECKSUM` : `${prefix}_${problem.code}`, checksum ? 'error' : problem.severity, `${prefix.toLowerCase()}: ${problem.message}`, {
        offset: baseOffset + problem.offset,
        repairable: checksum,
      });
    }
  }
}
