import { resolve } from 'node:path';
import { firstOpenable, httpSource, isUrlName } from '@vhdkit/vhd-format';
import type { ParentResolver, RandomAccessSource, RangeTransport } from '@vhdkit/vhd-format';
import { FileSource } from './file-source.js';

/**
 * Where an image is: a file path, or an http(s) URL (a `URL`, or a string starting with `http://` or `https://`).
 * One rule for openDisk, readImageMetadata, check and the CLI, so a URL is never taken for a relative path.
 */
export type ImageLocation = string | URL;

/** Read-ahead for images over HTTP: metadata and small chain reads come in few requests (one per MiB). */
export const HTTP_READ_AHEAD_BYTES = 1024 * 1024;

const HTTP_PREFIX = /^https?:\/\//i;

/** A source this package opened, so it closes it. */
export type OpenedSource = RandomAccessSource & { close(): Promise<void> };

/** Whether `location` names an image over HTTP(S) rather than a file. */
export function isHttpLocation(location: ImageLocation): boolean {
  return location instanceof URL || HTTP_PREFIX.test(location);
}

/**
 * The node:http transport, loaded with the first request: `node:http` and `node:https` (with `net`, `tls`) cost a
 * process that only opens files, such as `vpc info image.vhd`, more than its own work.
 */
const lazyNodeHttpTransport: RangeTransport = async (request) => (await import('./node-http-transport.js')).nodeHttpTransport(request);

/** An image over HTTP(S), read-only, through node:http, with the read-ahead the chain readers want. */
export function openHttpImage(url: string | URL): Promise<OpenedSource> {
  return httpSource(url, { readAheadBytes: HTTP_READ_AHEAD_BYTES, transport: lazyNodeHttpTransport });
}

/** Opens `location` read-only: an httpSource for a URL, else a FileSource on the absolute path. */
export async function openSource(location: ImageLocation, options: { blockingReads?: boolean } = {}): Promise<OpenedSource> {
  if (isHttpLocation(location)) return openHttpImage(location);
  return FileSource.open(resolve(String(location)), options);
}

/**
 * Whether `candidate` may be fetched as the parent of the image at `childUrl`: same origin only. A locator is the
 * image's own data: `\\host\x` becomes `//host/x`, another host, and opening an image must not make this
 * process request whatever hosts the image names (internal services included).
 */
export function isSameOrigin(candidate: string, childUrl: string): boolean {
  try {
    return HTTP_PREFIX.test(candidate) && new URL(candidate).origin === new URL(childUrl).origin;
  } catch {
    return false;
  }
}

/** A URL-named child's parents: its candidates (resolved against its URL, on its server) that the server serves. */
export const httpParentResolver: ParentResolver = (child, candidates) =>
  firstOpenable((location) => (isSameOrigin(location, child.source.name) ? openHttpImage(location) : Promise.resolve(undefined)))(child, candidates);

/** Parents over HTTP for a URL-named child, else `files` (a file child's parents are files). */
export function locationParentResolver(files: ParentResolver): ParentResolver {
  return (child, candidates) => (isUrlName(child.source.name) ? httpParentResolver(child, candidates) : files(child, candidates));
}
