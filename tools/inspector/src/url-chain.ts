/** A chain from a URL: the child over HTTP Range requests, parents at the URLs its relative locators name. */
import { firstOpenable, httpSource } from '@vhdkit/vhd-format';
import type { ParentResolver, RandomAccessSource } from '@vhdkit/vhd-format';

export interface UrlChainStart {
  top: RandomAccessSource;
  resolveParent: ParentResolver;
}

/** Opens `location` (absolute, or relative to the page) and a resolver that opens candidate URLs the same way. */
export async function urlChainStart(location: string): Promise<UrlChainStart> {
  const url = new URL(location, document.baseURI).href;
  const top = await httpSource(url);
  return { top, resolveParent: firstOpenable((candidate) => httpSource(candidate)) };
}
