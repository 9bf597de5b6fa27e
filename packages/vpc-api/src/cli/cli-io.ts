import type { Readable, Writable } from 'node:stream';
import type { VolumeProbe } from '../volume/volume-probe.js';

/** Everything the CLI touches outside itself, so tests and embedders can run it in-process. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean; columns?: number };
  /** Called only by commands that read stdin: touching `process.stdin` switches the shared fd to non-blocking. */
  stdin: () => Readable;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Replaces the statfs probe (tests simulate CD-ROM and FAT volumes through it). */
  volumeProbe?: VolumeProbe;
  /** Install SIGINT/SIGTERM handlers that shut down cleanly (the real binary does). */
  handleSignals?: boolean;
}

/** The real process's streams, environment and working directory, with signal handling: what the `vpc` bin runs with. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: () => process.stdin,
    env: process.env,
    cwd: process.cwd(),
    handleSignals: true,
  };
}

/**
 * Writes a line and settles once the stream has taken it: a failed write (ENOSPC on /dev/full, EPIPE) rejects with
 * the write's error, so the command can report it in the error-line format.
 */
export function writeLine(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(`${text}\n`, (error) => (error === null || error === undefined ? resolve() : reject(error)));
  });
}

/** Writes a line whose failure cannot be reported anywhere (the failure report itself). */
export function writeLineIgnoringFailure(stream: Writable, text: string): void {
  writeLine(stream, text).catch(() => undefined);
}

/**
 * A failed write reaches its callback and is also emitted as 'error' on a later tick — possibly after the command
 * has returned — and without a listener that event would end the process with a stack trace. The failure is
 * reported through the callback instead, so the event is absorbed; the listener stays (added once per stream).
 */
export function absorbWriteErrors(streams: readonly Writable[]): void {
  for (const stream of streams) if (!stream.listeners('error').includes(ignoreEmittedError)) stream.on('error', ignoreEmittedError);
}

function ignoreEmittedError(): void {}
