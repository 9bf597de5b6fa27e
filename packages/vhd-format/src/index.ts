/** @vhdkit/vhd-format: pure, byte-exact codecs for Microsoft VHD images. No Node imports. */
export {
  SECTOR_SIZE,
  FOOTER_SIZE,
  SHORT_FOOTER_SIZE,
  DYNAMIC_HEADER_SIZE,
  DEFAULT_BLOCK_SIZE,
  MAX_VIRTUAL_SIZE,
  UNUSED_BAT_ENTRY,
  FIXED_DATA_OFFSET,
  FOOTER_COOKIE,
  DYNAMIC_HEADER_COOKIE,
  VHD_FORMAT_VERSION,
  VHD_EPOCH_UNIX_SECONDS,
  MIN_BLOCK_SIZE,
  MAX_BLOCK_SIZE,
  MAX_TABLE_ENTRIES,
  MAX_LOCATOR_DATA_BYTES,
  MAX_PARENT_NAME_UNITS,
  PARENT_LOCATOR_COUNT,
  WINDOWS_ALIGNMENT,
  DiskType,
  diskTypeName,
  hasDynamicHeader,
} from './constants.js';
export type { DiskTypeName } from './constants.js';

export { VhdFormatError } from './errors.js';
export type { VhdFormatErrorCode, VhdFormatErrorOptions, FormatProblem, Lenient } from './errors.js';

export { FOOTER_FIELDS, DYNAMIC_HEADER_FIELDS, LOCATOR_ENTRY_FIELDS, LOCATOR_ENTRY_SIZE } from './field-tables.js';
export type { FieldKind, FieldSpec, FieldTable } from './field-tables.js';

export {
  decodeFooter,
  decodeFooterLenient,
  encodeFooter,
  createFooter,
  TOOLKIT_CREATOR_APPLICATION,
  TOOLKIT_CREATOR_VERSION,
  TOOLKIT_CREATOR_HOST_OS,
} from './footer.js';
export type { Footer, EncodeOptions, CreateFooterInit } from './footer.js';

export {
  decodeDynamicHeader,
  decodeDynamicHeaderLenient,
  encodeDynamicHeader,
  createDynamicHeader,
  isValidBlockSize,
} from './dynamic-header.js';
export type { DynamicHeader, HeaderContext, CreateDynamicHeaderInit } from './dynamic-header.js';

export {
  isUnusedLocator,
  locatorDataSpaceBytes,
  decodeLocatorPath,
  encodeLocatorPath,
  emptyLocatorEntry,
  UNUSED_PLATFORM_CODE,
} from './parent-locator.js';
export type { ParentLocatorEntry, LocatorPlatformCode } from './parent-locator.js';

export { batByteSize, decodeBat, decodeBatInPlace, encodeBat } from './bat.js';
export type { SwapWords } from './bat.js';
export { sectorBitmapByteSize, SectorBitmap } from './sector-bitmap.js';
export type { SectorRun } from './sector-bitmap.js';

export { computeChecksum, footerChecksumValid, headerChecksumValid } from './checksum.js';
export { geometryFromSize, sizeFromGeometry } from './geometry.js';
export type { Geometry } from './geometry.js';
export { vhdTimestampFromDate, dateFromVhdTimestamp, vhdSecondsOfModifiedTime } from './timestamp.js';
export { uniqueIdToString, uniqueIdFromString, randomUniqueId, uniqueIdsEqual } from './unique-id.js';

export { planDynamicLayout, blockOffsetForNewBlock, locatorDataSpace, locatorRegionOffset } from './layout.js';
export type { LocatorPlan, PlacedLocator, DynamicLayout } from './layout.js';
export { planPackedDynamicLayout, packedBlockOffset, fullBlockBitmap } from './packed-layout.js';
export type { PackedDynamicLayout, TablePlacement } from './packed-layout.js';

export { parseVhdStream } from './stream-parser.js';
export type { VhdStreamEvent, ParseVhdStreamOptions } from './stream-parser.js';
export type { ChunkSource, ParseStats } from './chunk-reader.js';

export type { RandomAccessSource, ReadOptions } from './source/random-access-source.js';
export { isValidVirtualSize, resizedFooter, tableEntriesFor, tableRegionEnd, regionsInTheWay } from './resize-plan.js';
export type { FileRegion } from './resize-plan.js';

export { httpSource } from './source/http-source.js';
export type { HttpSource, HttpSourceOptions } from './source/http-source.js';
export { BodyFiller, fetchTransport } from './source/http-transport.js';
export type { HttpHeaderLookup, RangeRequest, RangeResponse, RangeTransport } from './source/http-transport.js';
export { VhdSourceError } from './source/source-error.js';
export type { VhdSourceErrorCode, VhdSourceErrorDetails } from './source/source-error.js';
export { parentUrl } from './source/parent-url.js';

export { bytesSource } from './source/bytes-source.js';
export type { MemorySourceInit } from './source/bytes-source.js';
export { blobSource } from './source/blob-source.js';

export { readImage, blockGeometry, undecodedBat } from './image/read-image.js';
export type { VhdImage, ReadImageOptions, BlockGeometry, LocatorPath } from './image/read-image.js';
export { BlockPlacement, blockPlacementFault, metadataRegions, misplacedBlocks, misplacedError, referencedEnd } from './image/block-placement.js';
export type { ImageRegion } from './image/block-placement.js';
export { decodeTrailingFooter, decodeTrailingFooterStrict, usableFooterCopy } from './image/footer-search.js';
export type { TrailingFooter } from './image/footer-search.js';

export { MAX_CHAIN_DEPTH } from './chain/depth-limit.js';
export { VhdChainError } from './chain/chain-error.js';
export type { ChainFacts } from './chain/chain-error.js';
export { parentCandidates, isUrlName } from './chain/parent-candidates.js';
export type { ParentCandidate } from './chain/parent-candidates.js';
export { openImageChain, timestampMismatch, firstOpenable, pickedSources } from './chain/open-chain.js';
export type { ChainLayer, OpenImageChainOptions, ParentResolver } from './chain/open-chain.js';
export { heldRuns, blockStateOf } from './chain/sector-holder.js';
export type { BlockState, HeldRun } from './chain/sector-holder.js';
export { ChainReader } from './chain/chain-reader.js';

export { checkImage } from './check/check-image.js';
export type { CheckImageOptions, ImageCheck } from './check/check-image.js';
export { MAX_ISSUE_EXAMPLES } from './check/issue-list.js';
export type { CheckIssue, CheckSeverity } from './check/issue-list.js';
