export { VhdIoError, type VhdIoErrorCode, type VhdIoErrorOptions, type VhdIoErrorParams } from './errors.js';
export { readImageMetadata, type ImageMetadata, type ReadMetadataOptions } from './metadata.js';
export { windowsAbsolutePath, windowsRelativePath } from './paths.js';
export type { CreateOptions, CreatedDisk, WriteProgress } from './create/types.js';
export { createDifferencingDisk } from './create/differencing.js';
export { createDynamicDisk } from './create/dynamic.js';
export { createFixedDisk } from './create/fixed.js';
export * from './chain/index.js';
