/**
 * The one chain resolver: from a top image, each differencing child's parent is found through a pluggable resolver
 * (files, URLs, a picker's files…), then checked: unique id equal to the one the child records, modification time
 * equal to the recorded one (0 = not recorded), no image twice, at most MAX_CHAIN_DEPTH images.
 */
import { DiskType } from '../constants.js';
import { readImage } from '../image/read-image.js';
import type { VhdImage } from '../image/read-image.js';
import type { RandomAccessSource } from '../source/random-access-source.js';
import { vhdSecondsOfModifiedTime } from '../timestamp.js';
import { uniqueIdToString, uniqueIdsEqual } from '../unique-id.js';
import { VhdChainError } from './chain-error.js';
import { MAX_CHAIN_DEPTH } from './depth-limit.js';
import { parentCandidates } from './parent-candidates.js';
import type { ParentCandidate } from './parent-candidates.js';

/**
 * Opens the parent of `child` from the first candidate that exists, or returns undefined when none does. Sources
 * it returns belong to the chain (closed with it). `candidates` is empty when the child names no usable place.
 */
export type ParentResolver = (child: ChainLayer, candidates: readonly ParentCandidate[]) => Promise<RandomAccessSource | undefined>;

/** One opened image of a chain. */
export interface ChainLayer {
  source: RandomAccessSource;
  image: VhdImage;
  /** Recoverable oddities: the image's problems and the chain's own (an accepted timestamp mismatch…). */
  warnings: string[];
}

/** How `openImageChain` finds parents and what it tolerates (timestamps, depth). */
export interface OpenImageChainOptions {
  resolveParent: ParentResolver;
  /** 'error' (default) refuses a parent whose modification time differs from the recorded one; 'accept' warns. */
  timestampMismatch?: 'error' | 'accept';
  /** Most images, the top one included: 1..MAX_CHAIN_DEPTH (default MAX_CHAIN_DEPTH). */
  maxDepth?: number;
  /** How each image is read (default: readImage leniently, BAT included). */
  read?: (source: RandomAccessSource) => Promise<VhdImage>;
  signal?: AbortSignal;
}

/** Opens `top` and every parent below it, top first. On failure, closes the sources the resolver opened. */
export async function openImageChain(top: RandomAccessSource, options: OpenImageChainOptions): Promise<ChainLayer[]> {
  const maxDepth = options.maxDepth ?? MAX_CHAIN_DEPTH;
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 1 || maxDepth > MAX_CHAIN_DEPTH) {
    throw new RangeError(`maxDepth must be an integer from 1 to ${MAX_CHAIN_DEPTH}, got ${maxDepth}`);
  }
  const read = options.read ?? ((source: RandomAccessSource) => readImage(source, { signal: options.signal }));
  const layers: ChainLayer[] = [];
  const opened: RandomAccessSource[] = [];
  try {
    let layer = toLayer(top, await read(top));
    layers.push(layer);
    while (layer.image.footer.diskType === DiskType.Differencing) {
      if (layers.length >= maxDepth) {
        throw new VhdChainError('CHAIN_TOO_DEEP', top.name, `the chain has more than ${maxDepth} images`, { reason: 'chain-too-deep', maxDepth });
      }
      const candidates = parentCandidates(layer.image, layer.source.name);
      const parentSource = await options.resolveParent(layer, candidates);
      if (parentSource === undefined) throw parentNotFound(layer, candidates);
      opened.push(parentSource);
      const parent = toLayer(parentSource, await read(parentSource));
      checkParent(layer, parent, layers, options.timestampMismatch ?? 'error');
      layers.push(parent);
      layer = parent;
    }
    return layers;
  } catch (error) {
    await Promise.allSettled(opened.map((source) => source.close?.()));
    throw error;
  }
}

function toLayer(source: RandomAccessSource, image: VhdImage): ChainLayer {
  return { source, image, warnings: image.problems.map((problem) => `${source.name}: ${problem.message}`) };
}

