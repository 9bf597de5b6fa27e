import { resolve } from 'node:path';
import {
  DEFAULT_BLOCK_SIZE,
  DiskType,
  MAX_VIRTUAL_SIZE,
  createFooter,
  diskTypeName,
  randomUniqueId,
  uniqueIdToString,
} from '@vhdkit/vhd-format';
import { VhdIoError, throwIfAborted } from '../errors.js';
import { readImageMetadata, type ImageMetadata } from '../metadata.js';
import { locatorPathProblem, pathApiFor, windowsAbsolutePath, windowsRelativePath } from '../paths.js';
import { TOOLKIT_CREATOR, vhdSecondsOf } from './creator.js';
import { planDynamicImage, type DynamicImagePlan, type LocatorCode } from './dynamic-image.js';
import { checkUniqueId } from './sizes.js';
import type { CreateOptions, CreatedDisk } from './types.js';
import { writeImageFile } from './write-image.js';
import { requireRoomInChain } from '../chain/chain-depth.js';

/**
 * Creates an empty differencing child of `parent` (a path, or metadata already read with readImageMetadata) at
 * `imagePath`, as Windows would (docs/format.md#differencing-child). The parent is only read, never written, and its times are left
 * alone. Throws VhdIoError 'ALREADY_EXISTS' rather than replace an existing file.
 */
export async function createDifferencingDisk(
  imagePath: string,
  parent: string | ImageMetadata,
  options: CreateOptions = {},
): Promise<CreatedDisk> {
  const childPath = resolve(imagePath);
  throwIfAborted(options.signal, childPath);
  const parentMetadata = typeof parent === 'string' ? await readImageMetadata(parent, { bat: false }) : parent;
  const plan = planDifferencingChild(childPath, parentMetadata, options);
  await requireRoomInChain(parentMetadata);
  await writeImageFile(childPath, plan.file, options);
  return plan.created;
}

export interface DifferencingChildPlan {
  file: DynamicImagePlan;
  created: CreatedDisk;
}

/** Everything about the child that follows from the parent, the child's path and the options — no I/O. */
export function planDifferencingChild(childPath: string, parent: ImageMetadata, options: CreateOptions = {}): DifferencingChildPlan {
  const parentPath = pathApiFor(parent.path).resolve(parent.path);
  checkParent(parent, parentPath);
  const { footer: parentFooter } = parent;

  const uniqueId = checkUniqueId(options.uniqueId ?? randomUniqueId(), childPath);
  const footer = createFooter({
    diskType: DiskType.Differencing,
    // Copied exactly, so every reader (QEMU included, which may use the geometry) sees the parent's size.
    currentSize: parentFooter.currentSize,
    originalSize: parentFooter.originalSize,
    geometry: parentFooter.geometry,
    uniqueId,
    timestamp: vhdSecondsOf(options.now ?? new Date(), childPath),
    ...TOOLKIT_CREATOR,
  });
  // A fixed parent has no block size of its own; 2 MiB is what Windows uses.
  const blockSize = parent.header?.blockSize ?? DEFAULT_BLOCK_SIZE;
  const locators = locatorsFor(childPath, parentPath);
  const file = planDynamicImage(
    {
      footer,
      blockSize,
      parent: {
        uniqueId: parentFooter.uniqueId,
        // The parent file's modification time: Windows and vhd-util compare it when opening the chain.
        timestamp: vhdSecondsOf(parent.mtime, parentPath),
        // The specification's choice (the file name); Windows writes the full path, readers accept either.
        unicodeName: pathApiFor(parentPath).basename(parentPath),
        locators,
      },
    },
    childPath,
  );
  return {
    file,
    created: {
      path: childPath,
      diskType: 'differencing',
      virtualSize: footer.currentSize,
      fileSize: file.fileSize,
      blockSize,
      uniqueId,
      uniqueIdText: uniqueIdToString(uniqueId),
      parent: { path: parentPath, uniqueIdText: uniqueIdToString(parentFooter.uniqueId), locators },
    },
  };
}

function checkParent(parent: ImageMetadata, parentPath: string): void {
  const typeName = diskTypeName(parent.footer.diskType);
  if (typeName === undefined) {
    throw new VhdIoError('UNSUPPORTED', `${parentPath} has disk type ${parent.footer.diskType}, which cannot be a parent`, { path: parentPath });
  }
  if (typeName !== 'fixed' && parent.header === undefined) {
    throw new VhdIoError('CORRUPT', `${parentPath} is a ${typeName} image but its dynamic header was not read`, { path: parentPath });
  }
  // Windows refuses a chain whose parent is damaged; a child of it would be a trap. Repair the parent first.
  const damage = parent.problems.filter((problem) => problem.severity === 'error');
  if (damage.length > 0) {
    throw new VhdIoError('CORRUPT', `${parentPath} is damaged (${damage.map((problem) => problem.message).join('; ')}); repair it before creating a child`, {
      path: parentPath,
    });
  }
  const { currentSize } = parent.footer;
  if (currentSize <= 0) {
    throw new VhdIoError('SIZE_TOO_SMALL', `${parentPath} has a virtual size of ${currentSize} bytes`, { path: parentPath });
  }
  if (currentSize > MAX_VIRTUAL_SIZE) {
    throw new VhdIoError('SIZE_TOO_LARGE', `${parentPath} is larger than the VHD maximum of 2040 GiB`, { path: parentPath });
  }
  const pathProblem = locatorPathProblem(parentPath);
  if (pathProblem) throw new VhdIoError('UNSUPPORTED', `cannot point a child at its parent: ${pathProblem}`, { path: parentPath });
}

/** W2ku (absolute) always; W2ru (relative to the child's folder) when one exists — not across drive letters. */
function locatorsFor(childPath: string, parentPath: string): { platformCode: LocatorCode; path: string }[] {
  const locators: { platformCode: LocatorCode; path: string }[] = [{ platformCode: 'W2ku', path: windowsAbsolutePath(parentPath) }];
  const relative = windowsRelativePath(pathApiFor(childPath).dirname(childPath), parentPath);
  if (relative !== undefined) locators.push({ platformCode: 'W2ru', path: relative });
  return locators;
}
