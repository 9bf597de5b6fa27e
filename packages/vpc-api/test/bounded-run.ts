import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CLI_BIN } from './helpers.js';

export interface BoundedRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  /** Peak resident set of the child (VmHWM, polled), bytes. */
  peakRssBytes: number;
  /** Why the child was killed, if it was: it outran a bound. */
  killedFor?: 'time' | 'memory' | 'output';
}

export interface BoundedOptions {
  /** A hang detector, not a speed assertion: far above what the command needs. */
  timeoutMs?: number;
  rssLimitBytes?: number;
  outputLimitBytes?: number;
  input?: Uint8Array;
  /** Leave stdin open and silent (a pipe nobody writes), to test waiting commands. */
  silentStdin?: boolean;
  /** Sent after `afterMs` (e.g. SIGTERM to a command that waits). */
  signal?: { name: NodeJS.Signals; afterMs: number };
  cwd?: string;
  /** Called once the child runs (to watch it, or signal it at the right moment). */
  onStart?: (child: ChildProcess) => void;
}

function peakRss(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Runs the `vpc` bin and kills it (SIGKILL) when it outruns a time, memory or output bound, so a regression
 * that hangs or balloons fails its test instead of the machine.
 */
export function runBounded(args: readonly string[], options: BoundedOptions = {}): Promise<BoundedRun> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const rssLimit = options.rssLimitBytes ?? 1024 * 1024 * 1024;
  const outputLimit = options.outputLimitBytes ?? 64 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      cwd: options.cwd ?? '/',
      env: { ...process.env, LANG: 'C.UTF-8' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let peak = 0;
    let killedFor: BoundedRun['killedFor'];
    const kill = (why: NonNullable<BoundedRun['killedFor']>) => {
      if (killedFor) return;
      killedFor = why;
      child.kill('SIGKILL');
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > outputLimit) kill('output');
      else stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.stdin.on('error', () => undefined);
    if (options.input) child.stdin.end(options.input);
    else if (!options.silentStdin) child.stdin.end();
    const poll = setInterval(() => {
      peak = Math.max(peak, peakRss(child.pid!));
      if (peak > rssLimit) kill('memory');
    }, 50);
    const timer = setTimeout(() => kill('time'), timeoutMs);
    const signalTimer = options.signal ? setTimeout(() => child.kill(options.signal!.name), options.signal.afterMs) : undefined;
    child.on('error', reject);
    options.onStart?.(child);
    child.on('close', (status, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      clearTimeout(signalTimer);
      resolve({ status, signal, stdout: Buffer.concat(stdout), stderr, peakRssBytes: peak, ...(killedFor ? { killedFor } : {}) });
    });
  });
}

/** The first stderr line split as `0x%08X NAME: message`, or undefined when it does not keep that contract. */
export function errorLine(run: { stderr: string }): { hresult: string; name: string; message: string } | undefined {
  const match = /^(0x[0-9A-F]{8}) ([A-Z0-9_]+): (.+)$/.exec(run.stderr.split('\n')[0] ?? '');
  return match === null ? undefined : { hresult: match[1]!, name: match[2]!, message: match[3]! };
}
