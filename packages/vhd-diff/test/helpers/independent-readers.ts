import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { interop, run } from '@vhdkit/test-support';

/**
 * The virtual disk as qemu-img and 7-Zip read it (qemu-img has no `check` for VHD), compared with what it must be. qemu-img is told to trust the
 * footer's current size (it would otherwise use the CHS product for creators it does not know, ours included).
 */
export function expectIndependentReadersSee(path: string, expected: Uint8Array, scratchRaw: string): void {
  const qemu = interop('qemu-img');
  const image = `driver=vpc,force_size_calc=current_size,file.driver=file,file.filename=${path}`;
  const converted = run(qemu.command, ['convert', '-O', 'raw', '--image-opts', image, scratchRaw]);
  expect(converted.status, converted.stderr).toBe(0);
  expect(readFileSync(scratchRaw).equals(Buffer.from(expected)), 'qemu-img convert reads the expected bytes').toBe(true);
  const sevenZip = interop('7zz');
  const extracted = run(sevenZip.command, ['x', '-tvhd', '-so', path], { maxBuffer: expected.length + 1024 });
  expect(extracted.status, extracted.stderr).toBe(0);
  expect(Buffer.from(extracted.stdout).equals(Buffer.from(expected)), '7-Zip reads the expected bytes').toBe(true);
}
