// The parts of vhd-diff that chains build on (metadata, the error class, paths, creation, atomic publication),
// gathered in one seam so chain modules do not depend on how the rest of the package is split into files.
export { VhdIoError, throwIfAborted } from '../errors.js';
export type { VhdIoErrorCode } from '../errors.js';
export { openReadOnly, readImageMetadata } from '../metadata.js';
export type { ImageMetadata } from '../metadata.js';
export { windowsAbsolutePath, windowsRelativePath } from '../paths.js';
export { temporaryPathFor } from '../publish.js';
export type { CreatedDisk, WriteProgress } from '../create/types.js';
export { createDynamicDisk } from '../create/dynamic.js';
export { createFixedDisk } from '../create/fixed.js';
