/**
 * Child-process probe for csp.test.ts: decodes every image named on the command line with the BUILT package
 * (dist/), as a browser bundle would run it, and prints a JSON summary. The test runs it with and without
 * `--disallow-code-generation-from-strings` and compares. It also reports what run-time code generation does in
 * this process (`new Function`, and binary-parser's own parse path, which compiles with `new Function`).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Parser } from 'binary-parser';
import { decodeDynamicHeaderLenient, decodeFooterLenient, decodeLocatorPath, isUnusedLocator, parseVhdStream, uniqueIdToString } from '../../dist/index.js';

function outcome(action) {
  try {
    return `ok ${String(action())}`;
  } catch (error) {
    return `${error.name}: ${error.message}`;
  }
}

function footerSummary(footer) {
  return { diskType: footer.diskType, currentSize: footer.currentSize, uniqueId: uniqueIdToString(footer.uniqueId), dataOffset: String(footer.dataOffset), checksum: footer.checksum };
}

function headerSummary(header) {
  return {
    tableOffset: header.tableOffset,
    blockSize: header.blockSize,
    maxTableEntries: header.maxTableEntries,
    parentUnicodeName: header.parentUnicodeName,
    parentUniqueId: uniqueIdToString(header.parentUniqueId),
    locators: header.parentLocators.filter((entry) => !isUnusedLocator(entry)).map((entry) => ({ ...entry, reserved: entry.reserved })),
  };
}

async function summarise(file) {
  const bytes = new Uint8Array(readFileSync(file));
  // Lenient: some real images carry a bad checksum, which is part of what gets compared.
  const { value: footer, problems: footerProblems } = decodeFooterLenient(bytes.subarray(bytes.length - 512));
  const summary = { file, footer: footerSummary(footer), problems: footerProblems.map((problem) => problem.code) };
  if (footer.diskType === 2) return summary;
  const headerOffset = Number(footer.dataOffset);
  const { value: header, problems: headerProblems } = decodeDynamicHeaderLenient(bytes.subarray(headerOffset, headerOffset + 1024), { fileSize: bytes.length });
  summary.header = headerSummary(header);
  summary.problems.push(...headerProblems.map((problem) => problem.code));
  summary.locatorPaths = header.parentLocators
    .filter((entry) => !isUnusedLocator(entry))
    .map((entry) => decodeLocatorPath(entry.platformCode, bytes.subarray(entry.platformDataOffset, entry.platformDataOffset + entry.platformDataLength)));
  const blocks = createHash('sha256');
  const events = [];
  for await (const event of parseVhdStream([bytes.subarray(0, 700), bytes.subarray(700)], { lenient: true })) {
    events.push(event.kind);
    if (event.kind === 'block') blocks.update(event.data);
  }
  summary.streamEvents = events.join(',');
  summary.blockSha256 = blocks.digest('hex');
  return summary;
}

const images = [];
for (const file of process.argv.slice(2)) images.push(await summarise(file));
const binaryParserAtRunTime = outcome(() => new Parser().uint8('value').parse(new Uint8Array([7])).value);
const newFunction = outcome(() => new Function('return 1')());
console.log(JSON.stringify({ newFunction, binaryParserAtRunTime, images }));
