import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { openDisk } from '@vhdkit/vhd-diff';
import { refusal } from '../../errors/hresult-map.js';
import type { CommandContext } from '../command-context.js';
import { printResult } from '../command-context.js';
import { parseSizeArgument } from '../size-argument.js';
import { refuseWritePastEnd } from '../write-range.js';

export interface WriteOptions {
  offset: string;
  input: string;
}

/** `vpc write <image> --offset N [--input file|-]`: writes the input's bytes into the virtual disk. Returns the exit code. */
export async function writeImage(ctx: CommandContext, image: string, options: WriteOptions): Promise<number> {
  const offset = parseSizeArgument(options.offset);
  if (offset === undefined) throw refusal('E_INVALIDARG', ctx.lang, `--offset ${options.offset}`);
  const input: Readable = options.input === '-' ? ctx.io.stdin() : createReadStream(ctx.userPath(options.input));
  const disk = await openDisk(ctx.userPath(image), { writable: true });
  let written = 0;
  try {
    for await (const chunk of input) {
      if (ctx.stopSignal.aborted) throw ctx.stopSignal.reason;
      const bytes = chunk as Uint8Array;
      refuseWritePastEnd(disk, bytes.length, offset + written);
      await disk.write(bytes, offset + written);
      written += bytes.length;
    }
    await disk.flush();
  } finally {
    await disk.close();
  }
  printResult(ctx, { path: disk.path, offset, bytesWritten: written }, `Wrote ${written} bytes at offset ${offset} of ${disk.path}`);
  return 0;
}
