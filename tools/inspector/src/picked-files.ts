/**
 * A chain from files the user picked (a file picker gives files, not folders): which picked file is the top
 * image, and a parent resolver over the others — by the candidate's file name first (what a child's locators
 * and parent name say), then by unique id (a parent renamed since the child was made, e.g. `image.vhd` saved as
 * `dfvfs-image.vhd`), always checked by the chain resolver afterwards.
 */
import { blobSource, pickedSources, readImage, uniqueIdsEqual } from '@vhdkit/vhd-format';
import type { ParentResolver, RandomAccessSource } from '@vhdkit/vhd-format';

/** What a picked file says about itself, read from its footer and header only. */
interface PickedIdentity {
  source: RandomAccessSource;
  uniqueId?: Uint8Array;
  parentUniqueId?: Uint8Array;
}

export interface PickedChainStart {
  top: RandomAccessSource;
  resolveParent: ParentResolver;
}

/** The top image of `files` (the one no other picked file names as its parent) and a resolver over the rest. */
export async function pickedChainStart(files: readonly File[]): Promise<PickedChainStart> {
  const sources = files.map((file) => blobSource(file));
  const identities = await Promise.all(sources.map(identify));
  const top = identities.find((candidate) => !identities.some((other) => other !== candidate && namesAsParent(other, candidate))) ?? identities[0]!;
  return { top: top.source, resolveParent: byNameThenId(sources, identities) };
}

async function identify(source: RandomAccessSource): Promise<PickedIdentity> {
  try {
    const image = await readImage(source, { bat: false });
    return { source, uniqueId: image.footer.uniqueId, parentUniqueId: image.header?.parentUniqueId };
  } catch {
    // Not a readable VHD: it can still be the top image, whose error the page then shows.
    return { source };
  }
}

function namesAsParent(child: PickedIdentity, parent: PickedIdentity): boolean {
  return child.parentUniqueId !== undefined && parent.uniqueId !== undefined && uniqueIdsEqual(child.parentUniqueId, parent.uniqueId);
}

function byNameThenId(sources: readonly RandomAccessSource[], identities: readonly PickedIdentity[]): ParentResolver {
  const byName = pickedSources(sources);
  return async (child, candidates) => {
    const named = await byName(child, candidates);
    if (named) return named;
    const wanted = child.image.header?.parentUniqueId;
    if (wanted === undefined) return undefined;
    return identities.find((identity) => identity.source !== child.source && identity.uniqueId !== undefined && uniqueIdsEqual(identity.uniqueId, wanted))?.source;
  };
}
