import cliProgress from 'cli-progress';
import type { CliIo } from './cli-io.js';

export interface ProgressSink {
  update(done: number, total: number): void;
  stop(): void;
}

const SILENT: ProgressSink = { update: () => undefined, stop: () => undefined };

/**
 * A cli-progress bar on stderr, only when stderr is a terminal that understands cursor movement (not `TERM=dumb`:
 * the bar is drawn with escape codes) and --quiet is not given; stdout stays clean.
 */
export function progressBar(io: CliIo, quiet: boolean, label: string): ProgressSink {
  if (quiet || io.stderr.isTTY !== true || io.env.TERM === 'dumb') return SILENT;
  const bar = new cliProgress.SingleBar(
    { stream: io.stderr, format: `${label} [{bar}] {percentage}% | {value}/{total} bytes`, hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(Math.max(total, 1), 0);
        started = true;
      }
      bar.setTotal(Math.max(total, 1));
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
