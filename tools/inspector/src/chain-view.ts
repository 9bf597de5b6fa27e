/** The chain at a glance: one row per image, top first. */
import { DiskType, diskTypeName, uniqueIdToString } from '@vhdkit/vhd-format';
import type { ChainLayer } from '@vhdkit/vhd-format';
import { h } from './dom.js';
import { humanBytes } from './format-values.js';

export function chainTable(layers: readonly ChainLayer[]): HTMLElement {
  return h(
    'table',
    { className: 'chain', data: { layers: String(layers.length) } },
    h('caption', {}, layers.length === 1 ? 'Image' : `Chain of ${layers.length} images (top first)`),
    h('thead', {}, h('tr', {}, ...['#', 'name', 'type', 'virtual size', 'file size', 'unique id', 'parent'].map((title) => h('th', {}, title)))),
    h('tbody', {}, ...layers.map((layer, index) => {
      const { footer, header } = layer.image;
      const parent = header && index + 1 < layers.length ? layers[index + 1]!.source.name : header?.parentUnicodeName;
      return h(
        'tr',
        { data: { layer: String(index), uniqueId: uniqueIdToString(footer.uniqueId) } },
        h('td', {}, index),
        h('td', { className: 'path' }, layer.source.name),
        h('td', {}, diskTypeName(footer.diskType) ?? `type ${footer.diskType}`),
        h('td', {}, humanBytes(footer.currentSize)),
        h('td', {}, humanBytes(layer.image.size)),
        h('td', { className: 'id' }, uniqueIdToString(footer.uniqueId)),
        h('td', { className: 'path' }, footer.diskType === DiskType.Differencing ? (parent ?? '') : '—'),
      );
    })),
  );
}
