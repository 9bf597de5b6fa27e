// @ts-nocheck -- binary-parser output, emitted verbatim inside typed signatures.
/*
 * GENERATED FILE: do not edit. Source: src/field-tables.ts, compiled by binary-parser
 * 2.3.0 (Parser.getCode()) in scripts/generate-decoders.mjs.
 * Regenerate with `npm run generate -w @vhdkit/vhd-format`; the build and a test fail when this file is stale.
 */

/** The fields of FOOTER_FIELDS, by name: integers as numbers (u64 as bigint), the rest as views into `buffer`. */
export function decodeFooterFields(buffer: Uint8Array): Record<string, unknown> {
  var dataView = new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
  var offset = 0;
  var vars = {};
  vars.$parent = null;
  vars.$root = vars;
  vars.cookie = buffer.subarray(offset, offset + 8);
  offset += 8;
  vars.features = dataView.getUint32(offset, false);
  offset += 4;
  vars.formatVersion = dataView.getUint32(offset, false);
  offset += 4;
  vars.dataOffset = dataView.getBigUint64(offset, false);
  offset += 8;
  vars.timestamp = dataView.getUint32(offset, false);
  offset += 4;
  vars.creatorApplication = buffer.subarray(offset, offset + 4);
  offset += 4;
  vars.creatorVersion = dataView.getUint32(offset, false);
  offset += 4;
  vars.creatorHostOs = buffer.subarray(offset, offset + 4);
  offset += 4;
  vars.originalSize = dataView.getBigUint64(offset, false);
  offset += 8;
  vars.currentSize = dataView.getBigUint64(offset, false);
  offset += 8;
  vars.cylinders = dataView.getUint16(offset, false);
  offset += 2;
  vars.heads = dataView.getUint8(offset, false);
  offset += 1;
  vars.sectorsPerTrack = dataView.getUint8(offset, false);
  offset += 1;
  vars.diskType = dataView.getUint32(offset, false);
  offset += 4;
  vars.checksum = dataView.getUint32(offset, false);
  offset += 4;
  vars.uniqueId = buffer.subarray(offset, offset + 16);
  offset += 16;
  vars.savedState = dataView.getUint8(offset, false);
  offset += 1;
  vars.reserved = buffer.subarray(offset, offset + 427);
  offset += 427;
  delete vars.$parent;
  delete vars.$root;
  return vars;
}

/** The fields of DYNAMIC_HEADER_FIELDS, by name: integers as numbers (u64 as bigint), the rest as views into `buffer`. */
export function decodeDynamicHeaderFields(buffer: Uint8Array): Record<string, unknown> {
  var dataView = new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
  var offset = 0;
  var vars = {};
  vars.$parent = null;
  vars.$root = vars;
  vars.cookie = buffer.subarray(offset, offset + 8);
  offset += 8;
  vars.dataOffset = dataView.getBigUint64(offset, false);
  offset += 8;
  vars.tableOffset = dataView.getBigUint64(offset, false);
  offset += 8;
  vars.headerVersion = dataView.getUint32(offset, false);
  offset += 4;
  vars.maxTableEntries = dataView.getUint32(offset, false);
  offset += 4;
  vars.blockSize = dataView.getUint32(offset, false);
  offset += 4;
  vars.checksum = dataView.getUint32(offset, false);
  offset += 4;
  vars.parentUniqueId = buffer.subarray(offset, offset + 16);
  offset += 16;
  vars.parentTimestamp = dataView.getUint32(offset, false);
  offset += 4;
  vars.reserved1 = dataView.getUint32(offset, false);
  offset += 4;
  vars.parentUnicodeName = buffer.subarray(offset, offset + 512);
  offset += 512;
  vars.parentLocators = buffer.subarray(offset, offset + 192);
  offset += 192;
  vars.reserved2 = buffer.subarray(offset, offset + 256);
  offset += 256;
  delete vars.$parent;
  delete vars.$root;
  return vars;
}

/** The fields of LOCATOR_ENTRY_FIELDS, by name: integers as numbers (u64 as bigint), the rest as views into `buffer`. */
export function decodeLocatorEntryFields(buffer: Uint8Array): Record<string, unknown> {
  var dataView = new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
  var offset = 0;
  var vars = {};
  vars.$parent = null;
  vars.$root = vars;
  vars.platformCode = buffer.subarray(offset, offset + 4);
  offset += 4;
  vars.platformDataSpace = dataView.getUint32(offset, false);
  offset += 4;
  vars.platformDataLength = dataView.getUint32(offset, false);
  offset += 4;
  vars.reserved = dataView.getUint32(offset, false);
  offset += 4;
  vars.platformDataOffset = dataView.getBigUint64(offset, false);
  offset += 8;
  delete vars.$parent;
  delete vars.$root;
  return vars;
}
