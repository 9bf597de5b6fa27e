import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { interop, sha256Bytes, sharedFixtures, testFolder } from '@vhdkit/test-support';
import { createFixedDisk, openDisk, readImageMetadata } from '@vhdkit/vhd-diff';
import { dateFromVhdTimestamp, uniqueIdToString } from '@vhdkit/vhd-format';
import { messageFor } from '@vhdkit/vpc-errors';
import { CLI_BIN, MIB, PACKAGE_ROOT, failureLine, makeDynamic, runVpc, snapshot, spawnVpc, expectUnchanged } from './helpers.js';

const qemuImg = interop('qemu-img');
const qemuIo = interop('qemu-io');
const fixtures = sharedFixtures();

const folder = testFolder('vpc-cli-').nextFolder;

/** Deterministic bytes: distinguishable from zeros and from other patterns. */
function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let index = 0; index < length; index++) bytes[index] = (index * 31 + seed * 17 + (index >> 9)) & 0xff || 1;
  return bytes;
}

/** The detail after the catalogue message, in the given language. */
function detailOf(run: ReturnType<typeof runVpc>, lang: 'en' | 'es'): string {
  const line = failureLine(run)!;
  const prefix = `${messageFor(line.name as 'E_INVALIDARG', lang)}: `;
  expect(line.message.startsWith(prefix), line.message).toBe(true);
  return line.message.slice(prefix.length);
}

/** `Label:   value` lines of the text output. */
function textFields(stdout: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const match = /^([A-Z][A-Za-z ()/]+):\s+(.*)$/.exec(line);
    if (match !== null) fields.set(match[1]!, match[2]!);
  }
  return fields;
}

const hex32 = (value: number): string => `0x${value.toString(16).padStart(8, '0')}`;

/** The issue codes of `vpc check` text output, in order. */
function issueCodes(stdout: string): (string | undefined)[] {
  return stdout.split('\n').filter((line) => /^\S+ [A-Z_]+: /.test(line)).map((line) => line.split(' ')[1]);
}

