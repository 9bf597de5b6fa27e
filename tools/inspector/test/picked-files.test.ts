/** The picked-files resolver in Node (File is global there): top image choice, parent by name, then by unique id. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { sharedFixturePath, sharedFixtures } from '@vhdkit/test-support';
import { openImageChain, uniqueIdToString, VhdChainError } from '@vhdkit/vhd-format';
import { pickedChainStart } from '../src/picked-files.js';

const shared = sharedFixtures();

async function picked(file: string, name = file): Promise<File> {
  return new File([await readFile(sharedFixturePath(file))], name);
}

describe.skipIf(!shared.available)('pickedChainStart', () => {
  it('finds the renamed parent of the QEMU child by unique id, whatever order the files were picked in', async () => {
    const files = [await picked('dfvfs-image.vhd'), await picked('dfvfs-image-differential.vhd')];
    const { top, resolveParent } = await pickedChainStart(files);
    expect(top.name).toBe('dfvfs-image-differential.vhd');
    const layers = await openImageChain(top, { resolveParent });
    expect(layers.map((layer) => uniqueIdToString(layer.image.footer.uniqueId))).toEqual(['40d56d36-9ab8-4fe4-a31a-121fe2bf15eb', 'd49c5c80-350a-4a89-898a-5ad6d10f6578']);
  });

  it('prefers the file named by the locators, and the chain resolver still checks its unique id', async () => {
    // A file named like the Windows child's parent, but another image: found by name, refused by id.
    const files = [await picked('dfvfs-fat-differential.vhd'), await picked('dfvfs-ext2.vhd', 'fat-parent.vhd')];
    const { top, resolveParent } = await pickedChainStart(files);
    expect(top.name).toBe('dfvfs-fat-differential.vhd');
    const failure = await openImageChain(top, { resolveParent }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(VhdChainError);
    expect((failure as VhdChainError).code).toBe('PARENT_MISMATCH');
  });

  it('leaves the parent unresolved when no picked file is it', async () => {
    const { top, resolveParent } = await pickedChainStart([await picked('dfvfs-fat-differential.vhd')]);
    const failure = await openImageChain(top, { resolveParent }).catch((error: unknown) => error);
    expect((failure as VhdChainError).code).toBe('PARENT_NOT_FOUND');
  });

  it('takes a file that is not a VHD as the top image, for the page to show its error', async () => {
    const notVhd = new File(['not a disk'], 'notes.txt');
    const { top } = await pickedChainStart([notVhd]);
    expect(top.name).toBe('notes.txt');
  });
});
