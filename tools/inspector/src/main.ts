/**
 * The inspector page: open an image (and its parents) from picked files or a URL, then show the chain, every
 * field, the locators, the check report and the allocation maps. Only @vhdkit/vhd-format reads the bytes.
 */
import { checkImage, openImageChain, readImage } from '@vhdkit/vhd-format';
import type { ChainLayer, ParentResolver, RandomAccessSource } from '@vhdkit/vhd-format';
import { chainTable } from './chain-view.js';
import { checkReport } from './check-view.js';
import { byId, clear, h } from './dom.js';
import { errorBox } from './error-box.js';
import { milliseconds } from './format-values.js';
import { layerSection } from './layer-view.js';
import { pickedChainStart } from './picked-files.js';
import { urlChainStart } from './url-chain.js';

interface ChainStart {
  top: RandomAccessSource;
  resolveParent: ParentResolver;
}

const status = byId('status', HTMLElement);
const output = byId('output', HTMLElement);
/** Each open bumps it; work of an older open stops drawing once a newer one starts. */
let generation = 0;
/** Cancels the bitmap reads of the previous open and closes its sources (HTTP connections). */
let releasePrevious: () => void = () => {};

byId('file-input', HTMLInputElement).addEventListener('change', (event) => {
  const files = [...((event.target as HTMLInputElement).files ?? [])];
  if (files.length > 0) void inspect(`${files.length} picked file${files.length === 1 ? '' : 's'}`, () => pickedChainStart(files));
});

byId('url-form', HTMLFormElement).addEventListener('submit', (event) => {
  event.preventDefault();
  const location = byId('url-input', HTMLInputElement).value.trim();
  if (location) void inspect(location, () => urlChainStart(location));
});

const linked = new URLSearchParams(location.search).get('url');
if (linked) {
  byId('url-input', HTMLInputElement).value = linked;
  void inspect(linked, () => urlChainStart(linked));
}

async function inspect(what: string, start: () => Promise<ChainStart>): Promise<void> {
  const mine = ++generation;
  const current = (): boolean => mine === generation;
  releasePrevious();
  const cancel = new AbortController();
  const sources: RandomAccessSource[] = [];
  releasePrevious = () => {
    cancel.abort();
    for (const source of sources) void source.close?.().catch(() => undefined);
  };
  setStatus('opening', `Opening ${what}…`);
  clear(output);
  try {
    const { top, resolveParent } = await start();
    sources.push(top);
    const opened = await openChain(top, resolveParent);
    sources.push(...opened.layers.slice(1).map((layer) => layer.source));
    if (!current()) return;
    output.append(
      h('p', { className: 'timing', data: { openMs: String(opened.openMs) } }, `Metadata (footer, header, locators, BAT${opened.layers.length > 1 ? ' of every image' : ''}) opened in ${milliseconds(opened.openMs)}.`),
      chainTable(opened.layers),
    );
    if (opened.chainError) output.append(errorBox('The chain could not be opened; showing the top image alone.', opened.chainError));
    const checkSection = h('section', { className: 'check-section' }, h('h2', {}, 'Check'), h('p', { className: 'muted' }, 'Checking…'));
    output.append(checkSection);
    const maps: Promise<void>[] = [];
    for (const [index, layer] of opened.layers.entries()) {
      const { section, mapDone } = await layerSection(layer, index, cancel.signal);
      if (!current()) return;
      output.append(section);
      maps.push(mapDone);
    }
    const check = await checkImage(top, { resolveParent, signal: cancel.signal });
    if (!current()) return;
    checkSection.replaceChildren(h('h2', {}, 'Check'), checkReport(check));
    await Promise.all(maps);
    if (current()) setStatus('done', `Opened ${top.name}.`);
  } catch (error) {
    if (!current()) return;
    output.append(errorBox(`Could not inspect ${what}.`, error));
    setStatus('error', 'Failed.');
  }
}

interface OpenedChain {
  layers: ChainLayer[];
  openMs: number;
  chainError?: unknown;
}

/** The whole chain, or the top image alone when a parent is missing or wrong (the error is shown too). */
async function openChain(top: RandomAccessSource, resolveParent: ParentResolver): Promise<OpenedChain> {
  const started = performance.now();
  try {
    // A changed parent is reported by the check; the inspector still shows the chain.
    const layers = await openImageChain(top, { resolveParent, timestampMismatch: 'accept' });
    return { layers, openMs: performance.now() - started };
  } catch (chainError) {
    const image = await readImage(top);
    return { layers: [{ source: top, image, warnings: image.problems.map((problem) => problem.message) }], openMs: performance.now() - started, chainError };
  }
}

function setStatus(state: 'opening' | 'done' | 'error', text: string): void {
  status.dataset.state = state;
  status.textContent = text;
}
