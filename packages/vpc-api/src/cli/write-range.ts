import { VhdIoError } from '@vhdkit/vhd-diff';
import type { VhdDisk } from '@vhdkit/vhd-diff';

/**
 * `vpc write` refuses a chunk that would pass the end of the disk before handing it to vhd-diff, as the same
 * OUT_OF_RANGE failure vhd-diff raises, but with its facts recorded so the message can be localized.
 */
export function refuseWritePastEnd(disk: VhdDisk, byteCount: number, offset: number): void {
  if (offset + byteCount <= disk.virtualSize) return;
  throw new VhdIoError('OUT_OF_RANGE', `write of ${byteCount} bytes at ${offset} passes the end of the ${disk.virtualSize}-byte disk`, {
    path: disk.path,
    params: { reason: 'write-past-end', byteCount, offset, virtualSize: disk.virtualSize },
  });
}
