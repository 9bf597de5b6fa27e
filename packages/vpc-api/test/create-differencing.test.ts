import { spawnSync } from 'node:child_process';
import { mkdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testFolder } from '@vhdkit/test-support';
import { createDifferencingDisk, readImageMetadata } from '@vhdkit/vhd-diff';
import { MAX_VIRTUAL_SIZE, uniqueIdToString } from '@vhdkit/vhd-format';
import type { HresultName } from '@vhdkit/vpc-errors';
import { HRESULTS, VpcError, formatHresult } from '@vhdkit/vpc-errors';
import type { VirtualPCOptions } from '../src/virtual-pc.js';
import { VirtualPC } from '../src/virtual-pc.js';
import type { VolumeFacts } from '../src/volume/volume-probe.js';
import type { FileSnapshot } from './helpers.js';
import { MIB, expectUnchanged, isFile, failureLine, makeDynamic, makeDynamicWithMbr, makeFixedWithMbr, runVpc, simulatedProbe, snapshot, tree } from './helpers.js';

const GIB = 1024 * MIB;

/** What one row needs: arguments for the API and the CLI, the files that must stay untouched, where the child lands. */
interface Scenario {
  image: unknown;
  parent: unknown;
  /** CLI arguments after `create-diff` (default: image and parent as strings). */
  cliArgs?: string[];
  /**
   * CLI working directory (default '/'). The CLI resolves relative paths against it before calling the API, so rows
   * with a relative path run it in the other path's folder to get the API's outcome.
   */
  cwd?: string;
  volume?: Partial<VolumeFacts> | { throw: string };
  api?: VirtualPCOptions;
  /** Where a successful call puts the child. */
  created?: string;
  /** Files that must be byte-identical (and keep their mtime) afterwards; default: the parent when it exists. */
  untouched?: string[];
}

interface Row {
  name: string;
  code: HresultName;
  /** When the CLI (real CPU, real process) expects another outcome than the API with injected facts. */
  cliCode?: HresultName;
  setup: (folder: string) => Promise<Scenario>;
}

const HARDWARE_VIRTUALIZATION_PRESENT = /\b(vmx|svm)\b/.test(spawnSync('grep', ['-m1', '^flags', '/proc/cpuinfo'], { encoding: 'utf8' }).stdout);

async function base(folder: string, name = 'base.vhd', sizeBytes = 8 * MIB): Promise<string> {
  return makeDynamic(path.join(folder, name), sizeBytes);
}

/** base.vhd ← mid.vhd (made directly with vhd-diff so the facade's own checks don't stand in the way). */
async function chain(folder: string, makeBase: (file: string) => Promise<string> = (file) => makeDynamic(file, 8 * MIB)) {
  const basePath = await makeBase(path.join(folder, 'base.vhd'));
  const midPath = path.join(folder, 'mid.vhd');
  await createDifferencingDisk(midPath, basePath);
  return { basePath, midPath };
}

