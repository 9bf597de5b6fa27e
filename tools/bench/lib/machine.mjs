// Facts about the machine and the tools, printed with every result (figures mean nothing without them).
import { readFileSync } from 'node:fs';
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

export function machineFacts({ vhdLibVersion, loadAtStart }) {
  return {
    cpuModel: cpuModel(),
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    qemuImg: toolVersion('qemu-img') ?? 'not installed',
    cat: toolVersion('cat') ?? 'unknown',
    vhdLib: vhdLibVersion ?? 'not available',
    // Other work on a shared machine moves absolute figures; the ratios are what to read.
    loadAverage: { atStart: loadAtStart, atEnd: loadAverage() },
  };
}
