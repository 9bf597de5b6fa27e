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

export function writeLine(stream: Writable, text: string): void {
  stream.write(`${text}\n`);
}
