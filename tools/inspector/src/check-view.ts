/** The check report: ok or not, how many issues of each code, and the first examples of each. */
import type { CheckIssue, ImageCheck } from '@vhdkit/vhd-format';
import { h } from './dom.js';

const EXAMPLES_SHOWN = 5;

export function checkReport(check: ImageCheck): HTMLElement {
  const codes = Object.keys(check.counts);
  return h(
    'div',
    { className: 'check', data: { ok: String(check.ok) } },
    h('p', { className: check.ok ? 'badge ok' : 'badge bad' }, check.ok ? 'check: ok' : 'check: errors found'),
    codes.length === 0 ? h('p', { className: 'muted' }, 'No issues.') : h(
      'table',
      { className: 'issues' },
      h('thead', {}, h('tr', {}, h('th', {}, 'code'), h('th', {}, 'severity'), h('th', {}, 'count'), h('th', {}, 'examples'))),
      h('tbody', {}, ...codes.map((code) => issueRow(code, check.counts[code]!, check.issues.filter((issue) => issue.code === code)))),
    ),
    check.omittedIssues > 0 && h('p', { className: 'muted' }, `${check.omittedIssues.toLocaleString('en-US')} more issues counted but not kept as examples.`),
  );
}

function issueRow(code: string, count: number, examples: readonly CheckIssue[]): HTMLElement {
  const severity = examples[0]?.severity ?? 'error';
  return h(
    'tr',
    { className: severity, data: { code, count: String(count) } },
    h('td', { className: 'code' }, code),
    h('td', {}, severity),
    h('td', {}, count.toLocaleString('en-US')),
    h('td', {}, h('ul', {}, ...examples.slice(0, EXAMPLES_SHOWN).map((issue) => h('li', {}, exampleText(issue))))),
  );
}

function exampleText(issue: CheckIssue): string {
  const where = [issue.offset === undefined ? '' : `offset ${issue.offset}`, issue.blockIndex === undefined ? '' : `block ${issue.blockIndex}`].filter(Boolean).join(', ');
  return `${issue.message}${where ? ` (${where})` : ''}${issue.repairable ? ' — repairable' : ''}`;
}
