import { resolve } from 'node:path';
import { DYNAMIC_HEADER_SIZE, FOOTER_SIZE, computeChecksum } from '@vhdkit/vhd-format';
import { withIo } from './errors.js';
import { writeFully } from '../file-io.js';
import { openImageHandle } from '../open-image.js';
import { readImageMetadata } from './creation-api.js';
import { inspect } from './inspect.js';
import { requireUsableGeometry } from './geometry-guard.js';
import type { CheckIssue, CheckReport } from './types.js';

/** Checksum field offsets (vhd-format.md §2 and §4). */
const FOOTER_CHECKSUM_OFFSET = 64;
const HEADER_CHECKSUM_OFFSET = 36;

/**
 * Everything wrong with one image and its link to its parent, as a JSON-able report. Severities:
 * 'error' = readers may refuse the image or read wrong bytes; 'warning' = readable but off-spec;
 * 'info' = harmless (e.g. space left by an interrupted block allocation). `ok` means no errors.
 * A parent timestamp mismatch is an error unless `timestampMismatch: 'accept'`.
 */
export async function check(path: string, options: { timestampMismatch?: 'error' | 'accept' } = {}): Promise<CheckReport> {
  return (await inspect(path, options)).report;
}

/** The repairs that cannot lose data: they rewrite only the footer (end and copy) and checksums. */
const REPAIRABLE_CODES = new Set(['FOOTER_DAMAGED', 'FOOTER_TRUNCATED', 'FOOTER_CHECKSUM', 'FOOTER_COPY_MISMATCH', 'HEADER_CHECKSUM']);

/**
 * Applies the safe fixes: a damaged or 511-byte trailing footer is rewritten from the intact copy or
 * padded to 512 bytes (placed after every referenced structure), footer and header checksums are
 * recomputed, and the copy at offset 0 is made equal to the trailing footer. Nothing else is touched.
 */
export async function repair(path: string): Promise<{ before: CheckReport; repaired: CheckIssue[]; after: CheckReport }> {
  const absolute = resolve(path);
  requireUsableGeometry(await readImageMetadata(absolute, { bat: false }));
  const inspection = await inspect(absolute);
  const before = inspection.report;
  const repaired = before.issues.filter((issue) => issue.repairable && REPAIRABLE_CODES.has(issue.code));
  if (repaired.length === 0 || !inspection.footerBytes) return { before, repaired: [], after: before };
  const codes = new Set(repaired.map((issue) => issue.code));
  const footer = inspection.footerBytes.slice();
  if (codes.has('FOOTER_CHECKSUM')) setChecksum(footer, FOOTER_CHECKSUM_OFFSET);
  await withIo(absolute, async () => {
    const handle = await openImageHandle(absolute, 'write');
    try {
      if (inspection.header && codes.has('HEADER_CHECKSUM')) {
        const header = inspection.header.bytes.slice(0, DYNAMIC_HEADER_SIZE);
        setChecksum(header, HEADER_CHECKSUM_OFFSET);
        await writeFully(handle, header, inspection.header.offset);
      }
      const trailingOffset = codes.has('FOOTER_DAMAGED')
        ? Math.max(inspection.dataEnd, inspection.fileSize - FOOTER_SIZE)
        : inspection.trailingOffset!;
      await writeFully(handle, footer, trailingOffset);
      if (inspection.fileSize > trailingOffset + FOOTER_SIZE) await handle.truncate(trailingOffset + FOOTER_SIZE);
      if (before.diskType !== 'fixed' && inspection.copyBytes && !Buffer.from(inspection.copyBytes).equals(Buffer.from(footer))) {
        await writeFully(handle, footer, 0);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
  const after = await check(absolute);
  return { before, repaired, after };
}

function setChecksum(bytes: Uint8Array, offset: number): void {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.length).setUint32(offset, computeChecksum(bytes, offset));
}
