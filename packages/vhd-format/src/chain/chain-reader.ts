/**
 * Reads the virtual disk of an opened chain from its sources (bytes, Blob, URL…): per block, heldRuns decides
 * which layer's sectors are used. Reads of misplaced blocks fail (BLOCK_OUT_OF_RANGE); nothing past a layer's
 * data area is ever read, and every byte returned was read from a layer or is a zero the format defines.
 */
import { DiskType } from '../constants.js';
import { VhdFormatError } from '../errors.js';
import { BlockPlacement } from '../image/block-placement.js';
import { SectorBitmap } from '../sector-bitmap.js';
import type { ReadOptions } from '../source/random-access-source.js';
import type { ChainLayer } from './open-chain.js';
import { blockStateOf, heldRuns } from './sector-holder.js';
import type { BlockState } from './sector-holder.js';

/** Bitmaps kept per layer (512 bytes each with 2 MiB blocks): the oldest is dropped first. */
const CACHED_BITMAPS_PER_LAYER = 1024;

/** Reads a chain opened by `openImageChain` over plain sources: each sector from the layer that holds it, else zeros. */
export class ChainReader {
  /** The disk's size: the top image's. */
  readonly virtualSize: number;
  private readonly layers: readonly LayerReader[];

  /** `layers` top first, as openImageChain returns them. */
  constructor(layers: readonly ChainLayer[]) {
    if (layers.length === 0) throw new RangeError('a chain has at least one image');
    this.layers = layers.map((layer) => new LayerReader(layer));
    this.virtualSize = layers[0]!.image.footer.currentSize;
  }

  /** Fills `target` with the disk's bytes from `virtualOffset`; returns the bytes read (short only at the end). */
  async read(target: Uint8Array, virtualOffset: number, options?: ReadOptions): Promise<number> {
    if (!Number.isSafeInteger(virtualOffset) || virtualOffset < 0) {
      throw new VhdFormatError('BAD_SIZE', virtualOffset, `virtual offset ${virtualOffset} is not a non-negative integer`);
    }
    const length = Math.max(0, Math.min(target.length, this.virtualSize - virtualOffset));
    if (length > 0) await this.fill(0, target.subarray(0, length), virtualOffset, options);
    return length;
  }

  /** Layer `depth`'s bytes (zeros past its end, or below the bottom). */
  private async fill(depth: number, target: Uint8Array, virtualOffset: number, options: ReadOptions | undefined): Promise<void> {
    const layer = this.layers[depth];
    if (!layer) {
      target.fill(0);
      return;
    }
    const inside = Math.max(0, Math.min(target.length, layer.virtualSize - virtualOffset));
    target.fill(0, inside);
    if (inside === 0) return;
    const part = target.subarray(0, inside);
    if (!layer.placement) {
      part.set(await layer.source.read(virtualOffset, inside, options));
      return;
    }
    const below = (bytes: Uint8Array, offset: number): Promise<void> => (layer.differencing ? this.fill(depth + 1, bytes, offset, options) : Promise.resolve(void bytes.fill(0)));
    const blockSize = layer.blockSize;
    let done = 0;
    while (done < inside) {
      const position = virtualOffset + done;
      const blockIndex = Math.floor(position / blockSize);
      const inBlock = position - blockIndex * blockSize;
      const length = Math.min(inside - done, blockSize - inBlock);
      const bitmapOffset = layer.placement.bitmapOffset(blockIndex);
      const state = bitmapOffset === undefined ? undefined : await layer.state(blockIndex, bitmapOffset, options);
      for (const run of heldRuns(state, inBlock, inBlock + length)) {
        const bytes = part.subarray(done + run.from - inBlock, done + run.to - inBlock);
        if (run.held) bytes.set(await layer.source.read(bitmapOffset! + layer.bitmapByteSize + run.from, run.to - run.from, options));
        else await below(bytes, blockIndex * blockSize + run.from);
      }
      done += length;
    }
  }
}

/** One layer's placement rules and bitmap cache. */
class LayerReader {
  readonly source: ChainLayer['source'];
  readonly virtualSize: number;
  readonly differencing: boolean;
  readonly placement: BlockPlacement | undefined;
  readonly blockSize: number;
  readonly bitmapByteSize: number;
  private readonly sectorsPerBlock: number;
  private readonly states = new Map<number, BlockState>();

  constructor(layer: ChainLayer) {
    const { image } = layer;
    this.source = layer.source;
    this.virtualSize = image.footer.currentSize;
    this.differencing = image.footer.diskType === DiskType.Differencing;
    const geometry = image.geometry;
    if (image.footer.diskType !== DiskType.Fixed && (!geometry || !image.bat)) {
      throw new VhdFormatError('NOT_DYNAMIC', 0, `${layer.source.name} was read without its block allocation table`);
    }
    this.placement = geometry ? new BlockPlacement(image) : undefined;
    this.blockSize = geometry?.blockSize ?? 0;
    this.bitmapByteSize = geometry?.bitmapByteSize ?? 0;
    this.sectorsPerBlock = geometry?.sectorsPerBlock ?? 0;
  }

  async state(blockIndex: number, bitmapOffset: number, options: ReadOptions | undefined): Promise<BlockState> {
    const cached = this.states.get(blockIndex);
    if (cached) return cached;
    const state = blockStateOf(new SectorBitmap(await this.source.read(bitmapOffset, this.bitmapByteSize, options), this.sectorsPerBlock));
    if (this.states.size >= CACHED_BITMAPS_PER_LAYER) this.states.delete(this.states.keys().next().value!);
    this.states.set(blockIndex, state);
    return state;
  }
}
