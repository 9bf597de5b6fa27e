import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { exportStream, exportToFile } from '@vhdkit/vhd-diff';
import { DETAILS, detail } from '../../errors/details.js';
import { refusal } from '../../errors/hresult-map.js';
import type { CommandContext } from '../command-context.js';
import { printResult } from '../command-context.js';
import { exportResultJson } from '../command-results.js';
import { progressBar, type ProgressSink } from '../progress.js';
import { stoppedReason } from '../stopped-reason.js';

/**
 * `vpc export <image> [output|-] [--type dynamic|fixed]`: the chain as one standalone VHD, to a new file (published
 * atomically) or to stdout. Returns the exit code.
 */
export async function exportImage(ctx: CommandContext, image: string, output: string | undefined, options: { type: string }): Promise<number> {
  const { type } = options;
  if (type !== 'fixed' && type !== 'dynamic') throw refusal('E_INVALIDARG', ctx.lang, `--type ${type}`);
  const toStdout = output === undefined || output === '-';
  if (toStdout && ctx.json) throw refusal('E_INVALIDARG', ctx.lang, detail(ctx.lang, DETAILS.jsonWithImageOnStdout, {}));
  const bar = progressBar(ctx.io, ctx.quiet, 'Export');
  // Blocking reads: a single-purpose process, as vpc cat.
  const common = { type, signal: ctx.stopSignal, open: { blockingReads: true } } as const;
  try {
    if (toStdout) {
      await exportToStdout(ctx, ctx.userPath(image), common, bar);
    } else {
      const written = await exportToFile(ctx.userPath(image), ctx.userPath(output), { ...common, onProgress: (p) => bar.update(p.bytesWritten, p.totalBytes) });
      bar.stop();
      await printResult(ctx, exportResultJson(written), `Exported ${image} as ${written.diskType} disk ${written.path} (${written.virtualSize} bytes virtual, ${written.fileSize} bytes)`);
    }
  } catch (error) {
    bar.stop();
    // A reader that goes away (`vpc export x | head`) is not a failure of ours.
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') return 0;
    throw await stoppedReason(ctx, error);
  }
  bar.stop();
  return 0;
}

async function exportToStdout(
  ctx: CommandContext,
  imagePath: string,
  options: Parameters<typeof exportStream>[1],
  bar: ProgressSink,
): Promise<void> {
  const exported = await exportStream(imagePath, options);
  let sent = 0;
  const counter = new Transform({
    transform(chunk: Uint8Array, _encoding, callback) {
      sent += chunk.length;
      bar.update(sent, exported.length);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(exported.stream(), counter, ctx.io.stdout, { end: false });
  } finally {
    await exported.close();
  }
}
