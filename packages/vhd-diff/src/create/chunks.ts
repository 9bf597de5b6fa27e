/**
 * A new image file described as pieces at fixed offsets; everything between them is zero. `imageChunks` turns that
 * description into the file's bytes, in order, in chunks of at most CHUNK_BYTES, so memory stays flat whatever the
 * image size (a 2040 GiB image has a 4 MiB BAT).
 */

export const CHUNK_BYTES = 64 * 1024;

export type ImagePiece =
  | { offset: number; bytes: Uint8Array }
  /** A run of one repeated byte, such as an unused BAT (every entry 0xFFFFFFFF, padding 0xFF). */
  | { offset: number; length: number; fillByte: 0x00 | 0xff };

/** Shared, never-modified sources for zero gaps and 0xFF runs: chunks are views of these, not copies. */
const ZEROS = new Uint8Array(CHUNK_BYTES);
const ONES = new Uint8Array(CHUNK_BYTES).fill(0xff);

export function pieceLength(piece: ImagePiece): number {
  return 'bytes' in piece ? piece.bytes.length : piece.length;
}

/** Pieces must be sorted, non-overlapping and inside [startOffset, endOffset). */
export function checkPieces(pieces: readonly ImagePiece[], startOffset: number, endOffset: number): string | undefined {
  let position = startOffset;
  for (const piece of pieces) {
    if (piece.offset < position) return `a region at offset ${piece.offset} overlaps the one before (ends at ${position})`;
    position = piece.offset + pieceLength(piece);
  }
  return position > endOffset ? `regions end at ${position}, beyond the file end ${endOffset}` : undefined;
}

/** The bytes from `startOffset` to `endOffset`, pieces in place and zeros between. */
export function* imageChunks(pieces: readonly ImagePiece[], startOffset: number, endOffset: number): Generator<Uint8Array> {
  let position = startOffset;
  for (const piece of pieces) {
    yield* repeated(ZEROS, piece.offset - position);
    if ('bytes' in piece) {
      for (let start = 0; start < piece.bytes.length; start += CHUNK_BYTES) {
        yield piece.bytes.subarray(start, start + CHUNK_BYTES);
      }
    } else {
      yield* repeated(piece.fillByte === 0xff ? ONES : ZEROS, piece.length);
    }
    position = piece.offset + pieceLength(piece);
  }
  yield* repeated(ZEROS, endOffset - position);
}

function* repeated(source: Uint8Array, length: number): Generator<Uint8Array> {
  for (let remaining = length; remaining > 0; remaining -= CHUNK_BYTES) {
    yield source.subarray(0, Math.min(remaining, CHUNK_BYTES));
  }
}