function parentNotFound(child: ChainLayer, candidates: readonly ParentCandidate[]): VhdChainError {
  const name = child.image.header?.parentUnicodeName ?? '';
  const tried = candidates.map((candidate) => candidate.location).join(', ');
  return new VhdChainError('PARENT_NOT_FOUND', child.source.name, `parent '${name}' not found (tried: ${tried || 'no usable locator'})`, { reason: 'parent-not-found', name, tried });
}

/** Unique id, loop, size and timestamp checks of `parent` as the parent of `child`. */
function checkParent(child: ChainLayer, parent: ChainLayer, below: readonly ChainLayer[], timestampPolicy: 'error' | 'accept'): void {
  const header = child.image.header!;
  const childName = child.source.name;
  const parentName = parent.source.name;
  const parentId = parent.image.footer.uniqueId;
  if (below.some((layer) => uniqueIdsEqual(layer.image.footer.uniqueId, parentId))) {
    throw new VhdChainError('CHAIN_LOOP', childName, `the chain comes back to ${parentName}`, { reason: 'chain-loop', path: parentName });
  }
  if (!uniqueIdsEqual(parentId, header.parentUniqueId)) {
    const facts = { reason: 'parent-id', parentPath: parentName, parentId: uniqueIdToString(parentId), childPath: childName, expectedId: uniqueIdToString(header.parentUniqueId) };
    throw new VhdChainError('PARENT_MISMATCH', childName, `${parentName} has unique id ${facts.parentId} but ${childName} expects its parent to be ${facts.expectedId}`, facts);
  }
  if (parent.image.footer.currentSize !== child.image.footer.currentSize) {
    child.warnings.push(`${childName}: parent ${parentName} is ${parent.image.footer.currentSize} bytes, the child ${child.image.footer.currentSize}`);
  }
  const mismatch = timestampMismatch(header.parentTimestamp, parent.source.modifiedTime);
  if (mismatch === undefined) return;
  if (timestampPolicy === 'accept') {
    child.warnings.push(`${childName}: ${mismatch.message}; accepted`);
    return;
  }
  throw new VhdChainError('PARENT_TIMESTAMP_MISMATCH', childName, `${mismatch.message} (${parentName})`, {
    reason: 'parent-timestamp', parentPath: parentName, recorded: header.parentTimestamp, actual: mismatch.actual,
  });
}

/**
 * A message when the parent time recorded in a child (VHD seconds) and the parent's modification time differ.
 * 0 means not recorded (Windows 10 diskpart writes 0); a source that cannot tell its time is not compared.
 */
export function timestampMismatch(recordedVhdSeconds: number, parentModified: Date | undefined): { message: string; actual: number } | undefined {
  if (recordedVhdSeconds === 0 || parentModified === undefined) return undefined;
  const actual = vhdSecondsOfModifiedTime(parentModified);
  if (actual === recordedVhdSeconds) return undefined;
  return { actual, message: `parent timestamp ${recordedVhdSeconds} recorded in the child differs from the parent's modification time ${actual} (VHD seconds)` };
}

/**
 * A resolver that tries the candidates in order with `open` (which returns undefined, or rejects, when nothing is
 * there) and takes the first source it gets: e.g. `firstOpenable((url) => httpSource(url))` for a chain on a server.
 */
export function firstOpenable(open: (location: string) => Promise<RandomAccessSource | undefined>): ParentResolver {
  return async (_child, candidates) => {
    for (const candidate of candidates) {
      const source = await open(candidate.location).catch(() => undefined);
      if (source) return source;
    }
    return undefined;
  };
}

/**
 * A resolver over sources the user already picked (a browser's file picker has no folders): the parent is the
 * picked source whose name's last component equals a candidate's last component.
 */
export function pickedSources(sources: readonly RandomAccessSource[]): ParentResolver {
  return (_child, candidates) => {
    for (const candidate of candidates) {
      const found = sources.find((source) => lastPart(source.name) === lastPart(candidate.location));
      if (found) return Promise.resolve(found);
    }
    return Promise.resolve(undefined);
  };
}

function lastPart(name: string): string {
  return name.split(/[\\/]/).at(-1) ?? name;
}
