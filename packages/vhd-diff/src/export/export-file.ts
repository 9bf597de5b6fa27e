import { resolve } from 'node:path';
import { WriteBehind, ringBuffersFor } from '../write-behind.js';
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
 * A bulk copy between local files: a chain opened here from a path reads on the calling thread (`blockingReads`,
 * unless `options.open` says otherwise: a thread-pool hand-off per block costs about as much as its copy) into a
 * small ring of buffers, while the thread pool writes the blocks read before, several per writev (WriteBehind);
 * the event loop still turns at least every 50 ms.
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
        // Chunks read into the ring go back to it once written; the plan's own (head, footer) are only written.
        const writer = new WriteBehind(handle, path, { buffers: ringBuffersFor(planned.chunkBytes), bufferBytes: planned.chunkBytes });
        let position = 0;
        options.onProgress?.({ bytesWritten: 0, totalBytes: planned.length });
        try {
          for await (const chunk of planned.reusedChunks(() => writer.buffer())) {
            writer.write([chunk], position);
            position += chunk.length;
            options.onProgress?.({ bytesWritten: position, totalBytes: planned.length });
          }
          await writer.drain();
        } finally {
          await writer.settle(); // after a failure no write may still run when the file is closed and removed
        }
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
