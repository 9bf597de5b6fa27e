// The README's tables are documentation of the catalogue; keep them from drifting.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { catalogue, ERRNO_TO_HRESULT_NAME, formatHresult } from '../src/index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

function tableRows(header: string): string[][] {
  const lines = readme.split('\n');
  const start = lines.indexOf(header);
  expect(start, `table header ${header}`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.slice(1, -1).split(/(?<!\\)\|/).map((cell) => cell.trim().replaceAll('\\|', '|'));
    rows.push(cells);
  }
  return rows;
}

const unquote = (cell: string): string => cell.replaceAll('`', '');

describe('README', () => {
  it('lists every catalogue entry with its value, Win32 code, source and English meaning', () => {
    const rows = tableRows('| Name | HRESULT | Win32 | Source | Meaning |');
    expect(rows.map(([name, hex, win32, source, meaning]) => ({ name: unquote(name ?? ''), hex: unquote(hex ?? ''), win32, source, meaning }))).toEqual(
      catalogue.map((entry) => ({
        name: entry.name,
        hex: formatHresult(entry.hresult),
        win32: entry.win32Code === undefined ? '' : String(entry.win32Code),
        source: entry.source,
        meaning: entry.messages.en,
      })),
    );
  });

  it('documents the errno mapping as implemented', () => {
    const documented = new Map<string, string>();
    for (const [codes, name] of tableRows('| errno | Name | Why |')) {
      for (const code of unquote(codes ?? '').split(/,|\//).map((text) => text.trim())) documented.set(code, unquote(name ?? ''));
    }
    for (const [code, name] of Object.entries(ERRNO_TO_HRESULT_NAME)) expect(documented.get(code), code).toBe(name);
  });
});
