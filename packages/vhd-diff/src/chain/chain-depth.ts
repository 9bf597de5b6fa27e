import { MAX_CHAIN_DEPTH, VhdChainError, openImageChain, readImage } from '@vhdkit/vhd-format';
import type { ChainLayer } from '@vhdkit/vhd-format';
import { VhdIoError } from '../errors.js';
import type { ImageMetadata } from '../metadata.js';
import { fileParentResolver } from './resolve-parent.js';
import { locationParentResolver, openSource } from '../source-location.js';

/** The one chain depth limit is vhd-format's (creation, opening and check all apply it). */
export { MAX_CHAIN_DEPTH } from '@vhdkit/vhd-format';

/**
 * A child adds one image to its parent's chain: refused when that chain already holds MAX_CHAIN_DEPTH images (the
 * new one could not be opened) or loops ('CHAIN_TOO_DEEP' / 'CHAIN_LOOP', reason 'parent-chain-full' / 'chain-loop').
 * The chain is followed by the one resolver every open uses, reading headers only; a link that is broken in another
 * way (a parent missing or not matching) ends the count there: it is reported where the chain is opened or checked.
 */
export async function requireRoomInChain(parent: ImageMetadata): Promise<void> {
  const top = await openSource(parent.path);
  let layers: ChainLayer[] = [];
  try {
    layers = await openImageChain(top, {
      resolveParent: locationParentResolver(fileParentResolver()),
      timestampMismatch: 'accept',
      maxDepth: MAX_CHAIN_DEPTH - 1,
      read: (source) => readImage(source, { bat: false }),
    });
  } catch (error) {
    if (!(error instanceof VhdChainError)) return;
    if (error.code === 'CHAIN_LOOP') {
      const loopsAt = String(error.facts.path ?? error.childName);
      throw new VhdIoError('CHAIN_LOOP', `the chain comes back to ${loopsAt}`, { path: parent.path, params: { reason: 'chain-loop', path: loopsAt } });
    }
    if (error.code === 'CHAIN_TOO_DEEP') {
      throw new VhdIoError('CHAIN_TOO_DEEP', `the chain of ${parent.path} already holds ${MAX_CHAIN_DEPTH} images, the most a chain may hold`, {
        path: parent.path,
        params: { reason: 'parent-chain-full', path: parent.path, maxDepth: MAX_CHAIN_DEPTH },
      });
    }
  } finally {
    await Promise.allSettled([top, ...layers.slice(1).map((layer) => layer.source)].map((source) => source.close?.()));
  }
}
