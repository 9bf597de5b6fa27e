#!/usr/bin/env node
/**
 * Compiles the field-table decoders at build time, so that nothing in src/ generates code at run time.
 *
 * binary-parser turns a Parser into JavaScript source and, on first parse, into a function with `new Function`,
 * which a strict Content-Security-Policy (`script-src 'self'`) or `node --disallow-code-generation-from-strings`
 * refuses. Here each Parser is built from its table in src/field-tables.ts and its `getCode()` is written into
 * src/generated/field-decoders.ts as a plain function.
 *
 *   node scripts/generate-decoders.mjs          rewrite src/generated/field-decoders.ts
 *   node scripts/generate-decoders.mjs --check  exit 1 when the committed file differs from what would be written
 *   node scripts/generate-decoders.mjs --print  write the text to stdout instead (the staleness test compares it)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from '@swc/core';
import { Parser } from 'binary-parser';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const tablesPath = join(packageDir, 'src', 'field-tables.ts');
const generatedPath = join(packageDir, 'src', 'generated', 'field-decoders.ts');

/** The tables to compile, and the function each becomes. */
const DECODERS = [
  { table: 'FOOTER_FIELDS', functionName: 'decodeFooterFields' },
  { table: 'DYNAMIC_HEADER_FIELDS', functionName: 'decodeDynamicHeaderFields' },
  { table: 'LOCATOR_ENTRY_FIELDS', functionName: 'decodeLocatorEntryFields' },
];

/** field-tables.ts holds only data and type imports: strip the types and load it as a module. */
async function loadFieldTables() {
  const { code } = transformSync(readFileSync(tablesPath, 'utf8'), {
    filename: tablesPath,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
  });
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}

/**
 * One Parser per table: integers big-endian, everything else (bytes and text) as a raw byte view that the record
 * codec copies or decodes. Gaps between fields are skipped.
 */
function parserForTable(name, table) {
  let parser = new Parser().endianness('big');
  let position = 0;
  for (const [field, spec] of Object.entries(table)) {
    if (spec.offset < position) throw new Error(`${name}.${field}: fields out of order or overlapping`);
    if (spec.offset > position) parser = parser.seek(spec.offset - position);
    if (spec.kind === 'u8') parser = parser.uint8(field);
    else if (spec.kind === 'u16') parser = parser.uint16be(field);
    else if (spec.kind === 'u32') parser = parser.uint32be(field);
    else if (spec.kind === 'u64') parser = parser.uint64be(field);
    else parser = parser.buffer(field, { length: spec.size });
    position = spec.offset + spec.size;
  }
  return parser;
}

function compiledBody(name, parser) {
  // getCode() is the body binary-parser would wrap in `new Function(imports, TextDecoder, …)`. Our parsers use no
  // assertions, formatters or strings, so the body must not reach for either; fail loudly if that ever changes.
  const context = parser.getContext('imports');
  if (context.imports.length > 0 || /\bimports\b|\bTextDecoder\b|\bconstructorFn\b/.test(context.code)) {
    throw new Error(`${name}: the generated decoder needs run-time imports; extend the generator before using them`);
  }
  if (context.code !== parser.getCode()) throw new Error(`${name}: getContext and getCode disagree`);
  return context.code
    .trimEnd()
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

/** The text of src/generated/field-decoders.ts. */
async function renderDecoders() {
  const tables = await loadFieldTables();
  const binaryParserVersion = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.resolve('binary-parser'))), '..', '..', 'package.json'), 'utf8')).version;
  const functions = DECODERS.map(({ table, functionName }) => {
    if (!tables[table]) throw new Error(`src/field-tables.ts has no ${table}`);
    const body = compiledBody(table, parserForTable(table, tables[table]));
    return [
      `/** The fields of ${table}, by name: integers as numbers (u64 as bigint), the rest as views into \`buffer\`. */`,
      `export function ${functionName}(buffer: Uint8Array): Record<string, unknown> {`,
      body,
      '}',
    ].join('\n');
  });
  return [
    '// @ts-nocheck -- binary-parser output, emitted verbatim inside typed signatures.',
    '/*',
    ' * GENERATED FILE: do not edit. Source: src/field-tables.ts, compiled by binary-parser',
    ` * ${binaryParserVersion} (Parser.getCode()) in scripts/generate-decoders.mjs.`,
    ' * Regenerate with `npm run generate -w @vhdkit/vhd-format`; the build and a test fail when this file is stale.',
    ' */',
    '',
    functions.join('\n\n'),
    '',
  ].join('\n');
}

async function main() {
  const expected = await renderDecoders();
  const where = relative(process.cwd(), generatedPath);
  if (process.argv.includes('--print')) {
    process.stdout.write(expected);
    return;
  }
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(generatedPath, 'utf8');
    } catch {
      // A missing file is stale too.
    }
    if (current !== expected) {
      console.error(`${where} is stale: run \`npm run generate -w @vhdkit/vhd-format\` and commit the result`);
      process.exit(1);
    }
    return;
  }
  writeFileSync(generatedPath, expected);
  console.log(`wrote ${where}`);
}

await main();