describe('help, version and usage errors', { timeout: 30_000 }, () => {
  it('--help lists every command; <command> --help describes it; --version prints the package version', async () => {
    const help = runVpc(['--help']);
    expect(help.status).toBe(0);
    for (const command of ['create-diff', 'create', 'info', 'cat', 'write', 'merge', 'set-parent', 'convert', 'check']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
    const createHelp = runVpc(['create', '--help']);
    expect(createHelp.status).toBe(0);
    expect(createHelp.stdout).toContain('--size <size>');
    expect(createHelp.stdout).toContain('--block-size <size>');
    const version = runVpc(['--version']);
    const manifest = JSON.parse(await readFile(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
    expect(version.stdout.trim()).toBe(manifest.version);
    // The bin is a committed shim (npm links bins before the build creates dist/); it runs the built CLI.
    const bin = path.resolve(PACKAGE_ROOT, manifest.bin.vpc!);
    expect((await stat(bin)).mode & 0o111).not.toBe(0);
    const viaBin = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
    expect(viaBin.stdout.trim()).toBe(manifest.version);
  });

  it('an unknown command or option fails with the error line format', () => {
    const unknown = runVpc(['frobnicate']);
    expect(unknown.status).toBe(1);
    expect(failureLine(unknown)).toMatchObject({ hresult: '0x80070057', name: 'E_INVALIDARG' });
    const badOption = runVpc(['info', '--nope', '/x.vhd', '--json']);
    expect(badOption.status).toBe(1);
    expect(failureLine(badOption)?.name).toBe('E_INVALIDARG');
  });
});

describe('messages in Spanish', { timeout: 30_000 }, () => {
  it.each([
    ['--lang es', { args: ['--lang', 'es'], env: {} }],
    ['LANG=es_ES.UTF-8', { args: [], env: { LANG: 'es_ES.UTF-8' } }],
  ])('%s', async (_name, { args, env }) => {
    const dir = await folder();
    const parent = await makeDynamic(path.join(dir, 'p.vhd'), 8 * MIB);
    await writeFile(path.join(dir, 'c.vhd'), 'x');
    const run = runVpc(['create-diff', ...args, '--json', path.join(dir, 'c.vhd'), parent], { env });
    expect(run.status).toBe(1);
    const line = failureLine(run)!;
    expect(line.name).toBe('ERROR_ALREADY_EXISTS');
    expect(line.message.startsWith(messageFor('ERROR_ALREADY_EXISTS', 'es'))).toBe(true);
    expect(JSON.parse(run.stdout).message).toBe(line.message);
  });

  it('details from vhd-diff are Spanish too: a parent that is not a VHD, merge of a dynamic disk, a foreign parent, a write past the end', async () => {
    const dir = await folder();
    const junk = path.join(dir, 'junk.vhd');
    await writeFile(junk, new Uint8Array(4096).fill(0x41));
    const notVhd = runVpc(['--lang', 'es', 'create-diff', path.join(dir, 'c.vhd'), junk]);
    expect(failureLine(notVhd)?.name).toBe('VM_E_INVALID_HD_FILE');
    expect(detailOf(notVhd, 'es')).toBe(`${junk}: ${junk} no es un VHD válido: no hay pie VHD al final del archivo (la firma (cookie) no es la esperada)`);
    expect(notVhd.stderr.split('\n')).toHaveLength(2); // no English "cause:" line
    const notVhdEnglish = runVpc(['create-diff', path.join(dir, 'c.vhd'), junk], { env: { LANG: 'C' } });
    expect(detailOf(notVhdEnglish, 'en')).toBe(`${junk}: ${junk} is not a valid VHD: no VHD footer at the end of the file: footer cookie is "AAAAAAAA", not "conectix"`);

    const dynamic = await makeDynamic(path.join(dir, 'd.vhd'), 5 * MIB);
    const mergeEs = runVpc(['merge', dynamic], { env: { LANG: 'es_MX.UTF-8' } });
    expect(failureLine(mergeEs)).toMatchObject({ hresult: '0xA004067B', name: 'VM_E_WRONG_HD_IMAGE_TYPE' });
    expect(detailOf(mergeEs, 'es')).toBe('solo una imagen de diferenciación se puede combinar con su primario; esta es dinámica');
    const mergeEn = runVpc(['merge', dynamic]);
    expect(failureLine(mergeEn)?.name).toBe('VM_E_WRONG_HD_IMAGE_TYPE');
    expect(detailOf(mergeEn, 'en')).toBe('only a differencing image can be merged into its parent; this one is dynamic');

    const child = path.join(dir, 'child.vhd');
    expect(runVpc(['create-diff', '-q', child, dynamic]).status).toBe(0);
    const other = await makeDynamic(path.join(dir, 'other.vhd'), 5 * MIB);
    const otherId = uniqueIdToString((await readImageMetadata(other)).footer.uniqueId);
    const dynamicId = uniqueIdToString((await readImageMetadata(dynamic)).footer.uniqueId);
    const setParentEs = runVpc(['--lang', 'es', 'set-parent', child, other]);
    expect(failureLine(setParentEs)?.name).toBe('VM_E_PARENT_CHILD_ID_MISMATCH');
    expect(detailOf(setParentEs, 'es')).toBe(`${other} tiene el identificador único ${otherId}, pero el hijo espera ${dynamicId} (con --force se compara el contenido)`);
    const setParentEn = runVpc(['set-parent', child, other]);
    expect(detailOf(setParentEn, 'en')).toBe(`${other} has unique id ${otherId} but the child expects ${dynamicId} (use force to compare contents instead)`);

    const writeEs = runVpc(['--lang', 'es', 'write', dynamic, '--offset', '5M'], { input: Buffer.from('hello') });
    expect(failureLine(writeEs)?.name).toBe('E_INVALIDARG');
    expect(detailOf(writeEs, 'es')).toBe(`la escritura de 5 bytes en ${5 * MIB} pasa del final del disco de ${5 * MIB} bytes`);
    const writeEn = runVpc(['write', dynamic, '--offset', '5M'], { input: Buffer.from('hello') });
    expect(detailOf(writeEn, 'en')).toBe(`write of 5 bytes at ${5 * MIB} passes the end of the ${5 * MIB}-byte disk`);
  });

  it.each([
    // Each says what is valid (the commands, the usage line) and where the help is.
    [
      'unknown command', ['bogus'],
      "orden desconocida 'bogus'; órdenes: create-diff, create, info, cat, write, merge, set-parent, convert, check, resize, compact, import, export; más información: 'vpc --help'",
      "unknown command 'bogus'; commands: create-diff, create, info, cat, write, merge, set-parent, convert, check, resize, compact, import, export; see 'vpc --help'",
    ],
    [
      'missing argument', ['info'],
      "falta el argumento obligatorio 'image'; uso: vpc info [options] <image>; más información: 'vpc info --help'",
      "missing required argument 'image'; usage: vpc info [options] <image>; see 'vpc info --help'",
    ],
    ['unknown option', ['info', '--bogus', '/x.vhd'], "opción desconocida '--bogus'; más información: 'vpc info --help'", "unknown option '--bogus'; see 'vpc info --help'"],
    [
      'missing required option', ['create', '/x.vhd'],
      "falta la opción obligatoria '--size <size>'; uso: vpc create [options] <path>; más información: 'vpc create --help'",
      "required option '--size <size>' not specified; usage: vpc create [options] <path>; see 'vpc create --help'",
    ],
    [
      'too many arguments', ['info', 'a', 'b'],
      "demasiados argumentos para 'info': se esperaban 1 y se recibieron 2; uso: vpc info [options] <image>; más información: 'vpc info --help'",
      "too many arguments for 'info'. Expected 1 argument but got 2; usage: vpc info [options] <image>; see 'vpc info --help'",
    ],
  ])('usage error, %s: E_INVALIDARG with a Spanish detail', (_name, args, spanish, english) => {
    const es = runVpc(['--lang', 'es', ...args]);
    expect(es.status).toBe(1);
    expect(failureLine(es)?.name).toBe('E_INVALIDARG');
    expect(detailOf(es, 'es')).toBe(spanish);
    const en = runVpc(args, { env: { LANG: 'en_US.UTF-8' } });
    expect(detailOf(en, 'en')).toBe(english);
  });

  it('--lang accepts only en and es', () => {
    const french = runVpc(['--lang', 'fr', 'info', '/x.vhd'], { env: { LANG: 'C' } });
    expect(french.status).toBe(1);
    expect(failureLine(french)?.name).toBe('E_INVALIDARG');
    expect(detailOf(french, 'en')).toBe("option '--lang <language>' argument 'fr' is invalid. Allowed choices are en, es; see 'vpc info --help'");
    const frenchUnderSpanishLocale = runVpc(['--json', '--lang=fr', 'info', '/x.vhd'], { env: { LANG: 'es_ES.UTF-8' } });
    expect(detailOf(frenchUnderSpanishLocale, 'es')).toBe("el valor 'fr' de la opción '--lang <language>' no es válido; se admite: en, es; más información: 'vpc info --help'");
    expect(JSON.parse(frenchUnderSpanishLocale.stdout)).toMatchObject({ hresult: 0x80070057, name: 'E_INVALIDARG' });
  });

  it('vpc check reports its issues in Spanish', async () => {
    const dir = await folder();
    const image = await makeDynamic(path.join(dir, 'd.vhd'), 8 * MIB);
    expect(runVpc(['--lang', 'es', 'check', image]).stdout).toBe(`${image}: sin problemas\n`);
    const bytes = await readFile(image);
    bytes[500] ^= 0xff; // the footer copy at offset 0 no longer equals the trailing footer
    await writeFile(image, bytes);
    const english = runVpc(['check', image], { env: { LANG: 'C' } });
    expect(english.status).toBe(2);
    expect(english.stdout).toContain('error FOOTER_COPY_MISMATCH: the footer copy at offset 0 differs from the footer at the end');
    expect(english.stdout).toContain(`${image}: problems found`);
    const spanish = runVpc(['check', image], { env: { LANG: 'es_ES.UTF-8' } });
    expect(spanish.status).toBe(2);
    // The same issues in the same order, each with a Spanish severity and text.
    expect(issueCodes(spanish.stdout)).toEqual(issueCodes(english.stdout));
    expect(issueCodes(spanish.stdout).length).toBeGreaterThan(0);
    expect(spanish.stdout.split('\n').at(-2)).toBe(`${image}: se encontraron problemas`);
    expect(spanish.stdout).toContain('error FOOTER_COPY_MISMATCH: la copia del pie en el desplazamiento 0 no coincide con el pie del final');
    expect(spanish.stdout).not.toMatch(/differs|footer/);
    const repaired = runVpc(['--lang', 'es', 'check', '--repair', image]);
    expect(repaired.status).toBe(0);
    expect(repaired.stdout).toContain('reparado FOOTER_COPY_MISMATCH: la copia del pie');
    expect(repaired.stdout).toContain(`${image}: sin problemas`);
  });

  it('English otherwise', async () => {
    const run = runVpc(['info', '/definitely/not/here.vhd'], { env: { LANG: 'en_US.UTF-8' } });
    expect(run.status).toBe(1);
    expect(failureLine(run)!.message.startsWith(messageFor(failureLine(run)!.name as 'ERROR_FILE_NOT_FOUND', 'en'))).toBe(true);
  });
});

describe('vpc info', { timeout: 30_000 }, () => {
  it('--json has exactly the documented shape, with the facts of the files', async () => {
    const dir = await folder();
    const parent = await makeDynamic(path.join(dir, 'base.vhd'), 16 * MIB);
    expect(runVpc(['create-diff', '--quiet', 'child.vhd', parent], { cwd: dir }).status).toBe(0);
    const run = runVpc(['info', '--json', 'child.vhd'], { cwd: dir });
    expect(run.status, run.stderr).toBe(0);
    const info = JSON.parse(run.stdout) as Record<string, unknown>;
    const keys = Object.keys(info);
    keys.sort();
    expect(keys).toEqual([
      'allocatedBlocks', 'blockSize', 'chain', 'creatorApplication', 'creatorHostOs', 'creatorVersion', 'fileSize', 'footer', 'geometry',
      'header', 'maxTableEntries', 'originalSize', 'parent', 'path', 'timestamp', 'type', 'uniqueId', 'virtualSize',
    ]);
    const child = await readImageMetadata(path.join(dir, 'child.vhd'));
    const base = await readImageMetadata(parent);
    expect(info).toEqual({
      path: path.join(dir, 'child.vhd'),
      fileSize: (await stat(path.join(dir, 'child.vhd'))).size,
      type: 'differencing',
      virtualSize: 16 * MIB,
      originalSize: 16 * MIB,
      geometry: child.footer.geometry,
      uniqueId: uniqueIdToString(child.footer.uniqueId),
      timestamp: dateFromVhdTimestamp(child.footer.timestamp).toISOString(),
      creatorApplication: 'vhdk',
      creatorVersion: child.footer.creatorVersion,
      creatorHostOs: child.footer.creatorHostOs,
      blockSize: 2 * MIB,
      maxTableEntries: 8,
      allocatedBlocks: 0,
      footer: {
        cookie: 'conectix', features: 2, formatVersion: 0x10000, dataOffset: 512,
        checksum: child.footer.checksum, checksumValid: true, savedState: 0,
      },
      header: {
        cookie: 'cxsparse', dataOffset: null, tableOffset: child.header!.tableOffset, headerVersion: 0x10000,
        checksum: child.header!.checksum, checksumValid: true,
      },
      parent: {
        uniqueId: uniqueIdToString(base.footer.uniqueId),
        timestamp: dateFromVhdTimestamp(child.header!.parentTimestamp).toISOString(),
        unicodeName: 'base.vhd',
        locators: [
          { platformCode: 'W2ku', dataSpace: 4096, dataLength: 2 * `${dir}/base.vhd`.length, dataOffset: 4096, path: `${dir}/base.vhd`.replaceAll('/', '\\') },
          { platformCode: 'W2ru', dataSpace: 65536, dataLength: 2 * '.\\base.vhd'.length, dataOffset: expect.any(Number), path: '.\\base.vhd' },
        ],
        resolvedPath: parent,
      },
      chain: [{ path: path.join(dir, 'child.vhd'), type: 'differencing' }, { path: parent, type: 'dynamic' }],
    });
    expect(new Date(info.timestamp as string).getTime()).toBeGreaterThan(Date.now() - 600_000);
    // The text form shows the same facts and the chain.
    const text = runVpc(['info', path.join(dir, 'child.vhd')]);
    expect(text.stdout).toContain(`Chain:                    ${path.join(dir, 'child.vhd')} -> ${parent} (dynamic)`);
    expect(text.stdout).toContain(`Parent resolved to:       ${parent}`);
    expect(text.stdout).toContain(`  "W2ru": "${'.\\\\base.vhd'}" (data offset ${child.header!.parentLocators[1]!.platformDataOffset}, length 20 bytes, space 65536 bytes)`);
  });

  it('text output shows every footer and header field of a dynamic image, with checksum validity', async () => {
    const dir = await folder();
    const image = await makeDynamic(path.join(dir, 'd.vhd'), 5 * MIB);
    const metadata = await readImageMetadata(image);
    const run = runVpc(['info', image]);
    expect(run.status, run.stderr).toBe(0);
    const fields = textFields(run.stdout);
    expect(Object.fromEntries(fields)).toEqual({
      'Path': image,
      'File size': `${metadata.fileSize} bytes`,
      'Cookie': '"conectix"',
      'Features': '0x00000002',
      'Format version': '0x00010000',
      'Data offset': '512',
      'Timestamp': `${dateFromVhdTimestamp(metadata.footer.timestamp).toISOString()} (${metadata.footer.timestamp} VHD seconds)`,
      'Creator application': '"vhdk"',
      'Creator version': hex32(metadata.footer.creatorVersion),
      'Creator host OS': JSON.stringify(metadata.footer.creatorHostOs),
      'Original size': `${5 * MIB} bytes`,
      'Current size': `${5 * MIB} bytes`,
      'Geometry (C/H/S)': `${metadata.footer.geometry.cylinders}/${metadata.footer.geometry.heads}/${metadata.footer.geometry.sectorsPerTrack}`,
      'Disk type': 'dynamic (3)',
      'Checksum': `${hex32(metadata.footer.checksum)} (valid)`,
      'Unique id': uniqueIdToString(metadata.footer.uniqueId),
      'Saved state': '0',
      'Header cookie': '"cxsparse"',
      'Header data offset': '0xffffffffffffffff',
      'Table offset': String(metadata.header!.tableOffset),
      'Header version': '0x00010000',
      'Max table entries': '3',
      'Block size': `${2 * MIB} bytes`,
      'Header checksum': `${hex32(metadata.header!.checksum)} (valid)`,
      'Parent unique id': '00000000-0000-0000-0000-000000000000',
      'Parent timestamp': '2000-01-01T00:00:00.000Z (0 VHD seconds)',
      'Parent unicode name': '""',
      'Parent locators': 'none',
      'Allocated blocks': '0',
      'Chain': image,
    });
  });

  it('counts allocated blocks over a table of several 4 KiB windows: wholly unused ones, a used first and last entry, a short tail', async () => {
    const dir = await folder();
    // 2,500 entries: two whole windows of 1,024 entries and a tail of 452.
    const image = await makeDynamic(path.join(dir, 'wide.vhd'), 2500 * 2 * MIB);
    const written = [0, 1023, 1024 * 2, 2499];
    const disk = await openDisk(image, { writable: true });
    try {
      for (const block of written) await disk.write(new Uint8Array(512).fill(7), block * 2 * MIB);
    } finally {
      await disk.close();
    }
    const run = runVpc(['info', '--json', image]);
    expect(run.status, run.stderr).toBe(0);
    const bat = (await readImageMetadata(image)).bat!;
    expect(bat.filter((entry) => entry !== 0xffffffff)).toHaveLength(written.length);
    expect((JSON.parse(run.stdout) as { allocatedBlocks: number }).allocatedBlocks).toBe(written.length);
  });

  it('text output of a fixed image: no header fields, the data-offset sentinel, and a bad checksum shown as INVALID', async () => {
    const dir = await folder();
    const image = path.join(dir, 'f.vhd');
    await createFixedDisk(image, 3 * MIB);
    const bytes = await readFile(image);
    const storedChecksum = bytes.readUInt32BE(bytes.length - 512 + 64);
    bytes.writeUInt32BE((storedChecksum ^ 1) >>> 0, bytes.length - 512 + 64);
    await writeFile(image, bytes);
    const run = runVpc(['info', image]);
    expect(run.status, run.stderr).toBe(0);
    const fields = textFields(run.stdout);
    expect(fields.get('Disk type')).toBe('fixed (2)');
    expect(fields.get('Data offset')).toBe('0xffffffffffffffff (none: fixed disk)');
    expect(fields.get('Checksum')).toBe(`0x${((storedChecksum ^ 1) >>> 0).toString(16).padStart(8, '0')} (INVALID)`);
    expect(fields.has('Header cookie')).toBe(false);
    expect(fields.has('Allocated blocks')).toBe(false);
    expect(fields.get('Chain')).toBe(image);
  });

  it.skipIf(!fixtures.available)('text output of the Windows-made differencing fixture matches expected.json', () => {
    const facts = fixtures.facts.find((entry) => entry.file === 'dfvfs-fat-differential.vhd')!;
    const file = path.join(fixtures.dir, facts.file);
    const run = runVpc(['info', file]);
    expect(run.status, run.stderr).toBe(0);
    const fields = textFields(run.stdout);
    expect(fields.get('Cookie')).toBe('"conectix"');
    expect(fields.get('Data offset')).toBe(String(facts.dataOffset));
    expect(fields.get('Timestamp')).toBe(`${dateFromVhdTimestamp(facts.timestamp).toISOString()} (${facts.timestamp} VHD seconds)`);
    expect(fields.get('Creator application')).toBe(JSON.stringify(facts.creatorApplication));
    expect(fields.get('Creator version')).toBe(facts.creatorVersion);
    expect(fields.get('Creator host OS')).toBe(JSON.stringify(facts.creatorHostOs));
    expect(fields.get('Original size')).toBe(`${facts.originalSize} bytes`);
    expect(fields.get('Current size')).toBe(`${facts.currentSize} bytes`);
    expect(fields.get('Geometry (C/H/S)')).toBe(`${facts.geometry.cylinders}/${facts.geometry.heads}/${facts.geometry.sectorsPerTrack}`);
    expect(fields.get('Disk type')).toBe('differencing (4)');
    expect(fields.get('Checksum')).toBe(`${facts.footerChecksum} (${facts.footerChecksumValid ? 'valid' : 'INVALID'})`);
    expect(fields.get('Unique id')).toBe(facts.uniqueId);
    expect(fields.get('Header cookie')).toBe(JSON.stringify(facts.headerCookie));
    expect(fields.get('Table offset')).toBe(String(facts.tableOffset));
    expect(fields.get('Header version')).toBe(facts.headerVersion);
    expect(fields.get('Max table entries')).toBe(String(facts.maxTableEntries));
    expect(fields.get('Block size')).toBe(`${facts.blockSize} bytes`);
    expect(fields.get('Header checksum')).toBe(`${facts.headerChecksum} (${facts.headerChecksumValid ? 'valid' : 'INVALID'})`);
    expect(fields.get('Parent unique id')).toBe(facts.parentUniqueId);
    expect(fields.get('Parent timestamp')).toBe(`${dateFromVhdTimestamp(facts.parentTimestamp!).toISOString()} (${facts.parentTimestamp} VHD seconds)`);
    expect(fields.get('Parent unicode name')).toBe(JSON.stringify(facts.parentUnicodeName));
    expect(fields.get('Parent locators')).toBe(String(facts.parentLocators!.length));
    for (const locator of facts.parentLocators!) {
      expect(run.stdout).toContain(
        `  ${JSON.stringify(locator.platformCode)}: ${JSON.stringify(locator.path)} (data offset ${locator.dataOffset}, length ${locator.dataLength} bytes, space ${locator.dataSpace} bytes)`,
      );
    }
    expect(fields.get('Allocated blocks')).toBe(String(facts.allocatedBlocks));
    expect(fields.get('Parent resolved to')).toBe('(not found)');
    expect(fields.get('Chain')).toBe(file);
  });

  it.skipIf(!fixtures.available)('--json reports every real image as other tools measured it (expected.json)', () => {
    for (const facts of fixtures.facts) {
      const run = runVpc(['info', '--json', path.join(fixtures.dir, facts.file)]);
      expect(run.status, `${facts.file}: ${run.stderr}`).toBe(0);
      const info = JSON.parse(run.stdout);
      expect(info).toMatchObject({
        type: facts.diskType, virtualSize: facts.currentSize, originalSize: facts.originalSize, geometry: facts.geometry,
        uniqueId: facts.uniqueId, timestamp: dateFromVhdTimestamp(facts.timestamp).toISOString(),
        creatorApplication: facts.creatorApplication, creatorVersion: Number(facts.creatorVersion), creatorHostOs: facts.creatorHostOs,
        blockSize: facts.blockSize ?? null, maxTableEntries: facts.maxTableEntries ?? null, allocatedBlocks: facts.allocatedBlocks ?? null,
      });
      if (facts.diskType === 'differencing') {
        expect(info.parent).toMatchObject({
          uniqueId: facts.parentUniqueId, unicodeName: facts.parentUnicodeName,
          timestamp: dateFromVhdTimestamp(facts.parentTimestamp!).toISOString(), locators: facts.parentLocators,
        });
      } else {
        expect(info.parent).toBeNull();
      }
    }
  });
});

describe('cat, write, merge, set-parent, convert, check', { timeout: 60_000 }, () => {
  it('cat gives the bytes qemu-img reads from a dynamic image with data', async (context) => {
    if (!qemuImg.available || !qemuIo.available) context.skip(`${qemuImg.reason ?? ''} ${qemuIo.reason ?? ''}`);
    const dir = await folder();
    const image = path.join(dir, 'q.vhd');
    expect(spawnSync('qemu-img', ['create', '-q', '-f', 'vpc', '-o', 'subformat=dynamic', image, '8M']).status).toBe(0);
    expect(spawnSync('qemu-io', ['-f', 'vpc', '-c', 'write -P 0x5a 1000 70000', '-c', 'write -P 0xa5 5000000 512', image]).status).toBe(0);
    const raw = path.join(dir, 'q.raw');
    expect(spawnSync('qemu-img', ['convert', '-f', 'vpc', '-O', 'raw', image, raw]).status).toBe(0);
    const run = runVpc(['cat', image]);
    expect(run.status, run.stderr).toBe(0);
    const expected = await readFile(raw);
    // qemu sizes a VPC image by its CHS geometry; our virtual size is the footer's. Compare the common prefix, then zeros.
    expect(sha256Bytes(run.stdoutBytes.subarray(0, expected.length))).toBe(sha256Bytes(expected));
    expect(run.stdoutBytes.subarray(expected.length).every((byte) => byte === 0)).toBe(true);
  });

  it('cat into a reader that stops early (`vpc cat x | head -c 100`) exits 0 without a word on stderr', async () => {
    const dir = await folder();
    const image = await makeDynamic(path.join(dir, 'early.vhd'), 64 * MIB);
    const child = spawnVpc(['cat', image]);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    let received = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      received += chunk.length;
      child.stdout.destroy(); // the reader goes away after its first chunk, 64 MiB before the end
    });
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(64 * MIB);
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });

  it('cat stops on SIGINT within seconds, even over 2000 GiB that no block holds (no read ever waits on the thread pool)', async () => {
    const dir = await folder();
    const image = await makeDynamic(path.join(dir, 'huge.vhd'), 2000 * 1024 * MIB);
    const child = spawn(process.execPath, [CLI_BIN, 'cat', image], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LANG: 'C.UTF-8' } });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Signalled once the copy runs (its first bytes arrive), however long Node takes to start on a busy machine.
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.stdout.resume();
    const signalledAt = Date.now();
    child.kill('SIGINT');
    const status = await closed;
    // Without a turn of the event loop during the copy, the signal would wait for all 2000 GiB (about a minute here).
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(status).toBe(1);
    expect(stderr.split('\n')[0]).toMatch(/^0xA0040209 VM_E_APP_SHUTTING_DOWN: /);
  });

  it('write gathers stdin into large writes: 40 MiB at an odd offset lands exactly; past the end, what came first is written', async () => {
    const dir = await folder();
    const size = 64 * MIB;
    const image = await makeDynamic(path.join(dir, 'gathered.vhd'), size);
    const input = pattern(40 * MIB + 3, 7);
    const offset = 3 * MIB + 1001;
    const run = runVpc(['write', image, '--offset', String(offset)], { input });
    expect(run.status, run.stderr).toBe(0);
    const model = new Uint8Array(size);
    model.set(input, offset);
    const read = runVpc(['cat', image]);
    expect(sha256Bytes(read.stdoutBytes)).toBe(sha256Bytes(model));

    // 20 MiB at 48 MiB + 512 passes the end: refused, and the bytes before the offending chunk are on the disk.
    const late = await makeDynamic(path.join(dir, 'late.vhd'), size);
    const tooLong = pattern(20 * MIB, 8);
    const lateOffset = 48 * MIB + 512;
    const refused = runVpc(['write', late, '--offset', String(lateOffset)], { input: tooLong });
    expect(refused.status).toBe(1);
    expect(failureLine(refused)?.name).toBe('E_INVALIDARG');
    const after = runVpc(['cat', late]).stdoutBytes.subarray(lateOffset);
    let landed = 0;
    while (landed < after.length && after[landed] === tooLong[landed]) landed++;
    expect(landed).toBeGreaterThanOrEqual(size - lateOffset - 1024 * 1024); // all but the last chunk or so
    expect(after.subarray(landed).every((byte) => byte === 0)).toBe(true);
  });

  it('write from stdin redirected from a regular file (read in 4 MiB reads): 9 MiB + 3 bytes land exactly at an odd offset', async () => {
    const dir = await folder();
    const image = await makeDynamic(path.join(dir, 'd.vhd'), 32 * MIB);
    const data = pattern(9 * MIB + 3, 5);
    const input = path.join(dir, 'input.bin');
    await writeFile(input, data);
    const stdin = openSync(input, 'r');
    try {
      const run = spawnSync(process.execPath, [CLI_BIN, 'write', image, '--offset', '1001', '--json'], { stdio: [stdin, 'pipe', 'pipe'], encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      expect((JSON.parse(run.stdout) as { bytesWritten: number }).bytesWritten).toBe(data.length);
    } finally {
      closeSync(stdin);
    }
    const disk = runVpc(['cat', image]).stdoutBytes;
    const expected = Buffer.alloc(32 * MIB);
    expected.set(data, 1001);
    expect(sha256Bytes(disk)).toBe(sha256Bytes(expected));
  });

  it('write (stdin and --input), cat, convert and merge agree with a model of the disk', async () => {
    const dir = await folder();
    const size = 8 * MIB;
    const parent = await makeDynamic(path.join(dir, 'base.vhd'), size);
    const model = new Uint8Array(size);
    const parentData = pattern(300_000, 1);
    expect(runVpc(['write', parent, '--offset', '4096'], { input: parentData }).status).toBe(0);
    model.set(parentData, 4096);
    const parentBefore = await snapshot(parent);

    expect(runVpc(['create-diff', '--quiet', path.join(dir, 'child.vhd'), 'base.vhd'], { cwd: dir }).status).toBe(0);
    const childData = pattern(12_345, 2);
    await writeFile(path.join(dir, 'input.bin'), childData);
    const written = runVpc(['write', 'child.vhd', '--offset', '100001', '--input', 'input.bin', '--json'], { cwd: dir });
    expect(written.status, written.stderr).toBe(0);
    expect(JSON.parse(written.stdout)).toMatchObject({ offset: 100001, bytesWritten: 12_345 });
    model.set(childData, 100001);
    await expectUnchanged(parentBefore); // writing the child never touches the parent

    const cat = runVpc(['cat', path.join(dir, 'child.vhd')]);
    expect(cat.status).toBe(0);
    expect(sha256Bytes(cat.stdoutBytes)).toBe(sha256Bytes(model));

    for (const type of ['fixed', 'dynamic'] as const) {
      const converted = runVpc(['convert', '--json', 'child.vhd', `flat-${type}.vhd`, '--type', type], { cwd: dir });
      expect(converted.status, converted.stderr).toBe(0);
      expect(JSON.parse(converted.stdout)).toMatchObject({ type, virtualSize: size, parent: null });
      expect(sha256Bytes(runVpc(['cat', path.join(dir, `flat-${type}.vhd`)]).stdoutBytes)).toBe(sha256Bytes(model));
    }
    const sameAgain = runVpc(['convert', 'child.vhd', 'flat-fixed.vhd', '--type', 'fixed'], { cwd: dir });
    expect(failureLine(sameAgain)?.name).toBe('ERROR_ALREADY_EXISTS');

    const merged = runVpc(['merge', '--json', path.join(dir, 'child.vhd')]);
    expect(merged.status, merged.stderr).toBe(0);
    expect(JSON.parse(merged.stdout)).toMatchObject({ parentPath: parent });
    expect(sha256Bytes(runVpc(['cat', parent]).stdoutBytes)).toBe(sha256Bytes(model));
  });

  it('set-parent accepts a copy of the parent and refuses another disk unless forced with matching bytes', async () => {
    const dir = await folder();
    const parent = await makeDynamic(path.join(dir, 'base.vhd'), 8 * MIB);
    expect(runVpc(['create-diff', '--quiet', path.join(dir, 'child.vhd'), parent]).status).toBe(0);
    await copyFile(parent, path.join(dir, 'moved.vhd'));
    const moved = runVpc(['set-parent', 'child.vhd', 'moved.vhd'], { cwd: dir });
    expect(moved.status, moved.stderr).toBe(0);
    const info = JSON.parse(runVpc(['info', '--json', path.join(dir, 'child.vhd')]).stdout);
    expect(info.parent.resolvedPath).toBe(path.join(dir, 'moved.vhd'));

    const other = await makeDynamic(path.join(dir, 'other.vhd'), 8 * MIB);
    const refused = runVpc(['set-parent', path.join(dir, 'child.vhd'), other]);
    expect(refused.status).toBe(1);
    expect(failureLine(refused)?.name).toBe('VM_E_PARENT_CHILD_ID_MISMATCH');
    const forced = runVpc(['set-parent', '--force', path.join(dir, 'child.vhd'), other]);
    expect(forced.status, forced.stderr).toBe(0);
  });

  it('check: 0 when clean, 2 with problems (JSON report), --repair fixes the footer copy, 1 on error', async () => {
    const dir = await folder();
    const image = await makeDynamic(path.join(dir, 'd.vhd'), 8 * MIB);
    expect(runVpc(['check', image]).status).toBe(0);
    // Damage the footer copy at offset 0 (one byte of its reserved area): the trailing footer is still intact.
    const bytes = await readFile(image);
    bytes[500] ^= 0xff;
    await writeFile(image, bytes);
    const damaged = runVpc(['check', '--json', image]);
    expect(damaged.status).toBe(2);
    const report = JSON.parse(damaged.stdout);
    expect(report.ok).toBe(false);
    expect(report.issues.length).toBeGreaterThan(0);
    const repaired = runVpc(['check', '--repair', image]);
    expect(repaired.status, repaired.stdout).toBe(0);
    expect(runVpc(['check', image]).status).toBe(0);
    const missing = runVpc(['check', path.join(dir, 'missing.vhd')]);
    expect(missing.status).toBe(1);
    expect(failureLine(missing)).toBeDefined();
  });
});

describe('progress bar', { timeout: 30_000 }, () => {
  it('drawn on stderr only when stderr is a terminal and --quiet is not given', async (context) => {
    const script = spawnSync('script', ['--version'], { encoding: 'utf8' });
    if (script.error) context.skip('util-linux script(1) is needed to give the CLI a terminal');
    const dir = await folder();
    const command = (name: string, quiet: boolean) =>
      `${process.execPath} ${CLI_BIN} create ${quiet ? '--quiet ' : ''}${path.join(dir, name)} --size 2000G`;
    const onTerminal = spawnSync('script', ['-qec', command('tty.vhd', false), '/dev/null'], { encoding: 'utf8' });
    expect(onTerminal.status).toBe(0);
    expect(onTerminal.stdout).toMatch(/\d+% \| \d+\/\d+ bytes/);
    const quiet = spawnSync('script', ['-qec', command('quiet.vhd', true), '/dev/null'], { encoding: 'utf8' });
    expect(quiet.stdout).not.toMatch(/% \|/);
    const piped = runVpc(['create', path.join(dir, 'piped.vhd'), '--size', '2000G']);
    expect(piped.stderr).toBe('');
    expect(piped.stdout).toMatch(/^Created dynamic disk /);
  });
});
