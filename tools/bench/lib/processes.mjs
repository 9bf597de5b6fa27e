// Child processes for the peers (qemu-img, cat) and our CLI: timed from spawn to exit, stdout sent to /dev/null
// (or collected), stderr kept for the error message.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { nowMs } from './timing.mjs';

export class ProcessFailed extends Error {
  constructor(command, args, code, stderr) {
    super(`${command} ${args.join(' ')} exited with ${code}: ${stderr.trim().split('\n').slice(-2).join(' | ')}`);
    this.name = 'ProcessFailed';
  }
}

/**
 * @param {string} command
 * @param {string[]} args
 * @param {{ stdout?: 'null' | 'collect' }} [options]
 * @returns {Promise<{ ms: number, stdout: string }>}
 */
export function timeProcess(command, args, { stdout = 'null' } = {}) {
  return new Promise((resolve, reject) => {
    const started = nowMs();
    const child = spawn(command, args, { stdio: ['ignore', stdout === 'null' ? 'ignore' : 'pipe', 'pipe'] });
    let stderr = '';
    let collected = '';
    child.stderr.setEncoding('utf8').on('data', (text) => {
      if (stderr.length < 64 * 1024) stderr += text;
    });
    child.stdout?.setEncoding('utf8').on('data', (text) => {
      collected += text;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = nowMs() - started;
      if (code === 0) resolve({ ms, stdout: collected });
      else reject(new ProcessFailed(command, args, code ?? signal, stderr));
    });
  });
}

/** A process as a contestant of measureInterleaved: its own spawn-to-exit time is the figure. */
export async function timedProcess(command, args) {
  return { measured: (await timeProcess(command, args)).ms };
}

const TIME_PROGRAM = '/usr/bin/time';

export function canMeasureRss() {
  return existsSync(TIME_PROGRAM);
}

/**
 * Peak resident set of a whole process, from GNU time's `%M` (KiB), with the process's stdout. Measured through
 * GNU time rather than the process's own getrusage: on Linux a child's maxrss keeps the high-water mark of the
 * memory it was forked from (here the bench process itself), which would hide the child's own figure.
 * @returns {Promise<{ maxRssBytes: number, stdout: string }>}
 */
export function processMaxRss(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(TIME_PROGRAM, ['-f', 'maxrss-kib=%M', command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.setEncoding('utf8').on('data', (text) => {
      stderr += text;
    });
    child.stdout.setEncoding('utf8').on('data', (text) => {
      stdout += text;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const match = /maxrss-kib=(\d+)/.exec(stderr);
      if (code === 0 && match) resolve({ maxRssBytes: Number(match[1]) * 1024, stdout });
      else reject(new ProcessFailed(command, args, code, stderr));
    });
  });
}

/** First line of a tool's version output, or undefined when the tool is missing. */
export function toolVersion(command, args = ['--version']) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0].trim();
  } catch {
    return undefined;
  }
}
