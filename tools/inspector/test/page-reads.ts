/** What the test reads back from the inspector page: displayed fields and the allocation map's pixels. */
import type { Page } from 'playwright-core';
import { BlockFill } from '../src/block-fill.js';
import { FILL_COLORS } from '../src/draw-map.js';

/** Waits until the page has finished (or failed) and returns the final state. */
export async function finished(page: Page): Promise<string> {
  await page.waitForSelector('#status[data-state="done"], #status[data-state="error"]', { timeout: 110_000 });
  return (await page.getAttribute('#status', 'data-state')) ?? '';
}

/** The value cell of `field` in layer `layer`'s footer or header table. */
export async function fieldValue(page: Page, layer: number, structure: 'footer' | 'header', field: string): Promise<string> {
  return (await page.textContent(`details[data-layer="${layer}"] table[data-structure="${structure}"] tr[data-field="${field}"] td.value`))?.trim() ?? '';
}

export async function fieldNote(page: Page, layer: number, structure: 'footer' | 'header', field: string): Promise<string> {
  return (await page.textContent(`details[data-layer="${layer}"] table[data-structure="${structure}"] tr[data-field="${field}"] td.note`))?.trim() ?? '';
}

/** Unique ids of the chain table's rows, top first. */
export function chainIds(page: Page): Promise<string[]> {
  return page.$$eval('table.chain tbody tr', (rows) => rows.map((row) => (row as HTMLElement).dataset.uniqueId ?? ''));
}

/** Platform code → decoded path of layer `layer`'s locators. */
export async function locatorPaths(page: Page, layer: number): Promise<Record<string, string>> {
  const rows = await page.$$eval(`details[data-layer="${layer}"] table.locators tbody tr`, (trs) =>
    trs.map((tr) => [(tr as HTMLElement).dataset.platform ?? '', tr.querySelector('td.path')?.textContent ?? ''] as const));
  return Object.fromEntries(rows);
}

/** The legend's count of each fill for layer `layer`. */
export async function legendCounts(page: Page, layer: number): Promise<Record<number, number>> {
  const items = await page.$$eval(`details[data-layer="${layer}"] .legend li`, (lis) => lis.map((li) => [Number((li as HTMLElement).dataset.fill), Number((li as HTMLElement).dataset.count)] as const));
  return Object.fromEntries(items);
}

export interface DrawnMap {
  blocksPerCell: number;
  cellPixels: number;
  /** Painted cells of each fill, classified by the colour of their top-left pixel. */
  cells: Record<number, number>;
  /** Cells whose pixel is no fill's colour. */
  unknown: number;
}

/** Reads layer `layer`'s canvas back from the page and counts its cells by colour. */
export async function drawnMap(page: Page, layer: number): Promise<DrawnMap> {
  const colors = Object.entries(FILL_COLORS).map(([fill, rgb]) => [Number(fill), rgb] as const);
  return page.$eval(`details[data-layer="${layer}"] canvas.map`, (element, palette) => {
    const canvas = element as HTMLCanvasElement;
    const columns = Number(canvas.dataset.columns);
    const rows = Number(canvas.dataset.rows);
    const cellPixels = Number(canvas.dataset.cellPixels);
    const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    const cells: Record<number, number> = {};
    let unknown = 0;
    for (let row = 0; row < rows; row++) {
      for (let column = 0; column < columns; column++) {
        const at = (row * cellPixels * canvas.width + column * cellPixels) * 4;
        if (pixels[at + 3] === 0) continue;
        const found = palette.find(([, rgb]) => rgb[0] === pixels[at] && rgb[1] === pixels[at + 1] && rgb[2] === pixels[at + 2]);
        if (found) cells[found[0]] = (cells[found[0]] ?? 0) + 1;
        else unknown++;
      }
    }
    return { blocksPerCell: Number(canvas.dataset.blocksPerCell), cellPixels, cells, unknown };
  }, colors);
}

export { BlockFill };
