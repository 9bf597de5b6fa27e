/** One image of the chain in full: footer, header, locators, warnings and the allocation map. */
import type { ChainLayer } from '@vhdkit/vhd-format';
import { readBlockFills, countFills } from './block-fill.js';
import { imageChecksums } from './checksums.js';
import { fieldTable, h } from './dom.js';
import { drawMap, mapLegend } from './draw-map.js';
import { errorBox } from './error-box.js';
import { humanBytes } from './format-values.js';
import { footerRows, headerRows } from './image-fields.js';
import { locatorRows, locatorTable } from './locator-rows.js';
import { describeCellsOnHover } from './map-hover.js';
import { mapLayout } from './map-layout.js';

const MAP_WIDTH = 960;
const MAP_HEIGHT = 384;

/** The layer's section, and a promise that settles when its allocation map is complete (it draws as it reads). */
export async function layerSection(layer: ChainLayer, index: number, signal?: AbortSignal): Promise<{ section: HTMLElement; mapDone: Promise<void> }> {
  const { image } = layer;
  const checksums = await imageChecksums(image);
  const section = h(
    'details',
    { className: 'layer', data: { layer: String(index) } },
    h('summary', {}, `#${index} ${layer.source.name}`),
    h('div', { className: 'columns' },
      fieldTable(`Footer (at offset ${image.footerOffset ?? 0}${image.footerLocation === 'copy' ? ', the copy: the trailing one is damaged' : ''})`, footerRows(image.footer, checksums.footer), { structure: 'footer' }),
      image.header && fieldTable(`Dynamic header (at offset ${image.headerOffset})`, headerRows(image.header, checksums.header), { structure: 'header' }),
    ),
  );
  if (index === 0) section.open = true;
  if (image.header) section.append(locatorTable(await locatorRows(image)));
  if (layer.warnings.length > 0) section.append(h('ul', { className: 'warnings' }, ...layer.warnings.map((warning) => h('li', {}, warning))));
  const { figure, done } = allocationMap(layer, signal);
  section.append(figure);
  return { section, mapDone: done };
}

function allocationMap(layer: ChainLayer, signal?: AbortSignal): { figure: HTMLElement; done: Promise<void> } {
  const { image } = layer;
  const figure = h('figure', { className: 'allocation' });
  if (!image.geometry) {
    figure.append(h('figcaption', {}, 'Fixed disk: every sector is stored in the file, in order (no allocation table).'));
    return { figure, done: Promise.resolve() };
  }
  const blockCount = Math.min(image.bat!.length, Math.ceil(image.footer.currentSize / image.geometry.blockSize));
  const layout = mapLayout(blockCount, MAP_WIDTH, MAP_HEIGHT);
  const canvas = h('canvas', { className: 'map', data: { state: 'reading' } });
  const caption = h('figcaption', {}, `Block allocation map: ${blockCount.toLocaleString('en-US')} blocks of ${humanBytes(image.geometry.blockSize)}` +
    (layout.blocksPerCell > 1 ? `, one pixel per ${layout.blocksPerCell} blocks (showing the most written)` : ''));
  const legend = h('div', {});
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `allocation map of ${blockCount} blocks; the legend below counts each kind`);
  figure.append(caption, canvas, legend);
  let latest: Uint8Array = new Uint8Array(0);
  describeCellsOnHover(canvas, layout, image.geometry.blockSize, () => latest);
  const draw = (fills: Uint8Array): void => {
    latest = fills;
    drawMap(canvas, layout, fills);
  };
  const done = readBlockFills(image, { onProgress: draw, signal }).then((fills) => {
    if (fills) {
      draw(fills);
      legend.replaceChildren(mapLegend(countFills(fills)));
    }
    canvas.dataset.state = 'done';
  }).catch((error: unknown) => {
    // The rest of the page stays useful: the map shows what it read, and why it stopped.
    canvas.dataset.state = 'failed';
    figure.append(errorBox('The allocation map could not be read completely.', error));
  });
  return { figure, done };
}
