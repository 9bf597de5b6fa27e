/** Hovering the allocation map names the blocks under the pointer, their virtual byte range and fill. */
import { BLOCK_FILL_NAMES } from './block-fill.js';
import type { BlockFill } from './block-fill.js';
import { humanBytes } from './format-values.js';
import type { MapLayout } from './map-layout.js';

/** Keeps `canvas.title` describing the cell under the pointer; `fills()` gives the latest fills. */
export function describeCellsOnHover(canvas: HTMLCanvasElement, layout: MapLayout, blockSize: number, fills: () => Uint8Array): void {
  canvas.addEventListener('mousemove', (event) => {
    const scale = canvas.width / canvas.clientWidth;
    const column = Math.floor((event.offsetX * scale) / layout.cellPixels);
    const row = Math.floor((event.offsetY * scale) / layout.cellPixels);
    const current = fills();
    const first = (row * layout.columns + column) * layout.blocksPerCell;
    if (column >= layout.columns || first >= current.length) {
      canvas.title = '';
      return;
    }
    const last = Math.min(first + layout.blocksPerCell, current.length) - 1;
    let fill = 0;
    for (let index = first; index <= last; index++) fill = Math.max(fill, current[index]!);
    const blocks = first === last ? `block ${first}` : `blocks ${first}–${last}`;
    canvas.title = `${blocks}: virtual ${humanBytes(first * blockSize)} to ${humanBytes((last + 1) * blockSize)}, ${BLOCK_FILL_NAMES[fill as BlockFill]}`;
  });
}
