/** Paints the allocation map into a canvas with putImageData: one write per pixel, no per-cell draw calls. */
import { BLOCK_FILL_NAMES, BlockFill } from './block-fill.js';
import { h } from './dom.js';
import { cellFills } from './map-layout.js';
import type { MapLayout } from './map-layout.js';

/** RGB of each fill (also shown in the legend; the browser test classifies pixels by them). */
export const FILL_COLORS: Record<BlockFill, readonly [number, number, number]> = {
  [BlockFill.Empty]: [226, 232, 240],
  [BlockFill.Allocated]: [147, 197, 253],
  [BlockFill.Partly]: [59, 130, 246],
  [BlockFill.Full]: [30, 58, 138],
  [BlockFill.Misplaced]: [220, 38, 38],
};

/** Cells this large get a one-pixel gap so single blocks stay distinguishable. */
const GAP_FROM_PIXELS = 6;

export function drawMap(canvas: HTMLCanvasElement, layout: MapLayout, fills: Uint8Array): void {
  const { columns, rows, cellPixels, blocksPerCell } = layout;
  canvas.width = columns * cellPixels;
  canvas.height = rows * cellPixels;
  Object.assign(canvas.dataset, { columns: String(columns), rows: String(rows), cellPixels: String(cellPixels), blocksPerCell: String(blocksPerCell) });
  const context = canvas.getContext('2d');
  if (!context) return;
  const image = context.createImageData(canvas.width, canvas.height);
  const pixels = image.data;
  const cells = cellFills(fills, blocksPerCell);
  const painted = cellPixels >= GAP_FROM_PIXELS ? cellPixels - 1 : cellPixels;
  for (let cell = 0; cell < cells.length; cell++) {
    const [red, green, blue] = FILL_COLORS[cells[cell] as BlockFill];
    const left = (cell % columns) * cellPixels;
    const top = Math.floor(cell / columns) * cellPixels;
    for (let y = top; y < top + painted; y++) {
      let at = (y * canvas.width + left) * 4;
      for (let x = 0; x < painted; x++, at += 4) {
        pixels[at] = red;
        pixels[at + 1] = green;
        pixels[at + 2] = blue;
        pixels[at + 3] = 255;
      }
    }
  }
  context.putImageData(image, 0, 0);
}

/** The legend: a swatch (a tiny canvas, since inline styles are not allowed) and the count of each fill. */
export function mapLegend(counts: Record<BlockFill, number>): HTMLElement {
  const fills = Object.values(BlockFill).filter((fill) => fill !== BlockFill.Misplaced || counts[fill] > 0);
  return h('ul', { className: 'legend' }, ...fills.map((fill) => h(
    'li',
    { data: { fill: String(fill), count: String(counts[fill]) } },
    swatch(FILL_COLORS[fill]),
    `${BLOCK_FILL_NAMES[fill]}: ${counts[fill].toLocaleString('en-US')}`,
  )));
}

function swatch([red, green, blue]: readonly [number, number, number]): HTMLCanvasElement {
  const canvas = h('canvas', { className: 'swatch' });
  canvas.width = 12;
  canvas.height = 12;
  const context = canvas.getContext('2d');
  if (context) {
    context.fillStyle = `rgb(${red} ${green} ${blue})`;
    context.fillRect(0, 0, 12, 12);
  }
  return canvas;
}
