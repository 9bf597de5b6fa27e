import { resolve } from 'node:path';
import { toVhdIoError } from '../errors.js';
import { writeFullySync } from '../file-io.js';
import { FlushBehind } from '../flush-behind.js';
import { publishNewFile } from '../publish.js';
import type { WriteProgress } from '../create/types.js';
import type { VhdDisk } from '../chain/types.js';
import { exportStream, type ExportOptions } from './export-stream.js';

/** The facts of a standalone image `exportToFile` wrote. */
export interface ExportedFile {
  path: string;
  diskType: 'fixed' | 'dynamic';
  virtualSize: number;
  /** The file's length: the export's promised length. */
  fileSize: number;
  blockSize?: number;
  storedBlocks?: number;
}

/**
 * Writes the export of `source` to a new file at `outPath`, published like creation (temporary file beside it,
 * fsync, link; never replacing a file; nothing left on failure or abort). Progress counts bytes written.
 * A bulk copy between local files: the writes run on the calling thread, and a chain opened here from a path
 * reads on it too (`blockingReads`, unless `options.open` says otherwise), since a thread-pool hand-off per
 * block costs about as much as its copy; the event loop still turns at least every 50 ms.
 */
export async function exportToFile(
  source: VhdDisk | string,
  outPath: string,
  options: ExportOptions & { onProgress?: (progress: WriteProgress) => void },
): Promise<ExportedFile> {
  const path = resolve(outPath);
  const planned = await exportStream(source, typeof source === 'string' ? { ...options, open: { blockingReads: true, ...options.open } } : options);
  try {
    await publishNewFile(
      path,
      async (handle) => {
        let position = 0;
        const flushBehind = new FlushBehind(handle);
        options.onProgress?.({ bytesWritten: 0, totalBytes: planned.length });
        for await (const chunk of planned.reusedChunks()) {
          try {
            writeFullySync(handle.fd, chunk, position);
          } catch (error) {
            throw toVhdIoError(error, 'writing', path);
          }
          flushBehind.wrote(chunk.length);
          position += chunk.length;
          options.onProgress?.({ bytesWritten: position, totalBytes: planned.length });
        }
        await flushBehind.settle().catch((error: unknown) => {
          throw toVhdIoError(error, 'writing', path);
        });
      },
      { signal: options.signal },
    );
  } finally {
    await planned.close();
  }
  return {
    path,
    diskType: planned.diskType,
    virtualSize: planned.virtualSize,
    fileSize: planned.length,
    ...(planned.blockSize !== undefined && { blockSize: planned.blockSize, storedBlocks: planned.storedBlocks }),
  };
}
