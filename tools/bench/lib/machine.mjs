// Facts about the machine and the tools, printed with every result (figures mean nothing without them).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { toolVersion } from './processes.mjs';

function cpuModel() {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) return match[1].trim();
  } catch {
    // not Linux: fall back to what Node reports
  }
  return cpus()[0]?.model ?? 'unknown';
}

export function loadAverage() {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' / ');
}

/**
 * The kernel's proactive reclaim, when one runs (DAMON schemes that page out memory not accessed for a while): it
 * evicts page cache of files left idle, so the harness reads every input right before each run (readThrough).
 */
export function proactiveReclaim() {
  const root = '/sys/kernel/mm/damon/admin/kdamonds';
  try {
    const running = readdirSync(root).filter((name) => /^\d+$/.test(name) && readFileSync(`${root}/${name}/state`, 'utf8').trim() === 'on');
    const schemes = running.flatMap((daemon) => {
      const contexts = `${root}/${daemon}/contexts`;
      return readdirSync(contexts).filter((name) => /^\d+$/.test(name)).flatMap((context) => {
        const schemesDir = `${contexts}/${context}/schemes`;
        return readdirSync(schemesDir).filter((name) => /^\d+$/.test(name)).map((scheme) => {
          const read = (file) => readFileSync(`${schemesDir}/${scheme}/${file}`, 'utf8').trim();
          const quotaBytes = Number(read('quotas/bytes'));
          const resetMs = Number(read('quotas/reset_interval_ms'));
          const quota = quotaBytes > 0 && resetMs > 0 ? `, up to ${Math.round(quotaBytes / 2 ** 20 / (resetMs / 1000))} MiB/s` : '';
          const aggregationUs = Number(readFileSync(`${contexts}/${context}/monitoring_attrs/intervals/aggr_us`, 'utf8').trim());
          const idleSeconds = (Number(read('access_pattern/age/min')) * aggregationUs) / 1e6;
          return `DAMON ${read('action')} of memory not accessed for ${idleSeconds} s or more${quota}`;
        });
      });
    });
    return schemes.length > 0 ? schemes.join('; ') : 'none';
  } catch {
    return existsSync(root) ? 'unknown' : 'none';
  }
}

/**
 * Environment variables that make every Node.js process slower to start and that users rarely have; the bench removes
 * them from what it passes to the processes it starts (run.mjs), and says so.
 */
export const STARTUP_ENVIRONMENT = ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS'];

export function machineFacts({ vhdLibVersion, loadAtStart, removedEnvironment = [] }) {
  return {
    cpuModel: cpuModel(),
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    qemuImg: toolVersion('qemu-img') ?? 'not installed',
    cat: toolVersion('cat') ?? 'unknown',
    vhdLib: vhdLibVersion ?? 'not available',
    proactiveReclaim: proactiveReclaim(),
    removedEnvironment,
    // Other work on a shared machine moves absolute figures; the ratios are what to read.
    loadAverage: { atStart: loadAtStart, atEnd: loadAverage() },
  };
}
