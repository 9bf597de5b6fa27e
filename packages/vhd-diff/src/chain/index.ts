export type {
  ByteRange,
  CheckIssue,
  CheckReport,
  CheckSeverity,
  MergeResult,
  OpenDiskOptions,
  ProgressOptions,
  VhdDisk,
} from './types.js';
export { openDisk } from './open-disk.js';
export { MAX_CHAIN_DEPTH } from './chain-depth.js';
export { resolveParentPath } from './resolve-parent.js';
export { readParentMetadata } from './parent-metadata.js';
export { merge } from './merge.js';
export { setParent } from './set-parent.js';
export { convert } from './convert.js';
export { copyDiskTo } from './copy-to.js';
export { check, repair } from './check.js';
