export { VirtualPC, DEFAULT_MINIMUM_FREE_BYTES } from './virtual-pc.js';
export type { VirtualPCOptions, CreateTaskOptions, CreateDynamicTaskOptions, CompactTaskOptions, ImportTaskOptions } from './virtual-pc.js';
export { VMTask } from './task/vm-task.js';
export type { AcceptedWork, TaskChecks, TaskProgress, TaskStartOptions, TaskWork, VMTaskEvents } from './task/vm-task.js';
export type { CompactResult, CreatedDisk, ImportedDisk, ResizeResult } from '@vhdkit/vhd-diff';

export type { PathStyle } from './paths/path-style.js';
export { defaultPathStyle } from './paths/path-style.js';
export { MAX_PATH_UTF16_UNITS, invalidCharacterProblem, isAbsolutePath, namesAFolderProblem, resolvePair } from './paths/path-rules.js';
export type { PathProblem, ResolvedPair } from './paths/path-rules.js';
export { checkPathPair, checkSinglePath } from './create/path-checks.js';

export type { FileSystemKind, VolumeFacts, VolumeProbe } from './volume/volume-probe.js';
export { LinuxVolumeProbe, fatVariantFromVolumeSize } from './volume/linux-volume-probe.js';
export type { LinuxVolumeProbeOptions } from './volume/linux-volume-probe.js';
export { STATFS_MAGIC, fileSystemKindFromStatfsType, volumeFactsFromStatfs } from './volume/statfs-types.js';
export type { StatfsResult } from './volume/statfs-types.js';
export { fatVariantFromBootSector } from './volume/fat-boot-sector.js';
export type { FatVariant } from './volume/fat-boot-sector.js';
export { parseMountInfo, mountContaining } from './volume/mountinfo.js';
export type { MountEntry } from './volume/mountinfo.js';
export { maxFileBytesOn } from './volume/host-file-limits.js';

export { guestVolumeFormatFromFirstSector } from './guest/guest-volume-format.js';
export type { GuestFatFamily, GuestPartition, GuestVolumeFormat } from './guest/guest-volume-format.js';
export { MIN_VIRTUAL_SIZE_BYTES, MAX_FAT16_GUEST_SIZE_BYTES, MIN_FAT32_GUEST_SIZE_BYTES, sizeProblem } from './guest/size-rules.js';
export type { SizeProblem } from './guest/size-rules.js';

export { detectHardwareVirtualization, hardwareVirtualizationFromCpuInfo } from './hardware/virtualization.js';
export type { HardwareVirtualizationState } from './hardware/virtualization.js';

export { buildInfoReport, readImageInfo, readImageInfoWithMetadata, renderInfoText, resolvedChain } from './cli/info-report.js';
export type { ChainLink, FooterReport, HeaderReport, InfoReport, LocatorReport } from './cli/info-report.js';

export { VHD_IO_CODE_TO_HRESULT_NAME, VHD_IO_REASON_TO_HRESULT_NAME, failureDetail, hresultNameFor, toVpcError } from './errors/hresult-map.js';
export { VHD_IO_CODE_DETAILS, VHD_IO_REASON_DETAILS, USAGE_DETAILS_ES, usageErrorDetail, vhdIoErrorDetail } from './errors/details.js';
export type { UsageFacts, VhdIoFacts } from './errors/details.js';
export type { FailureContext } from './errors/hresult-map.js';
export { VpcError, formatHresult } from '@vhdkit/vpc-errors';
