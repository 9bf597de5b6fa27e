import { realpath } from 'node:fs/promises';
import { VhdIoError, readImageMetadata } from './creation-api.js';
import type { ImageMetadata } from './creation-api.js';
import { resolveParentPath } from './resolve-parent.js';

/** The one chain depth limit is vhd-format's (creation, opening and check all apply it). */
export { MAX_CHAIN_DEPTH } from '@vhdkit/vhd-format';
import { MAX_CHAIN_DEPTH } from '@vhdkit/vhd-format';

/** The shape of a chain as far as it could be followed. */
export interface ChainShape {
  /** Images counted, `below` included, at most MAX_CHAIN_DEPTH + 1 (the walk stops there). */
  images: number;
  /** The path at which the chain came back to an image already counted. */
  loopsAt?: string;
}

/**
 * Follows the chain up from `start` (with `below`, the real paths of images already counted under it) until a
 * fixed or dynamic image, a parent that cannot be found or read (that link is reported where it is checked or
 * opened), a loop, or more than MAX_CHAIN_DEPTH images. Reads at most MAX_CHAIN_DEPTH headers, never a BAT.
 */
export async function walkChain(start: ImageMetadata, below: readonly string[] = []): Promise<ChainShape> {
  const seen = new Set(below);
  let current = start;
  for (;;) {
    const identity = await realpath(current.path).catch(() => current.path);
    if (seen.has(identity)) return { images: seen.size, loopsAt: current.path };
    seen.add(identity);
    if (seen.size > MAX_CHAIN_DEPTH || current.footer.diskType !== 4) return { images: seen.size };
    const next = await resolveParentPath(current);
    if (next.path === undefined) return { images: seen.size };
    try {
      current = await readImageMetadata(next.path, { bat: false });
    } catch {
      return { images: seen.size };
    }
  }
}

/**
 * A child adds one image to its parent's chain: refused when that chain already holds MAX_CHAIN_DEPTH images (the
 * new one could not be opened) or loops ('CHAIN_TOO_DEEP' / 'CHAIN_LOOP', reason 'parent-chain-full' / 'chain-loop').
 */
export async function requireRoomInChain(parent: ImageMetadata): Promise<void> {
  const shape = await walkChain(parent);
  if (shape.loopsAt !== undefined) {
    throw new VhdIoError('CHAIN_LOOP', `the chain comes back to ${shape.loopsAt}`, { path: parent.path, params: { reason: 'chain-loop', path: shape.loopsAt } });
  }
  if (shape.images >= MAX_CHAIN_DEPTH) {
    throw new VhdIoError('CHAIN_TOO_DEEP', `the chain of ${parent.path} already holds ${MAX_CHAIN_DEPTH} images, the most a chain may hold`, {
      path: parent.path,
      params: { reason: 'parent-chain-full', path: parent.path, maxDepth: MAX_CHAIN_DEPTH },
    });
  }
}
