import { checkImage } from '@vhdkit/vhd-format';
import { locationParentResolver, openSource } from '../source-location.js';
import type { ImageLocation } from '../source-location.js';
import { fileParentResolver } from './resolve-parent.js';
import type { CheckReport } from './types.js';

/** Everything check found, plus the raw structures repair needs. */
export interface Inspection {
  report: CheckReport;
  fileSize: number;
  /** The footer as it should be (trailing one, or the copy when the end is damaged), raw bytes. */
  footerBytes?: Uint8Array;
  /** Where the trailing footer starts (undefined when it is unreadable). */
  trailingOffset?: number;
  copyBytes?: Uint8Array;
  header?: { offset: number; bytes: Uint8Array };
  /** First byte after every referenced structure. */
  dataEnd: number;
}

/**
 * Reads the file (or the image at an http(s) URL) read-only (times untouched where the OS allows) and lists what is
 * wrong, with vhd-format's one checker; parents are found as openDisk finds them.
 */
export async function inspect(location: ImageLocation, options: { timestampMismatch?: 'error' | 'accept' } = {}): Promise<Inspection> {
  const source = await openSource(location);
  try {
    const checked = await checkImage(source, { resolveParent: locationParentResolver(fileParentResolver()), timestampMismatch: options.timestampMismatch ?? 'error' });
    const report: CheckReport = { path: source.name, diskType: checked.diskType, ok: checked.ok, issues: checked.issues };
    if (checked.omittedIssues > 0) {
      report.counts = checked.counts;
      report.omittedIssues = checked.omittedIssues;
    }
    const inspection: Inspection = { report, fileSize: checked.size, dataEnd: checked.dataEnd };
    if (checked.footerBytes) inspection.footerBytes = checked.footerBytes;
    if (checked.trailingOffset !== undefined) inspection.trailingOffset = checked.trailingOffset;
    if (checked.copyBytes) inspection.copyBytes = checked.copyBytes;
    if (checked.header) inspection.header = checked.header;
    return inspection;
  } finally {
    await source.close().catch(() => undefined);
  }
}
