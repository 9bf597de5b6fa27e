import { open, readFile, realpath, statfs } from 'node:fs/promises';
import type { FatVariant } from './fat-boot-sector.js';
import { fatVariantFromBootSector } from './fat-boot-sector.js';
import { mountContaining, parseMountInfo } from './mountinfo.js';
import type { StatfsResult } from './statfs-types.js';
import { volumeFactsFromStatfs } from './statfs-types.js';
import type { VolumeFacts, VolumeProbe } from './volume-probe.js';

// Largest FAT16 volume Windows formats (64 KiB clusters × 65,524); anything bigger must be FAT32.
const FAT16_MAX_VOLUME_BYTES = 4 * 1024 ** 3;

/** Options of LinuxVolumeProbe (replaceable sources, for tests). */
export interface LinuxVolumeProbeOptions {
  /** Defaults to /proc/self/mountinfo. */
  mountInfoPath?: string;
  /** Defaults to `fs.promises.statfs`; replaceable so recorded results of unmountable file systems can be replayed. */
  statfs?: (folder: string) => Promise<StatfsResult>;
}

/**
 * statfs-based probe. statfs reports one magic for every FAT variant, so for FAT the probe reads the volume's boot
 * sector from the block device named in mountinfo and counts clusters (`fatVariantFromBootSector`). When the device
 * cannot be read (not root, loop file gone, no mountinfo), it decides by volume size: above 4 GiB only FAT32 is
 * possible; otherwise it assumes FAT16, the variant with the stricter 2 GB file limit.
 */
export class LinuxVolumeProbe implements VolumeProbe {
  readonly #mountInfoPath: string;
  readonly #statfs: (folder: string) => Promise<StatfsResult>;

  constructor(options: LinuxVolumeProbeOptions = {}) {
    this.#mountInfoPath = options.mountInfoPath ?? '/proc/self/mountinfo';
    this.#statfs = options.statfs ?? ((folder) => statfs(folder));
  }

  async probe(folder: string): Promise<VolumeFacts> {
    const facts: VolumeFacts = volumeFactsFromStatfs(folder, await this.#statfs(folder));
    if (facts.fileSystem !== 'fat') return facts;
    const variant = (await this.#fatVariantFromDevice(folder)) ?? fatVariantFromVolumeSize(facts.totalBytes);
    return { ...facts, fileSystem: variant };
  }

  async #fatVariantFromDevice(folder: string): Promise<FatVariant | undefined> {
    try {
      const mounts = parseMountInfo(await readFile(this.#mountInfoPath, 'utf8'));
      const mount = mountContaining(mounts, await realpath(folder));
      if (mount === undefined || !mount.source.startsWith('/')) return undefined;
      const handle = await open(mount.source, 'r');
      try {
        const sector = new Uint8Array(512);
        const { bytesRead } = await handle.read(sector, 0, 512, 0);
        return bytesRead === 512 ? fatVariantFromBootSector(sector) : undefined;
      } finally {
        await handle.close();
      }
    } catch {
      return undefined; // unreadable device: fall back to the size rule
    }
  }
}

/** The FAT variant to assume when the boot sector cannot be read: FAT32 above 4 GiB, otherwise FAT16 (the stricter). */
export function fatVariantFromVolumeSize(totalBytes: number): FatVariant {
  return totalBytes > FAT16_MAX_VOLUME_BYTES ? 'fat32' : 'fat16';
}
