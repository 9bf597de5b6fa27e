/** Whether the stored footer and header checksums match their bytes (read again: the reader keeps values, not bytes). */
import { computeChecksum, DYNAMIC_HEADER_FIELDS, DYNAMIC_HEADER_SIZE, FOOTER_FIELDS, FOOTER_SIZE } from '@vhdkit/vhd-format';
import type { VhdImage } from '@vhdkit/vhd-format';

export interface ChecksumState {
  stored: number;
  computed: number;
  valid: boolean;
}

export interface ImageChecksums {
  footer: ChecksumState;
  header?: ChecksumState;
}

export async function imageChecksums(image: VhdImage): Promise<ImageChecksums> {
  const footerAt = image.footerOffset ?? 0;
  const footerBytes = padTo(await image.source.read(footerAt, Math.min(FOOTER_SIZE, image.size - footerAt)), FOOTER_SIZE);
  const footer = state(footerBytes, FOOTER_FIELDS.checksum.offset);
  if (image.headerOffset === undefined) return { footer };
  const headerBytes = await image.source.read(image.headerOffset, DYNAMIC_HEADER_SIZE);
  return { footer, header: state(headerBytes, DYNAMIC_HEADER_FIELDS.checksum.offset) };
}

function state(bytes: Uint8Array, checksumOffset: number): ChecksumState {
  const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(checksumOffset);
  const computed = computeChecksum(bytes, checksumOffset);
  return { stored, computed, valid: stored === computed };
}

/** An old Virtual PC 511-byte footer lacks its last reserved byte, which counts as zero. */
function padTo(bytes: Uint8Array, size: number): Uint8Array {
  if (bytes.length >= size) return bytes;
  const padded = new Uint8Array(size);
  padded.set(bytes);
  return padded;
}
