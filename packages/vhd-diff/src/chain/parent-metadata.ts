import { VhdFormatError, VhdSourceError } from '@vhdkit/vhd-format';
import { VhdIoError, readImageMetadata } from './creation-api.js';
import type { ImageMetadata } from './creation-api.js';

/**
 * Reads the metadata of a parent found through a child's locators or name. That file was not named by the caller
 * and may be anything (a locator `..\..\etc\passwd` reaches a system file), so when it is not a valid VHD the error
 * names the path and what kind of damage, never the decoder's message (which quotes the bytes it found, such as a
 * cookie) nor that error as a cause. Failures that quote nothing (I/O, not a regular file) pass through unchanged.
 */
export async function readParentMetadata(parentPath: string, childPath: string, options: { bat: boolean }): Promise<ImageMetadata> {
  try {
    return await readImageMetadata(parentPath, options);
  } catch (error) {
    // A server that failed (status, network, changed file) says nothing about the bytes: its own typed error.
    if (error instanceof VhdSourceError) throw error;
    if (error instanceof VhdIoError && error.code !== 'NOT_A_VHD' && error.code !== 'CORRUPT') throw error;
    if (error instanceof VhdIoError && error.params?.reason === 'not-a-file') throw error;
    const cause = error instanceof VhdIoError ? error.cause : error;
    const damage = cause instanceof VhdFormatError ? cause.code : error instanceof VhdIoError ? (error.params?.reason ?? error.code) : 'UNREADABLE';
    throw new VhdIoError('NOT_A_VHD', `${parentPath}, the parent ${childPath} names, is not a valid VHD (${damage})`, {
      path: parentPath,
      params: { reason: 'parent-not-a-vhd', path: parentPath, childPath, damage },
    });
  }
}
