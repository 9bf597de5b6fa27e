/**
 * The parts of vhd-format the facade needs, re-exported so that vpc-api depends on vhd-diff only
 * (vpc-api → vhd-diff → vhd-format; enforced by lint in .oxlintrc.json).
 */
export {
  DEFAULT_BLOCK_SIZE,
  DYNAMIC_HEADER_SIZE,
  FIXED_DATA_OFFSET,
  FOOTER_SIZE,
  MAX_CHAIN_DEPTH,
  MAX_VIRTUAL_SIZE,
  SECTOR_SIZE,
  UNUSED_BAT_ENTRY,
  VhdFormatError,
  VhdSourceError,
  blockOffsetForNewBlock,
  dateFromVhdTimestamp,
  diskTypeName,
  encodeDynamicHeader,
  encodeFooter,
  footerChecksumValid,
  headerChecksumValid,
  isUnusedLocator,
  locatorDataSpaceBytes,
  planDynamicLayout,
  undecodedBat,
  uniqueIdToString,
} from '@vhdkit/vhd-format';
export type { DiskTypeName, DynamicHeader, Footer, ParentResolver, RandomAccessSource, VhdFormatErrorCode, VhdSourceErrorCode } from '@vhdkit/vhd-format';
