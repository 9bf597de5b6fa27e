import { resolve } from 'node:path';
import { toVhdIoError } from '../errors.js';
import { writeFully } from '../file-io.js';
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
 */
export async function exportToFile(
  source: VhdDisk | string,
  outPath: string,
  options: ExportOptions & { onProgress?: (progress: WriteProgress) => void },
): Promise<ExportedFile> {
  const path = resolve(outPath);
  const planned = await exportStream(source, options);
  try {
    await publishNewFile(
      path,
      async (handle) => {
        let position = 0;
        options.onProgress?.({ bytesWritten: 0, totalBytes: planned.length });
        for await (const chunk of planned.reusedChunks()) {
          await writeFully(handle, chunk, position).catch((error: unknown) => {
            throw toVhdIoError(error, 'writing', path);
          });
          position += chunk.length;
          options.onProgress?.({ bytesWritten: position, totalBytes: planned.length });
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
