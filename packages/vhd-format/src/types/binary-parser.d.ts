/**
 * binary-parser 2.x ships types only for its CommonJS entry; under `nodenext` its ESM entry resolves
 * without them. This declares the part of the API the record codec uses.
 */
declare module 'binary-parser' {
  export interface ParserOptions {
    length?: number;
  }
  export class Parser {
    endianness(endianness: 'little' | 'big'): this;
    seek(relativeOffset: number): this;
    uint8(name: string): this;
    uint16be(name: string): this;
    uint32be(name: string): this;
    uint64be(name: string): this;
    buffer(name: string, options: ParserOptions): this;
    parse(bytes: Uint8Array): unknown;
  }
}
