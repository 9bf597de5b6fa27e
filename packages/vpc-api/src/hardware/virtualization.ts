import { readFile } from 'node:fs/promises';

/** What the CPU reports: `present` (vmx or svm flag), `absent`, or `unknown` (no x86 flags line / no /proc). */
export type HardwareVirtualizationState = 'present' | 'absent' | 'unknown';

/** Reads the x86 `flags` lines of /proc/cpuinfo: Intel VT-x shows `vmx`, AMD-V shows `svm`. */
export function hardwareVirtualizationFromCpuInfo(cpuInfoText: string): HardwareVirtualizationState {
  let sawFlags = false;
  for (const line of cpuInfoText.split('\n')) {
    const match = /^flags\s*:(.*)$/.exec(line);
    if (match === null) continue;
    sawFlags = true;
    const flags = match[1]!.trim().split(/\s+/);
    if (flags.includes('vmx') || flags.includes('svm')) return 'present';
  }
  return sawFlags ? 'absent' : 'unknown';
}

/** Reads the CPU flags (vmx/svm) from /proc/cpuinfo; 'unknown' when it cannot be read. */
export async function detectHardwareVirtualization(cpuInfoPath = '/proc/cpuinfo'): Promise<HardwareVirtualizationState> {
  try {
    return hardwareVirtualizationFromCpuInfo(await readFile(cpuInfoPath, 'utf8'));
  } catch {
    return 'unknown';
  }
}
