import { readFile, rm } from 'node:fs/promises';
import { expect } from 'vitest';
import { interop, run } from '@vhdkit/test-support';

/**
 * The virtual disk of a small standalone image as other implementations read it, whole, as bytes. QEMU is told to
 * trust the footer's current size (images made here carry the creator 'vhdk', for which QEMU would otherwise use
 * the CHS geometry: see the package README).
 */
export const readers = {
  qemuImg: interop('qemu-img'),
  sevenZip: interop('7zz'),
  pyvhdi: interop('pyvhdi'),
};
export const readersMissing = Object.values(readers).some((tool) => !tool.available);

function ok(command: string, args: string[]): Buffer {
  const result = run(command, args);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

export async function qemuContent(imagePath: string, scratchPath: string): Promise<Buffer> {
  ok(readers.qemuImg.command, [
    'convert', '-O', 'raw', '--image-opts', `driver=vpc,force_size_calc=current_size,file.driver=file,file.filename=${imagePath}`, scratchPath,
  ]);
  try {
    return await readFile(scratchPath);
  } finally {
    await rm(scratchPath, { force: true });
  }
}

export function sevenZipContent(imagePath: string): Buffer {
  return ok(readers.sevenZip.command, ['x', '-tvhd', '-so', imagePath]);
}

/**
 * libvhdi's view, one block-sized read at a time. (Its two known bitmap bugs only affect sectors of a differencing
 * file that defer to a parent; the standalone images read here have none.)
 */
export function pyvhdiContent(imagePath: string): Buffer {
  return ok(readers.pyvhdi.command, [
    '-c',
    `import sys, pyvhdi
f = pyvhdi.file(); f.open(sys.argv[1]); size = f.get_media_size()
for offset in range(0, size, 1 << 21):
    sys.stdout.buffer.write(f.read_buffer_at_offset(min(1 << 21, size - offset), offset))`,
    imagePath,
  ]);
}

/** `expected` padded with zeros to `length`: a raw disk as the virtual disk it becomes. */
export function paddedTo(expected: Uint8Array, length: number): Buffer {
  const padded = Buffer.alloc(length);
  padded.set(expected.subarray(0, length));
  return padded;
}

/** qemu-img and 7-Zip both read exactly `expected` as the virtual disk of the image at `path`. */
export async function expectIndependentReadersSee(path: string, expected: Uint8Array, scratchRaw: string): Promise<void> {
  expect((await qemuContent(path, scratchRaw)).equals(Buffer.from(expected)), 'qemu-img convert reads the expected bytes').toBe(true);
  expect(sevenZipContent(path).equals(Buffer.from(expected)), '7-Zip reads the expected bytes').toBe(true);
}