const rows: Row[] = [
  // ── success ──
  { name: 'absolute paths', code: 'S_OK', setup: async (f) => ({ image: path.join(f, 'child.vhd'), parent: await base(f), created: path.join(f, 'child.vhd') }) },
  {
    name: 'relative image lands beside the parent (and its folder is created)', code: 'S_OK',
    setup: async (f) => ({ image: 'diffs/child.vhd', parent: await base(f), created: path.join(f, 'diffs/child.vhd'), cwd: f }),
  },
  {
    name: 'relative parent with ..', code: 'S_OK',
    setup: async (f) => {
      await base(f);
      await mkdir(path.join(f, 'vms'));
      return { image: path.join(f, 'vms/child.vhd'), parent: '../base.vhd', created: path.join(f, 'vms/child.vhd'), untouched: [path.join(f, 'base.vhd')], cwd: path.join(f, 'vms') };
    },
  },
  {
    name: 'relative image with ..', code: 'S_OK',
    setup: async (f) => {
      await mkdir(path.join(f, 'a'));
      return { image: '../out/child.vhd', parent: await base(path.join(f, 'a')), created: path.join(f, 'out/child.vhd'), cwd: path.join(f, 'a') };
    },
  },
  { name: 'several missing folders', code: 'S_OK', setup: async (f) => ({ image: path.join(f, 'x/y/z/child.vhd'), parent: await base(f), created: path.join(f, 'x/y/z/child.vhd') }) },
  {
    name: 'differencing parent (grandchild)', code: 'S_OK',
    setup: async (f) => {
      const { basePath, midPath } = await chain(f);
      return { image: path.join(f, 'grand.vhd'), parent: midPath, created: path.join(f, 'grand.vhd'), untouched: [basePath, midPath] };
    },
  },
  { name: 'fixed parent', code: 'S_OK', setup: async (f) => ({ image: path.join(f, 'c.vhd'), parent: await makeFixedWithMbr(path.join(f, 'p.vhd'), 16 * MIB, 0x07), created: path.join(f, 'c.vhd') }) },
  { name: 'FAT16 guest just under 2000 MB', code: 'S_OK', setup: async (f) => ({ image: path.join(f, 'c.vhd'), parent: await makeDynamicWithMbr(path.join(f, 'p.vhd'), 2000 * MIB - 512, 0x06), created: path.join(f, 'c.vhd') }) },
  { name: 'FAT32 guest of exactly 514 MB', code: 'S_OK', setup: async (f) => ({ image: path.join(f, 'c.vhd'), parent: await makeDynamicWithMbr(path.join(f, 'p.vhd'), 514 * MIB, 0x0c), created: path.join(f, 'c.vhd') }) },
  {
    name: 'FAT32 host volume, image can grow to about 3 GiB', code: 'S_OK',
    setup: async (f) => ({ image: path.join(f, 'c.vhd'), parent: await base(f, 'p.vhd', 3 * GIB), volume: { fileSystem: 'fat32' }, created: path.join(f, 'c.vhd') }),
  },

  // ── E_POINTER / ERROR_BAD_PATHNAME / ERROR_INVALID_NAME / ERROR_BUFFER_OVERFLOW ──
  // The CLI's arguments are required: a missing one is a usage error (E_INVALIDARG), as for every command.
  { name: 'imagePath null', code: 'E_POINTER', cliCode: 'E_INVALIDARG', setup: async (f) => ({ image: null, parent: await base(f), cliArgs: [] }) },
  { name: 'parentPath undefined', code: 'E_POINTER', cliCode: 'E_INVALIDARG', setup: async (f) => ({ image: path.join(f, 'c.vhd'), parent: undefined, cliArgs: [path.join(f, 'c.vhd')] }) },
  { name: 'empty imagePath', code: 'ERROR_BAD_PATHNAME', setup: async (f) => ({ image: '', parent: await base(f) }) },
  { name: 'empty parentPath', code: 'ERROR_BAD_PATHNAME', setup: async (f) => ({ image: path.join(f, 'c.vhd'), parent: '' }) },
  {
    // The API never consults the working directory; the CLI resolves both against it, as every CLI does.
    name: 'both relative (the API refuses; the CLI resolves them against its working directory)', code: 'ERROR_BAD_PATHNAME', cliCode: 'S_OK',
    setup: async (f) => ({ image: 'child.vhd', parent: 'base.vhd', untouched: [await base(f)], cwd: f, created: path.join(f, 'child.vhd') }),
  },
  { name: '"*" in the image name', code: 'ERROR_INVALID_NAME', setup: async (f) => ({ image: path.join(f, 'c*d.vhd'), parent: await base(f) }) },
  { name: '"|" in the parent path', code: 'ERROR_INVALID_NAME', setup: async (f) => ({ image: path.join(f, 'c.vhd'), parent: path.join(f, 'b|ase.vhd') }) },
  { name: '":" in a folder name', code: 'ERROR_INVALID_NAME', setup: async (f) => ({ image: path.join(f, 'a:b', 'c.vhd'), parent: await base(f) }) },
  { name: 'a control character', code: 'ERROR_INVALID_NAME', setup: async (f) => ({ image: path.join(f, 'c\u0007.vhd'), parent: await base(f) }) },
  { name: '260 characters after resolution', code: 'ERROR_BUFFER_OVERFLOW', setup: async (f) => ({ image: 'x'.repeat(260 - f.length), parent: await base(f), cwd: f }) },
  // A trailing separator names a folder (Windows: ERROR_INVALID_NAME); no file named "newdir" may appear.
  { name: 'image path ending in a separator', code: 'ERROR_INVALID_NAME', setup: async (f) => ({ image: `${path.join(f, 'newdir')}/`, parent: await base(f) }) },
  { name: 'relative image path ending in a separator', code: 'ERROR_INVALID_NAME', setup: async (f) => ({ image: 'newdir/', parent: await base(f), cwd: f }) },
  { name: 'parent path ending in a separator', code: 'ERROR_INVALID_NAME', setup: async (f) => ({ image: path.join(f, 'c.vhd'), parent: `${await base(f)}/` }) },

  // ── parent ──
  { name: 'parent missing', code: 'ERROR_PATH_NOT_FOUND', setup: async (f) => ({ image: path.join(f, 'c.vhd'), parent: path.join(f, 'nope.vhd') }) },
  {
    name: 'parent below a file', code: 'ERROR_PATH_NOT_FOUND',
    setup: async (f) => {
      await writeFile(path.join(f, 'file.txt'), 'x');
      return { image: path.join(f, 'c.vhd'), parent: path.join(f, 'file.txt/base.vhd'), untouched: [path.join(f, 'file.txt')] };
    },
  },
  {
    name: 'parent is not a VHD', code: 'VM_E_INVALID_HD_FILE',
    setup: async (f) => {
      const junk = path.join(f, 'junk.vhd');
      await writeFile(junk, new Uint8Array(64 * 1024).map((_, index) => (index * 7) & 0xff));
      return { image: path.join(f, 'c.vhd'), parent: junk };
    },
  },
  {
    name: 'parent is an empty file', code: 'VM_E_INVALID_HD_FILE',
    setup: async (f) => {
      await writeFile(path.join(f, 'empty.vhd'), '');
      return { image: path.join(f, 'c.vhd'), parent: path.join(f, 'empty.vhd') };
    },
  },
  {
    name: 'parent is a folder', code: 'VM_E_INVALID_HD_FILE',
    setup: async (f) => {
      await mkdir(path.join(f, 'dir.vhd'));
      return { image: path.join(f, 'c.vhd'), parent: path.join(f, 'dir.vhd') };
    },
  },
  {
    name: "broken chain: the parent's own parent is gone", code: 'VM_E_PARENT_PATH_NOT_FOUND',
    setup: async (f) => {
      const { basePath, midPath } = await chain(f);
      await rm(basePath);
      return { image: path.join(f, 'c.vhd'), parent: midPath };
    },
  },
  {
    name: "broken chain: the parent's own parent was replaced by another disk", code: 'VM_E_PARENT_CHILD_ID_MISMATCH',
    setup: async (f) => {
      const { basePath, midPath } = await chain(f);
      await rm(basePath);
      await makeDynamic(basePath, 8 * MIB);
      return { image: path.join(f, 'c.vhd'), parent: midPath, untouched: [basePath, midPath] };
    },
  },

  {
    name: "broken chain: the parent's own parent was modified after the parent was made", code: 'VM_E_PARENT_MODIFIED',
    setup: async (f) => {
      const { basePath, midPath } = await chain(f);
      // Differencing children record their parent's modification time; Windows refuses a chain where it moved.
      await utimes(basePath, new Date('2030-01-01T00:00:00Z'), new Date('2030-01-01T00:00:00Z'));
      return { image: path.join(f, 'c.vhd'), parent: midPath, untouched: [basePath, midPath] };
    },
  },

  // ── sizes ──
  { name: 'parent under 3 MB', code: 'VM_E_IMAGE_SIZE_TOO_SMALL', setup: async (f) => ({ image: path.join(f, 'c.vhd'), parent: await base(f, 'small.vhd', 3 * MIB - 512) }) },
  // 2,088,960 MB (2040 GiB) is the maximum, so it is accepted; one sector more is refused (size-limit.test.ts).
  { name: 'parent of exactly 2,088,960 MB', code: 'S_OK', setup: async (f) => ({ image: path.join(f, 'c.vhd'), parent: await base(f, 'huge.vhd', MAX_VIRTUAL_SIZE), created: path.join(f, 'c.vhd') }) },
  { name: 'FAT16 guest of 2000 MB', code: 'VM_E_IMAGE_SIZE_TOO_LARGE', setup: async (f) => ({ image: path.join(f, 'c.vhd'), parent: await makeDynamicWithMbr(path.join(f, 'p.vhd'), 2000 * MIB, 0x0e) }) },
  { name: 'FAT12 guest counts as FAT16', code: 'VM_E_IMAGE_SIZE_TOO_LARGE', setup: async (f) => ({ image: path.join(f, 'c.vhd'), parent: await makeDynamicWithMbr(path.join(f, 'p.vhd'), 3000 * MIB, 0x01) }) },
  { name: 'FAT32 guest under 514 MB', code: 'VM_E_IMAGE_SIZE_TOO_SMALL', setup: async (f) => ({ image: path.join(f, 'c.vhd'), parent: await makeFixedWithMbr(path.join(f, 'p.vhd'), 100 * MIB, 0x0b) }) },
  {
    name: 'FAT16 guest read through a differencing parent', code: 'VM_E_IMAGE_SIZE_TOO_LARGE',
    setup: async (f) => {
      const { basePath, midPath } = await chain(f, (file) => makeDynamicWithMbr(file, 2048 * MIB, 0x06));
      return { image: path.join(f, 'c.vhd'), parent: midPath, untouched: [basePath, midPath] };
    },
  },

  // ── destination ──
  {
    name: 'a file exists at imagePath', code: 'ERROR_ALREADY_EXISTS',
    setup: async (f) => {
      await writeFile(path.join(f, 'c.vhd'), 'mine');
      return { image: path.join(f, 'c.vhd'), parent: await base(f), untouched: [path.join(f, 'base.vhd'), path.join(f, 'c.vhd')] };
    },
  },
  {
    name: 'a folder exists at imagePath', code: 'ERROR_ALREADY_EXISTS',
    setup: async (f) => {
      await mkdir(path.join(f, 'c.vhd'));
      return { image: path.join(f, 'c.vhd'), parent: await base(f) };
    },
  },
  {
    name: 'a dangling symlink at imagePath', code: 'ERROR_ALREADY_EXISTS',
    setup: async (f) => {
      await symlink(path.join(f, 'nowhere'), path.join(f, 'c.vhd'));
      return { image: path.join(f, 'c.vhd'), parent: await base(f) };
    },
  },
  {
    name: 'a component of the image folder is a file', code: 'ERROR_PATH_NOT_FOUND',
    setup: async (f) => {
      await writeFile(path.join(f, 'file.txt'), 'x');
      return { image: path.join(f, 'file.txt/sub/c.vhd'), parent: await base(f), untouched: [path.join(f, 'base.vhd'), path.join(f, 'file.txt')] };
    },
  },
  {
    // 128 × '€' is 128 UTF-16 units (well under 260) but 384 bytes, over Linux's 255-byte name limit: the first
    // missing folder is created, the second cannot be — and the first must be removed again.
    name: 'image folder cannot be created after creating its parent folder', code: 'ERROR_PATH_NOT_FOUND',
    setup: async (f) => ({ image: path.join(f, 'new1', '€'.repeat(128), 'c.vhd'), parent: await base(f) }),
  },
  { name: 'ISO 9660 volume', code: 'ERROR_INVALID_DRIVE', setup: async (f) => ({ image: path.join(f, 'c.vhd'), parent: await base(f), volume: { fileSystem: 'iso9660' } }) },
  { name: 'UDF volume (nearest existing folder)', code: 'ERROR_INVALID_DRIVE', setup: async (f) => ({ image: path.join(f, 'new/c.vhd'), parent: await base(f), volume: { fileSystem: 'udf' } }) },
  { name: 'FAT32 host, image can grow past 4 GiB', code: 'VM_E_FILE_TOO_LARGE_FOR_VOLUME', setup: async (f) => ({ image: path.join(f, 'c.vhd'), parent: await base(f, 'p.vhd', 4 * GIB), volume: { fileSystem: 'fat32' } }) },
  { name: 'FAT16 host, image can grow past 2 GiB', code: 'VM_E_FILE_TOO_LARGE_FOR_VOLUME', setup: async (f) => ({ image: path.join(f, 'c.vhd'), parent: await base(f, 'p.vhd', 2 * GIB), volume: { fileSystem: 'fat16' } }) },
  { name: 'less than 8 MB free', code: 'ERROR_DISK_FULL', setup: async (f) => ({ image: path.join(f, 'c.vhd'), parent: await base(f), volume: { freeBytes: 8 * MIB - 1 } }) },
  { name: 'a probe failure is unexpected', code: 'DISP_E_EXCEPTION', setup: async (f) => ({ image: path.join(f, 'c.vhd'), parent: await base(f), volume: { throw: 'probe exploded' } }) },
  {
    name: 'hardware virtualization required but absent', code: 'VM_E_HARDWARE_VIRTUALIZATION_DISABLED',
    cliCode: HARDWARE_VIRTUALIZATION_PRESENT ? 'S_OK' : 'VM_E_HARDWARE_VIRTUALIZATION_DISABLED',
    setup: async (f) => ({
      image: path.join(f, 'c.vhd'), parent: await base(f), created: path.join(f, 'c.vhd'),
      api: { requireHardwareVirtualization: true, hardwareVirtualization: async () => 'absent' },
      cliArgs: ['--require-hardware-virtualization', path.join(f, 'c.vhd'), path.join(f, 'base.vhd')],
    }),
  },

  // ── the order of checks ──
  {
    name: 'order: missing parent before an existing image', code: 'ERROR_PATH_NOT_FOUND',
    setup: async (f) => {
      await writeFile(path.join(f, 'c.vhd'), 'x');
      return { image: path.join(f, 'c.vhd'), parent: path.join(f, 'nope.vhd'), untouched: [path.join(f, 'c.vhd')] };
    },
  },
  {
    name: 'order: size before an existing image', code: 'VM_E_IMAGE_SIZE_TOO_SMALL',
    setup: async (f) => {
      await writeFile(path.join(f, 'c.vhd'), 'x');
      const parent = await base(f, 'small.vhd', 2 * MIB);
      return { image: path.join(f, 'c.vhd'), parent, untouched: [parent, path.join(f, 'c.vhd')] };
    },
  },
  {
    name: 'order: existing image before a CD volume', code: 'ERROR_ALREADY_EXISTS',
    setup: async (f) => {
      await writeFile(path.join(f, 'c.vhd'), 'x');
      return { image: path.join(f, 'c.vhd'), parent: await base(f), volume: { fileSystem: 'iso9660' }, untouched: [path.join(f, 'base.vhd'), path.join(f, 'c.vhd')] };
    },
  },
  {
    name: 'order: CD volume before low free space', code: 'ERROR_INVALID_DRIVE',
    setup: async (f) => ({ image: path.join(f, 'c.vhd'), parent: await base(f), volume: { fileSystem: 'udf', freeBytes: 0 } }),
  },
  {
    name: 'order: file size limit before low free space', code: 'VM_E_FILE_TOO_LARGE_FOR_VOLUME',
    setup: async (f) => ({ image: path.join(f, 'c.vhd'), parent: await base(f, 'p.vhd', 5 * GIB), volume: { fileSystem: 'fat32', freeBytes: 0 } }),
  },
];

