/**
 * An in-memory model of a VHD chain, written straight from the specification's rules
 * (docs/format.md#bat-and-blocks): per sector, a layer either holds the bytes itself or shows the layer below;
 * the bottom (dynamic) layer shows zeros where it holds nothing.
 */
export class ChainModel {
  readonly sizeBytes: number;
  /** Bottom first. */
  readonly layers: { data: Uint8Array; owned: Uint8Array }[] = [];

  constructor(sizeBytes: number, layerCount: number) {
    this.sizeBytes = sizeBytes;
    for (let index = 0; index < layerCount; index++) this.addLayer();
  }

  addLayer(): void {
    this.layers.push({ data: new Uint8Array(this.sizeBytes), owned: new Uint8Array(Math.ceil(this.sizeBytes / 512)) });
  }

  /** The virtual disk seen through layer `top` (0 = bottom): each layer's own sectors laid over the ones below. */
  view(top: number): Uint8Array {
    const result = new Uint8Array(this.sizeBytes);
    for (let layer = 0; layer <= top; layer++) {
      const { data, owned } = this.layers[layer]!;
      for (let sector = 0; sector < owned.length; ) {
        if (!owned[sector]) {
          sector++;
          continue;
        }
        let end = sector + 1;
        while (end < owned.length && owned[end]) end++;
        result.set(data.subarray(sector * 512, Math.min(end * 512, this.sizeBytes)), sector * 512);
        sector = end;
      }
    }
    return result;
  }

  /** A write to layer `index`: touched sectors become its own, their other bytes kept as they were seen. */
  write(index: number, offset: number, bytes: Uint8Array): void {
    const layer = this.layers[index]!;
    const seen = this.view(index);
    const first = Math.floor(offset / 512);
    const end = Math.ceil((offset + bytes.length) / 512);
    for (let sector = first; sector < end; sector++) {
      if (!layer.owned[sector]) {
        layer.data.set(seen.subarray(sector * 512, (sector + 1) * 512), sector * 512);
        layer.owned[sector] = 1;
      }
    }
    layer.data.set(bytes, offset);
  }

  /** Merge of layer `index` into the one below: its own sectors move down; the layer disappears. */
  mergeDown(index: number): void {
    const child = this.layers[index]!;
    const parent = this.layers[index - 1]!;
    for (let sector = 0; sector < child.owned.length; sector++) {
      if (!child.owned[sector]) continue;
      parent.data.set(child.data.subarray(sector * 512, (sector + 1) * 512), sector * 512);
      parent.owned[sector] = 1;
    }
    this.layers.splice(index, 1);
  }

  /** Which layers own `sector` (for diagnosing mismatches). */
  owners(sector: number): number[] {
    return this.layers.flatMap((layer, index) => (layer.owned[sector] ? [index] : []));
  }
}

/** A Buffer over the same memory (Buffer.from(typedArray) would copy). */
function bufferView(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Offset of the first differing byte, or -1. */
export function firstDifference(actual: Uint8Array, expected: Uint8Array): number {
  const length = Math.max(actual.length, expected.length);
  if (actual.length === expected.length && bufferView(actual).equals(bufferView(expected))) return -1;
  for (let index = 0; index < length; index++) if (actual[index] !== expected[index]) return index;
  return -1;
}
