/** Every footer and dynamic header field as table rows, at their offsets from the field tables. */
import { DYNAMIC_HEADER_FIELDS, diskTypeName, FIXED_DATA_OFFSET, FOOTER_FIELDS, uniqueIdToString } from '@vhdkit/vhd-format';
import type { DynamicHeader, Footer } from '@vhdkit/vhd-format';
import type { ChecksumState } from './checksums.js';
import type { FieldRow } from './dom.js';
import { bytesWithHuman, fourCc, hex32, version, vhdTime } from './format-values.js';

const F = FOOTER_FIELDS;
const H = DYNAMIC_HEADER_FIELDS;

export function footerRows(footer: Footer, checksum: ChecksumState): FieldRow[] {
  const { cylinders, heads, sectorsPerTrack } = footer.geometry;
  return [
    { field: 'cookie', offset: F.cookie.offset, value: fourCc(footer.cookie) },
    { field: 'features', offset: F.features.offset, value: hex32(footer.features), note: featureNote(footer.features) },
    { field: 'formatVersion', offset: F.formatVersion.offset, value: version(footer.formatVersion) },
    { field: 'dataOffset', offset: F.dataOffset.offset, value: dataOffsetText(footer.dataOffset) },
    { field: 'timestamp', offset: F.timestamp.offset, value: vhdTime(footer.timestamp) },
    { field: 'creatorApplication', offset: F.creatorApplication.offset, value: fourCc(footer.creatorApplication) },
    { field: 'creatorVersion', offset: F.creatorVersion.offset, value: version(footer.creatorVersion) },
    { field: 'creatorHostOs', offset: F.creatorHostOs.offset, value: fourCc(footer.creatorHostOs) },
    { field: 'originalSize', offset: F.originalSize.offset, value: bytesWithHuman(footer.originalSize) },
    { field: 'currentSize', offset: F.currentSize.offset, value: bytesWithHuman(footer.currentSize) },
    { field: 'geometry', offset: F.cylinders.offset, value: `${cylinders} cylinders, ${heads} heads, ${sectorsPerTrack} sectors per track`, note: `CHS size ${bytesWithHuman(cylinders * heads * sectorsPerTrack * 512)}` },
    { field: 'diskType', offset: F.diskType.offset, value: `${footer.diskType} (${diskTypeName(footer.diskType) ?? 'unknown'})` },
    checksumRow(F.checksum.offset, checksum),
    { field: 'uniqueId', offset: F.uniqueId.offset, value: uniqueIdToString(footer.uniqueId) },
    { field: 'savedState', offset: F.savedState.offset, value: String(footer.savedState), note: footer.savedState ? 'the disk was saved with a running VM' : '' },
    { field: 'reserved', offset: F.reserved.offset, value: reservedText(footer.reserved) },
  ];
}

export function headerRows(header: DynamicHeader, checksum: ChecksumState | undefined): FieldRow[] {
  return [
    { field: 'cookie', offset: H.cookie.offset, value: fourCc(header.cookie) },
    { field: 'dataOffset', offset: H.dataOffset.offset, value: dataOffsetText(header.dataOffset) },
    { field: 'tableOffset', offset: H.tableOffset.offset, value: String(header.tableOffset) },
    { field: 'headerVersion', offset: H.headerVersion.offset, value: version(header.headerVersion) },
    { field: 'maxTableEntries', offset: H.maxTableEntries.offset, value: header.maxTableEntries.toLocaleString('en-US') },
    { field: 'blockSize', offset: H.blockSize.offset, value: bytesWithHuman(header.blockSize) },
    ...(checksum ? [checksumRow(H.checksum.offset, checksum)] : []),
    { field: 'parentUniqueId', offset: H.parentUniqueId.offset, value: uniqueIdToString(header.parentUniqueId) },
    { field: 'parentTimestamp', offset: H.parentTimestamp.offset, value: vhdTime(header.parentTimestamp) },
    { field: 'reserved1', offset: H.reserved1.offset, value: hex32(header.reserved1) },
    { field: 'parentUnicodeName', offset: H.parentUnicodeName.offset, value: header.parentUnicodeName === '' ? '(none)' : header.parentUnicodeName },
    { field: 'reserved2', offset: H.reserved2.offset, value: reservedText(header.reserved2) },
  ];
}

function checksumRow(offset: number, checksum: ChecksumState): FieldRow {
  return checksum.valid
    ? { field: 'checksum', offset, value: hex32(checksum.stored), note: 'valid' }
    : { field: 'checksum', offset, value: hex32(checksum.stored), note: `INVALID (the bytes sum to ${hex32(checksum.computed)})`, bad: true };
}

function featureNote(features: number): string {
  const notes = [];
  if (features & 1) notes.push('temporary');
  if (features & 2) notes.push('reserved bit set');
  return notes.join(', ');
}

function dataOffsetText(offset: bigint): string {
  return offset === FIXED_DATA_OFFSET ? '0xffffffffffffffff (none)' : String(offset);
}

function reservedText(bytes: Uint8Array): string {
  const nonZero = bytes.reduce((count, byte) => count + (byte === 0 ? 0 : 1), 0);
  return nonZero === 0 ? `${bytes.length} bytes, all zero` : `${bytes.length} bytes, ${nonZero} not zero`;
}
