import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { expectRejection } from '@vhdkit/test-support';
import { VhdIoError, openDisk } from '../../src/index.js';
import type { OpenDiskOptions, VhdDisk } from '../../src/index.js';

/** The whole virtual disk of the chain at `path`, read through our API. */
export async function readWholeDisk(path: string, options: OpenDiskOptions = {}): Promise<Uint8Array> {
  const disk = await openDisk(path, options);
  try {
    const bytes = new Uint8Array(disk.virtualSize);
    await disk.read(bytes, 0);
    return bytes;
  } finally {
    await disk.close();
  }
}

/** Opens the image writable, writes `bytes` at a virtual offset, and closes it (which fsyncs). */
export async function writeIntoDisk(path: string, bytes: Uint8Array, offset: number): Promise<void> {
  const disk = await openDisk(path, { writable: true });
  try {
    await disk.write(bytes, offset);
  } finally {
    await disk.close();
  }
}

/**
 * Awaits a promise that must reject with a VhdIoError (with `code`, when given), and returns that error for
 * further assertions.
 */
export async function expectVhdIoError(promise: Promise<unknown>, code?: VhdIoError['code']): Promise<VhdIoError> {
  return expectRejection(promise, VhdIoError, code);
}

/** Every chunk a disk's Node stream hands out, kept (as a consumer may) until the stream has ended. */
export async function keptStreamChunks(disk: VhdDisk, options?: { start?: number; end?: number }): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  await pipeline(
    disk.createReadStream(options),
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
    }),
  );
  return chunks;
}
