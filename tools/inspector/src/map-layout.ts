/**
 * The allocation map's grid: square cells as large as fit in the canvas, down to one pixel; beyond one block
 * per pixel (a 2040 GiB disk has ~1 M blocks) each cell stands for a group of blocks and shows the most
 * written of them, so drawing costs one pass over the blocks whatever the disk's size.
 */
export interface MapLayout {
  columns: number;
  rows: number;
  cellPixels: number;
  blocksPerCell: number;
}

const CELL_SIZES = [24, 16, 12, 8, 6, 4, 3, 2, 1];

/** The grid for `blockCount` blocks in at most `maxWidth` × `maxHeight` pixels. */
export function mapLayout(blockCount: number, maxWidth: number, maxHeight: number): MapLayout {
  const cells = Math.max(blockCount, 1);
  for (const cellPixels of CELL_SIZES) {
    const columns = Math.min(cells, Math.floor(maxWidth / cellPixels));
    const rows = Math.ceil(cells / columns);
    if (rows * cellPixels <= maxHeight) return { columns, rows, cellPixels, blocksPerCell: 1 };
  }
  const blocksPerCell = Math.ceil(cells / (maxWidth * maxHeight));
  const groups = Math.ceil(cells / blocksPerCell);
  const columns = Math.min(groups, maxWidth);
  return { columns, rows: Math.ceil(groups / columns), cellPixels: 1, blocksPerCell };
}

/** The fill of each cell: the highest fill of its blocks. */
export function cellFills(fills: Uint8Array, blocksPerCell: number): Uint8Array {
  if (blocksPerCell === 1) return fills;
  const cells = new Uint8Array(Math.ceil(fills.length / blocksPerCell));
  for (let blockIndex = 0; blockIndex < fills.length; blockIndex++) {
    const cell = Math.floor(blockIndex / blocksPerCell);
    if (fills[blockIndex]! > cells[cell]!) cells[cell] = fills[blockIndex]!;
  }
  return cells;
}
