// Chains shared by the read, merge and memory cases: a fully written dynamic parent from QEMU, and children
// made and written by this toolkit. Each returns the paths top-first, the expected raw content and its size.
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ours } from './ours.mjs';
import { applyWritesToRaw, qemuRawToDynamic, scatteredWrites, sha256File, writeRandomRaw, writeSparseRaw } from './images.mjs';

/** A dynamic parent of `sizeBytes` with every block written (qemu-img convert from random raw data). */
export function fullParent(ctx, sizeBytes) {
  return ctx.shared(`full-parent-${sizeBytes}`, async () => {
    const rawPath = join(ctx.workDir, `full-${sizeBytes}.raw`);
    const vhdPath = join(ctx.workDir, `full-${sizeBytes}.vhd`);
    const rawSha256 = await writeRandomRaw(rawPath, sizeBytes);
    qemuRawToDynamic(rawPath, vhdPath);
    return { rawPath, vhdPath, rawSha256, sizeBytes };
  });
}

async function writeThroughOurs(path, writes) {
  const { openDisk } = ours('diff', ['openDisk']);
  const disk = await openDisk(path, { writable: true });
  try {
    for (const { offset, data } of writes) await disk.write(data, offset);
    await disk.flush();
  } finally {
    await disk.close();
  }
}

/** Chain A: an empty differencing child over a fully written parent. The equivalent single image is the parent. */
export function childOverFullParent(ctx, sizeBytes) {
  return ctx.shared(`chain-a-${sizeBytes}`, async () => {
    const { createDifferencingDisk } = ours('diff', ['createDifferencingDisk']);
    const parent = await fullParent(ctx, sizeBytes);
    const childPath = join(ctx.workDir, `chain-a-${sizeBytes}-child.vhd`);
    await createDifferencingDisk(childPath, parent.vhdPath);
    return {
      paths: [childPath, parent.vhdPath],
      singleImagePath: parent.vhdPath,
      rawPath: parent.rawPath,
      rawSha256: parent.rawSha256,
      sizeBytes,
    };
  });
}

/** Chain B: three deep (fully written base, then two children with scattered writes through our openDisk). */
export function threeDeepChain(ctx, sizeBytes) {
  return ctx.shared(`chain-b-${sizeBytes}`, async () => {
    const { createDifferencingDisk } = ours('diff', ['createDifferencingDisk', 'openDisk']);
    const parent = await fullParent(ctx, sizeBytes);
    const middlePath = join(ctx.workDir, `chain-b-${sizeBytes}-middle.vhd`);
    const topPath = join(ctx.workDir, `chain-b-${sizeBytes}-top.vhd`);
    const middleWrites = scatteredWrites(sizeBytes, 48, 1);
    const topWrites = scatteredWrites(sizeBytes, 48, 2);
    await createDifferencingDisk(middlePath, parent.vhdPath);
    await writeThroughOurs(middlePath, middleWrites);
    await createDifferencingDisk(topPath, middlePath);
    await writeThroughOurs(topPath, topWrites);

    const rawPath = join(ctx.workDir, `chain-b-${sizeBytes}.raw`);
    const singleImagePath = join(ctx.workDir, `chain-b-${sizeBytes}-single.vhd`);
    await copyFile(parent.rawPath, rawPath);
    await applyWritesToRaw(rawPath, [...middleWrites, ...topWrites]);
    qemuRawToDynamic(rawPath, singleImagePath);
    return {
      paths: [topPath, middlePath, parent.vhdPath],
      singleImagePath,
      rawPath,
      rawSha256: await sha256File(rawPath),
      sizeBytes,
    };
  });
}

/**
 * A large, mostly sparse chain for the memory case: a parent with one 2 MiB block written in every 64 MiB
 * (1/32 of the disk holds data), and our child over it with scattered writes.
 */
export function sparseChain(ctx, sizeBytes) {
  return ctx.shared(`sparse-chain-${sizeBytes}`, async () => {
    const { createDifferencingDisk } = ours('diff', ['createDifferencingDisk', 'openDisk']);
    const rawPath = join(ctx.workDir, `sparse-${sizeBytes}.raw`);
    const parentPath = join(ctx.workDir, `sparse-${sizeBytes}.vhd`);
    const childPath = join(ctx.workDir, `sparse-${sizeBytes}-child.vhd`);
    await writeSparseRaw(rawPath, sizeBytes, { strideBytes: 64 * 1024 * 1024, dataBytes: 2 * 1024 * 1024 });
    qemuRawToDynamic(rawPath, parentPath);
    await createDifferencingDisk(childPath, parentPath);
    await writeThroughOurs(childPath, scatteredWrites(sizeBytes, 64, 3));
    return { paths: [childPath, parentPath], rawPath, sizeBytes };
  });
}