const folders = testFolder('vpc-diff-');

async function prepare(row: Row) {
  const folder = await folders.nextFolder();
  const scenario = await row.setup(folder);
  const untouchedPaths = scenario.untouched ?? (typeof scenario.parent === 'string' && (await isFile(path.resolve(folder, scenario.parent))) ? [path.resolve(folder, scenario.parent)] : []);
  const snapshots: FileSnapshot[] = [];
  for (const file of untouchedPaths) snapshots.push(await snapshot(file));
  return { folder, scenario, snapshots, treeBefore: await tree(folder) };
}

async function expectOutcome(folder: string, scenario: Scenario, snapshots: FileSnapshot[], treeBefore: string[], succeeded: boolean) {
  for (const before of snapshots) await expectUnchanged(before);
  if (succeeded) {
    const created = scenario.created!;
    const child = await readImageMetadata(created);
    expect(child.footer.diskType).toBe(4);
    const parentPath = typeof scenario.parent === 'string' ? path.resolve(path.dirname(created), scenario.parent) : '';
    const parent = await readImageMetadata(path.isAbsolute(String(scenario.parent)) ? String(scenario.parent) : parentPath);
    expect(uniqueIdToString(child.header!.parentUniqueId)).toBe(uniqueIdToString(parent.footer.uniqueId));
    expect(child.footer.currentSize).toBe(parent.footer.currentSize);
  } else {
    // Nothing new: no image, no temporary file, no folder left behind.
    expect(await tree(folder)).toEqual(treeBefore);
  }
}

