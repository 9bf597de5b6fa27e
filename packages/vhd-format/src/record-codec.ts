/**
 * Pairs a field table with its decoder (binary-parser, compiled at build time into src/generated) and an encoder
 * (DataView), so each offset is written exactly once, in field-tables.ts.
 */
import { copyBytes, decodeLatin1, decodeUtf16, encodeLatin1, encodeUtf16, stripTrailingNuls } from './bytes.js';
import { VhdFormatError } from './errors.js';
import type { FieldKind, FieldSpec, FieldTable } from './field-tables.js';

type ValueOfKind<K extends FieldKind> = K extends 'u64'
  ? bigint
  : K extends 'bytes'
    ? Uint8Array
    : K extends 'latin1' | 'utf16be'
      ? string
      : number;

/** The raw values of a table's fields: numbers, bigints, byte copies and strings. */
export type RawRecord<T extends FieldTable> = { -readonly [K in keyof T]: ValueOfKind<T[K]['kind']> };

export interface RecordCodec<T extends FieldTable> {
  readonly table: T;
  readonly byteSize: number;
  /** `bytes` must hold at least `byteSize` bytes (callers check and report TRUNCATED first). */
  decode(bytes: Uint8Array): RawRecord<T>;
  /** Writes every field of `values` into `target` at `baseOffset`; throws VhdFormatError when a value does not fit. */
  encodeInto(values: RawRecord<T>, target: Uint8Array, baseOffset?: number): void;
}

const FIXED_KIND_SIZES: Partial<Record<FieldKind, number>> = { u8: 1, u16: 2, u32: 4, u64: 8 };

/** The table's fields, which must be listed in offset order without overlaps. */
function orderedFields(table: FieldTable): [string, FieldSpec][] {
  const fields = Object.entries(table);
  let end = 0;
  for (const [name, spec] of fields) {
    // A broken table is a programming error: fail at module load, not on some user's image.
    if (spec.offset < end) throw new Error(`field table out of order or overlapping at ${name}`);
    const fixedSize = FIXED_KIND_SIZES[spec.kind];
    if (fixedSize !== undefined && fixedSize !== spec.size) throw new Error(`field ${name}: size ${spec.size} does not fit kind ${spec.kind}`);
    end = spec.offset + spec.size;
  }
  return fields;
}

function fieldError(name: string, spec: FieldSpec, baseOffset: number, detail: string): VhdFormatError {
  return new VhdFormatError(spec.code ?? 'BAD_SIZE', baseOffset + spec.offset, `field ${name}: ${detail}`);
}

function writeField(view: DataView, target: Uint8Array, name: string, spec: FieldSpec, value: unknown, baseOffset: number): void {
  const at = baseOffset + spec.offset;
  switch (spec.kind) {
    case 'u8':
    case 'u16':
    case 'u32': {
      const max = 2 ** (8 * spec.size) - 1;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
        throw fieldError(name, spec, baseOffset, `${String(value)} is not an integer in 0..${max}`);
      }
      if (spec.kind === 'u8') view.setUint8(at, value);
      else if (spec.kind === 'u16') view.setUint16(at, value);
      else view.setUint32(at, value);
      return;
    }
    case 'u64':
      if (typeof value !== 'bigint' || value < 0n || value > 0xffffffffffffffffn) {
        throw fieldError(name, spec, baseOffset, `${String(value)} is not a 64-bit unsigned value`);
      }
      view.setBigUint64(at, value);
      return;
    case 'bytes':
      if (!(value instanceof Uint8Array) || value.length !== spec.size) {
        throw fieldError(name, spec, baseOffset, `expected ${spec.size} bytes`);
      }
      target.set(value, at);
      return;
    case 'latin1':
    case 'utf16be': {
      if (typeof value !== 'string') throw fieldError(name, spec, baseOffset, 'expected a string');
      const encoded = spec.kind === 'latin1' ? encodeLatin1(value) : encodeUtf16(value, false);
      if (encoded === undefined) throw fieldError(name, spec, baseOffset, `${JSON.stringify(value)} has characters beyond latin1`);
      if (encoded.length > spec.size) throw fieldError(name, spec, baseOffset, `text longer than ${spec.size} bytes`);
      // Shorter text is NUL-padded, as every writer does.
      target.fill(0, at, at + spec.size);
      target.set(encoded, at);
      return;
    }
  }
}

/** Reads a table's fields by name; generated from the same table by scripts/generate-decoders.mjs. */
export type FieldDecoder = (bytes: Uint8Array) => Record<string, unknown>;

export function recordCodec<T extends FieldTable>(table: T, decodeFields: FieldDecoder): RecordCodec<T> {
  const fields = orderedFields(table);
  const last = fields[fields.length - 1];
  const byteSize = last ? last[1].offset + last[1].size : 0;

  return {
    table,
    byteSize,
    decode(bytes) {
      const parsed = decodeFields(bytes);
      const record: Record<string, unknown> = {};
      for (const [name, spec] of fields) {
        const value = parsed[name];
        if (spec.kind === 'bytes') record[name] = copyBytes(value as Uint8Array);
        else if (spec.kind === 'latin1') record[name] = decodeLatin1(value as Uint8Array);
        else if (spec.kind === 'utf16be') record[name] = stripTrailingNuls(decodeUtf16(value as Uint8Array, false));
        else record[name] = value;
      }
      return record as RawRecord<T>;
    },
    encodeInto(values, target, baseOffset = 0) {
      const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
      for (const [name, spec] of fields) writeField(view, target, name, spec, (values as Record<string, unknown>)[name], baseOffset);
    },
  };
}
