/** The parent locator entries in use, each with its stored path decoded (read again from the image). */
import { decodeLocatorPath, isUnusedLocator, locatorDataSpaceBytes } from '@vhdkit/vhd-format';
import type { VhdImage } from '@vhdkit/vhd-format';
import { h } from './dom.js';

export interface LocatorRow {
  index: number;
  platformCode: string;
  dataSpaceBytes: number;
  dataSpaceStored: number;
  dataLength: number;
  dataOffset: number;
  /** The decoded path, or why there is none. */
  path: string;
  usable: boolean;
}

export async function locatorRows(image: VhdImage): Promise<LocatorRow[]> {
  const rows: LocatorRow[] = [];
  for (const [index, entry] of (image.header?.parentLocators ?? []).entries()) {
    if (isUnusedLocator(entry)) continue;
    const row = {
      index,
      platformCode: entry.platformCode,
      dataSpaceBytes: locatorDataSpaceBytes(entry),
      dataSpaceStored: entry.platformDataSpace,
      dataLength: entry.platformDataLength,
      dataOffset: entry.platformDataOffset,
    };
    rows.push({ ...row, ...(await decodedPath(image, index)) });
  }
  return rows;
}

async function decodedPath(image: VhdImage, index: number): Promise<{ path: string; usable: boolean }> {
  if (image.rejectedLocators.has(index)) return { path: '(refused: its data lies outside the image or is too long)', usable: false };
  const entry = image.header!.parentLocators[index]!;
  try {
    const path = decodeLocatorPath(entry.platformCode, await image.source.read(entry.platformDataOffset, entry.platformDataLength));
    return path === undefined ? { path: '(unknown platform code)', usable: false } : { path, usable: true };
  } catch (error) {
    return { path: `(not a path: ${error instanceof Error ? error.message : String(error)})`, usable: false };
  }
}

export function locatorTable(rows: readonly LocatorRow[]): HTMLElement {
  if (rows.length === 0) return h('p', { className: 'muted', data: { locators: '0' } }, 'No parent locators.');
  return h(
    'table',
    { className: 'locators', data: { locators: String(rows.length) } },
    h('caption', {}, 'Parent locators'),
    h('thead', {}, h('tr', {}, ...['#', 'platform', 'data space', 'length', 'offset', 'path'].map((title) => h('th', {}, title)))),
    h('tbody', {}, ...rows.map((row) => h(
      'tr',
      { data: { platform: row.platformCode } },
      h('td', {}, row.index),
      h('td', { className: 'code' }, row.platformCode),
      h('td', {}, row.dataSpaceBytes === row.dataSpaceStored ? `${row.dataSpaceBytes} bytes` : `${row.dataSpaceStored} sectors (${row.dataSpaceBytes} bytes)`),
      h('td', {}, row.dataLength),
      h('td', {}, row.dataOffset),
      h('td', { className: row.usable ? 'path' : 'path bad' }, row.path),
    ))),
  );
}