describe('createDifferencingVirtualHardDisk: every row through the API', { timeout: 30_000 }, () => {
  for (const row of rows) it(`${row.name} → ${row.code}`, async () => {
    const { folder, scenario, snapshots, treeBefore } = await prepare(row);
    const volumeProbe = scenario.volume === undefined ? undefined
      : 'throw' in scenario.volume ? { probe: async () => { throw new Error((scenario.volume as { throw: string }).throw); } }
      : simulatedProbe(scenario.volume);
    const vpc = new VirtualPC({ ...(volumeProbe === undefined ? {} : { volumeProbe }), ...scenario.api });
    let outcome: HresultName;
    const task = vpc.createDifferencingVirtualHardDisk(scenario.image as string, scenario.parent as string);
    try {
      expect(task.description).toContain('differencing');
      const disk = await task;
      await expect(task.accepted).resolves.toBeUndefined();
      expect(task.isComplete).toBe(true);
      expect(task.result).toBe(0);
      expect(task.percentCompleted).toBe(100);
      expect(disk.path).toBe(scenario.created);
      outcome = 'S_OK';
    } catch (error) {
      expect(error).toBeInstanceOf(VpcError);
      const failure = error as VpcError;
      expect(failure.hresult).toBe(HRESULTS[row.code]);
      if (row.code === 'DISP_E_EXCEPTION') expect((failure.cause as Error).message).toBe('probe exploded');
      // The same VpcError is the task's error and its HRESULT the task's result.
      expect(task.error).toBe(failure);
      expect(task.result).toBe(failure.hresult);
      outcome = failure.code;
    }
    expect(outcome).toBe(row.code);
    await expectOutcome(folder, scenario, snapshots, treeBefore, outcome === 'S_OK');
  });
});

describe('vpc create-diff: every row through the CLI', { timeout: 30_000 }, () => {
  for (const row of rows) it(`${row.name} → ${row.code}`, async () => {
    const { folder, scenario, snapshots, treeBefore } = await prepare(row);
    const expected = row.cliCode ?? row.code;
    const args = ['create-diff', '--json', ...(scenario.cliArgs ?? [String(scenario.image), String(scenario.parent)])];
    const run = runVpc(args, { cwd: scenario.cwd ?? '/', ...(scenario.volume === undefined ? {} : { volume: scenario.volume }) });
    if (expected === 'S_OK') {
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const created = JSON.parse(run.stdout) as { path: string; type: string };
      expect(created).toMatchObject({ path: scenario.created, type: 'differencing' });
    } else {
      expect(run.status).toBe(1);
      const line = failureLine(run);
      expect(line, run.stderr).toBeDefined();
      expect(line!.name).toBe(expected);
      expect(line!.hresult).toBe(formatHresult(HRESULTS[expected]));
      expect(JSON.parse(run.stdout)).toEqual({ hresult: HRESULTS[expected], name: expected, message: line!.message });
    }
    await expectOutcome(folder, scenario, snapshots, treeBefore, expected === 'S_OK');
  });
});
