import type { ImportedDisk } from '@vhdkit/vhd-diff';
import { DETAILS, detail } from '../../errors/details.js';
import { refusal } from '../../errors/hresult-map.js';
import type { CommandContext } from '../command-context.js';
import { printResult } from '../command-context.js';
import { importResultJson } from '../command-results.js';
import { describeCreated } from '../created-disk.js';
import { progressBar } from '../progress.js';
import { parseSizeArgument } from '../size-argument.js';
import { badByteCount } from '../usage-help.js';

export interface ImportCliOptions {
  type?: string;
  size?: string;
  blockSize?: string;
  azure?: boolean;
}

/** `vpc import <raw|-> <image>`: a new fixed or dynamic image from a raw disk, through the facade. Returns the exit code. */
export async function importImage(ctx: CommandContext, raw: string, image: string, options: ImportCliOptions): Promise<number> {
  const azure = options.azure === true;
  const type = options.type ?? (azure ? 'fixed' : 'dynamic');
  if (type !== 'fixed' && type !== 'dynamic') throw refusal('E_INVALIDARG', ctx.lang, detail(ctx.lang, DETAILS.badImportType, { value: type }));
  const sizeBytes = optionalSize(ctx, '--size', options.size);
  const blockSize = optionalSize(ctx, '--block-size', options.blockSize);
  const vpc = await ctx.virtualPc();
  const source = raw === '-' ? ctx.io.stdin() : ctx.userPath(raw);
  const task = vpc.importRawVirtualHardDisk(source, ctx.userPath(image), { type, sizeBytes, blockSize, azure });
  const bar = progressBar(ctx.io, ctx.quiet, task.description);
  // A stream's length is unknown until it ends (total 0): the bar then shows the bytes so far as its total.
  task.on('progress', (progress) => bar.update(progress.bytesWritten, progress.totalBytes || progress.bytesWritten));
  let disk: ImportedDisk;
  try {
    disk = await task.completion;
  } finally {
    bar.stop();
  }
  const stored = disk.storedBlocks === undefined ? '' : `, ${disk.storedBlocks} blocks stored`;
  await printResult(ctx, importResultJson(disk), `${describeCreated(disk).replace(/^Created/, 'Imported')} from ${disk.sourceBytes} raw bytes${stored}`);
  return 0;
}

function optionalSize(ctx: CommandContext, option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const bytes = parseSizeArgument(text);
  if (bytes === undefined) throw badByteCount('import', option, text, ctx.lang);
  return bytes;
}
