import { resolve } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import { DYNAMIC_HEADER_SIZE, FOOTER_SIZE, computeChecksum, decodeDynamicHeader, decodeFooter, isValidBlockSize } from '@vhdkit/vhd-format';
import { readImageMetadata } from './creation-api.js';
import { chainError, withIo } from './errors.js';
import { readFully, writeFully } from '../file-io.js';
import { openImageHandle } from '../open-image.js';
import { requireUsableGeometry } from './geometry-guard.js';
import { isHttpLocation } from '../source-location.js';
import { inspect, type Inspection } from './inspect.js';
import type { CheckIssue, CheckReport } from './types.js';

/** Checksum field offsets (docs/format.md#checksum). */
const FOOTER_CHECKSUM_OFFSET = 64;
const HEADER_CHECKSUM_OFFSET = 36;

const FOOTER_CODES = new Set(['FOOTER_DAMAGED', 'FOOTER_TRUNCATED', 'FOOTER_CHECKSUM', 'FOOTER_COPY_MISMATCH']);

/** What a repair will write; every structure in it was verified before anything is written. */
interface RepairPlan {
  /** The verified footer, written at `trailingOffset` and (dynamic and differencing images) at offset 0. */
  footer?: { bytes: Uint8Array; trailingOffset: number; copyToStart: boolean };
  /** The header with its checksum recomputed, when it then decodes strictly. */
  header?: { bytes: Uint8Array; offset: number };
}

/**
 * Applies the safe fixes, and only with structures verified good: a footer whose checksum is valid and that decodes
 * strictly (the trailing one, else the copy at offset 0), or — when both copies agree byte for byte except the
 * checksum — that footer with its checksum recomputed; a header checksum is recomputed only if the header then
 * decodes strictly. The trailing footer and header are written first and the image must reopen strictly; only then
 * is the copy at offset 0 rewritten (else the old bytes are put back and the repair fails with CORRUPT). Damage
 * without a verified replacement is left as it is (and stays in `after`).
 */
export async function repair(path: string): Promise<{ before: CheckReport; repaired: CheckIssue[]; after: CheckReport }> {
  // An image read over HTTP cannot be written back.
  if (isHttpLocation(path)) throw chainError('READ_ONLY', `${path} is read over HTTP; only an image file can be repaired`, path);
  const absolute = resolve(path);
  requireUsableGeometry(await readImageMetadata(absolute, { bat: false }));
  const inspection = await inspect(absolute);
  const before = inspection.report;
  const plan = planRepair(inspection);
  const repaired = before.issues.filter(
    (issue) => issue.repairable && ((FOOTER_CODES.has(issue.code) && plan.footer) || (issue.code === 'HEADER_CHECKSUM' && plan.header)),
  );
  if (repaired.length === 0) return { before, repaired: [], after: before };
  await withIo(absolute, async () => {
    const handle = await openImageHandle(absolute, 'write');
    try {
      await applyPlan(handle, absolute, plan, inspection.fileSize);
    } finally {
      await handle.close();
    }
  });
  const after = (await inspect(absolute)).report;
  return { before, repaired, after };
}

function planRepair(inspection: Inspection): RepairPlan {
  const plan: RepairPlan = {};
  const codes = new Set(inspection.report.issues.filter((issue) => issue.repairable).map((issue) => issue.code));
  const fixed = inspection.report.diskType === 'fixed';
  if ([...FOOTER_CODES].some((code) => codes.has(code))) {
    const trailing = inspection.trailingOffset === undefined ? undefined : inspection.footerBytes;
    const copy = fixed ? undefined : inspection.copyBytes;
    const bytes = verifiedFooter(trailing, copy, fixed ? inspection.trailingOffset : undefined);
    if (bytes !== undefined) {
      const trailingOffset = inspection.trailingOffset ?? Math.max(inspection.dataEnd, inspection.fileSize - FOOTER_SIZE);
      plan.footer = { bytes, trailingOffset, copyToStart: !fixed && (copy === undefined || !sameBytes(copy, bytes)) };
    }
  }
  if (codes.has('HEADER_CHECKSUM') && inspection.header) {
    const bytes = withChecksum(inspection.header.bytes.slice(0, DYNAMIC_HEADER_SIZE), HEADER_CHECKSUM_OFFSET);
    if (decodesStrictly(() => decodeDynamicHeader(bytes)) && isValidBlockSize(decodeDynamicHeader(bytes).blockSize)) {
      plan.header = { bytes, offset: inspection.header.offset };
    }
  }
  return plan;
}

/**
 * The footer to keep: the trailing one if intact, else an intact copy at offset 0, else the trailing one with its
 * checksum recomputed when nothing but the checksum is in doubt (the copy agrees in every other byte, or, for a fixed
 * image that has no copy, its size matches the data area before it). Undefined when none can be trusted.
 */
function verifiedFooter(trailing: Uint8Array | undefined, copy: Uint8Array | undefined, fixedDataBytes: number | undefined): Uint8Array | undefined {
  if (trailing && decodesStrictly(() => decodeFooter(trailing))) return trailing;
  if (copy && decodesStrictly(() => decodeFooter(copy))) return copy;
  if (!trailing) return undefined;
  const recomputed = withChecksum(trailing.slice(), FOOTER_CHECKSUM_OFFSET);
  if (!decodesStrictly(() => decodeFooter(recomputed))) return undefined;
  const agreed = copy !== undefined
    ? sameBytes(withChecksum(copy.slice(), FOOTER_CHECKSUM_OFFSET), recomputed)
    : fixedDataBytes !== undefined && decodeFooter(recomputed).currentSize === fixedDataBytes;
  return agreed ? recomputed : undefined;
}

/** Header and trailing footer, then proof that the image reopens, then the copy at offset 0. */
async function applyPlan(handle: FileHandle, path: string, plan: RepairPlan, fileSize: number): Promise<void> {
  const saved: { offset: number; bytes: Uint8Array }[] = [];
  const overwrite = async (bytes: Uint8Array, offset: number): Promise<void> => {
    const old = new Uint8Array(bytes.length);
    await readFully(handle, old, offset);
    saved.push({ offset, bytes: old });
    await writeFully(handle, bytes, offset);
  };
  if (plan.header) await overwrite(plan.header.bytes, plan.header.offset);
  if (plan.footer) await overwrite(plan.footer.bytes, plan.footer.trailingOffset);
  await handle.sync();
  try {
    const reopened = await readImageMetadata(path, { strict: true });
    requireUsableGeometry(reopened);
  } catch (error) {
    for (let index = saved.length - 1; index >= 0; index--) await writeFully(handle, saved[index]!.bytes, saved[index]!.offset);
    await handle.truncate(fileSize);
    await handle.sync();
    throw chainError('CORRUPT', `${path}: the repaired image would not open (${(error as Error).message}); it was left as it was`, path, error);
  }
  if (plan.footer?.copyToStart) {
    await writeFully(handle, plan.footer.bytes, 0);
    await handle.sync();
  }
}

function decodesStrictly(decode: () => unknown): boolean {
  try {
    decode();
    return true;
  } catch {
    return false;
  }
}

function withChecksum(bytes: Uint8Array, offset: number): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.length).setUint32(offset, computeChecksum(bytes, offset));
  return bytes;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}
