import { copyFile, mkdir, readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { testFolder } from '@vhdkit/test-support';
import { createDifferencingDisk, createDynamicDisk, createFixedDisk } from '@vhdkit/vhd-diff';
import { MIB, PACKAGE_ROOT, failureLine, makeDynamic, runVpc } from './helpers.js';

// Every `--json` output of the CLI, validated against the schema the package ships for that command
// (schemas/<command>.schema.json; shared parts are referenced by their `$id`, urn:vhdkit:vpc:<name>).

const SCHEMA_DIR = path.join(PACKAGE_ROOT, 'schemas');
/** Commands whose stdout is data, not a result: no JSON shape. */
const NO_JSON_RESULT = new Set(['cat']);

const folder = testFolder('vpc-json-').nextFolder;

/** Commands whose every JSON shape the detailed test below runs and checks value by value. */
const CHECKED_IN_DETAIL = new Set(['create', 'create-diff', 'convert', 'info', 'write', 'merge', 'set-parent', 'check']);

/**
 * A `--json` run of each other command, in a folder holding solo.vhd (dynamic, 8 MiB), base.vhd and its child
 * child.vhd, and input.bin (10 bytes). Every command `vpc --help` lists needs a case here, a place in CHECKED_IN_DETAIL or in NO_JSON_RESULT,
 * so a new command cannot ship without its output being checked against its schema.
 */
const JSON_CASES: Record<string, { args: string[]; status?: number }> = {
  resize: { args: ['solo.vhd', '--size', '16M'] },
  compact: { args: ['solo.vhd'] },
  import: { args: ['input.bin', 'imported.vhd'] },
  // To a file: an export to stdout has no JSON result (--json is refused there, see the errors test).
  export: { args: ['child.vhd', 'exported.vhd'] },
};

async function caseFolder(): Promise<string> {
  const dir = await folder();
  await createDynamicDisk(path.join(dir, 'solo.vhd'), 8 * MIB);
  await createDynamicDisk(path.join(dir, 'base.vhd'), 8 * MIB);
  await createDifferencingDisk(path.join(dir, 'child.vhd'), path.join(dir, 'base.vhd'));
  await writeFile(path.join(dir, 'input.bin'), 'some bytes');
  return dir;
}

/** The commands `vpc --help` lists. */
function listedCommands(): string[] {
  const help = runVpc(['--help']).stdout;
  return [...help.matchAll(/^ {2}([a-z][a-z-]*) /gm)].map((match) => match[1]!).filter((name) => name !== 'help');
}

async function loadSchemas(): Promise<{ ajv: Ajv2020; names: string[] }> {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  const names: string[] = [];
  for (const file of (await readdir(SCHEMA_DIR)).filter((name) => name.endsWith('.schema.json'))) {
    const schema = JSON.parse(await readFile(path.join(SCHEMA_DIR, file), 'utf8')) as { $id: string };
    const name = file.slice(0, -'.schema.json'.length);
    expect(schema.$id).toBe(`urn:vhdkit:vpc:${name}`);
    ajv.addSchema(schema);
    names.push(name);
  }
  return { ajv, names };
}

const schemas = await loadSchemas();

function validator(name: string): ValidateFunction {
  const validate = schemas.ajv.getSchema(`urn:vhdkit:vpc:${name}`);
  if (validate === undefined) throw new Error(`no schema ${name}`);
  return validate as ValidateFunction;
}

/** Runs a command with --json and checks its stdout against the command's schema; returns the parsed output. */
function jsonOf(command: string, args: readonly string[], options: { cwd?: string; input?: Uint8Array; status?: number } = {}): Record<string, unknown> {
  const run = runVpc(['--json', command, ...args], options);
  expect(run.status, run.stderr).toBe(options.status ?? 0);
  const output = JSON.parse(run.stdout) as Record<string, unknown>;
  const validate = validator(command);
  expect(validate(output), `${command}: ${JSON.stringify(validate.errors)}\n${run.stdout}`).toBe(true);
  return output;
}

describe('one JSON Schema per command, matching its real output', { timeout: 60_000 }, () => {
  it('every command with a JSON result ships a schema, and the package publishes the folder', async () => {
    const commands = listedCommands();
    expect(commands.length).toBeGreaterThanOrEqual(9);
    for (const command of commands) {
      if (!NO_JSON_RESULT.has(command)) expect(schemas.names, command).toContain(command);
    }
    expect(schemas.names).toContain('error');
    const manifest = JSON.parse(await readFile(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { files: string[]; exports: Record<string, unknown> };
    expect(manifest.files).toContain('schemas');
    expect(manifest.exports['./schemas/*.json']).toBe('./schemas/*.json');
  });

  it('every listed command\'s --json output validates against its schema (the ones not checked in detail below)', async () => {
    const listed = listedCommands();
    const unchecked = listed.filter((name) => !NO_JSON_RESULT.has(name) && !CHECKED_IN_DETAIL.has(name));
    for (const command of unchecked) {
      const run = JSON_CASES[command];
      expect(run, `a --json case for ${command} in JSON_CASES`).toBeDefined();
      jsonOf(command, run!.args, { cwd: await caseFolder(), ...(run!.status === undefined ? {} : { status: run!.status }) });
    }
    // The detailed test covers exactly what it claims.
    for (const command of CHECKED_IN_DETAIL) expect(listed, command).toContain(command);
  });

  it('create, create-diff, info (fixed, dynamic, differencing), write, set-parent, check, check --repair, convert, merge', async () => {
    const dir = await folder();
    const fixed = path.join(dir, 'fixed.vhd');
    await createFixedDisk(fixed, 4 * MIB);
    const created = jsonOf('create', ['base.vhd', '--size', '8M'], { cwd: dir });
    expect(created).toMatchObject({ path: path.join(dir, 'base.vhd'), type: 'dynamic', parent: null, blockSize: 2 * MIB });
    const child = jsonOf('create-diff', ['child.vhd', 'base.vhd'], { cwd: dir });
    expect(child).toMatchObject({ type: 'differencing', parent: { path: path.join(dir, 'base.vhd') } });

    const fixedInfo = jsonOf('info', [fixed]);
    expect(fixedInfo).toMatchObject({ type: 'fixed', fileSize: 4 * MIB + 512, header: null, blockSize: null, chain: [{ path: fixed, type: 'fixed' }] });
    expect(fixedInfo.footer).toMatchObject({ dataOffset: null, checksumValid: true, cookie: 'conectix' });
    const dynamicInfo = jsonOf('info', ['base.vhd'], { cwd: dir });
    expect(dynamicInfo).toMatchObject({ type: 'dynamic', header: { checksumValid: true, cookie: 'cxsparse', dataOffset: null }, footer: { dataOffset: 512 } });
    const childInfo = jsonOf('info', ['child.vhd'], { cwd: dir });
    expect(childInfo.chain).toEqual([
      { path: path.join(dir, 'child.vhd'), type: 'differencing' },
      { path: path.join(dir, 'base.vhd'), type: 'dynamic' },
    ]);
    expect(childInfo.fileSize).toBe(child.fileSize);
    // A parent that cannot be found: the chain ends at the image, resolvedPath is null, the shape holds.
    await copyFile(path.join(dir, 'child.vhd'), path.join(dir, 'sub-child.vhd'));
    await mkdir(path.join(dir, 'elsewhere'));
    await rename(path.join(dir, 'sub-child.vhd'), path.join(dir, 'elsewhere', 'orphan.vhd'));
    await rename(path.join(dir, 'base.vhd'), path.join(dir, 'base-moved.vhd'));
    const orphan = jsonOf('info', [path.join(dir, 'elsewhere', 'orphan.vhd')]);
    expect(orphan).toMatchObject({ type: 'differencing', parent: { resolvedPath: null }, chain: [{ path: path.join(dir, 'elsewhere', 'orphan.vhd'), type: 'differencing' }] });
    await rename(path.join(dir, 'base-moved.vhd'), path.join(dir, 'base.vhd'));

    expect(jsonOf('write', ['child.vhd', '--offset', '4K'], { cwd: dir, input: Buffer.from('bytes') })).toEqual({ path: path.join(dir, 'child.vhd'), offset: 4096, bytesWritten: 5 });
    expect(jsonOf('set-parent', ['child.vhd', 'base.vhd'], { cwd: dir })).toEqual({ childPath: path.join(dir, 'child.vhd'), parentPath: path.join(dir, 'base.vhd') });
    expect(jsonOf('check', ['child.vhd'], { cwd: dir })).toEqual({ path: path.join(dir, 'child.vhd'), type: 'differencing', ok: true, issues: [] });

    // A damaged footer copy: reported with its offset, then repaired.
    const bytes = await readFile(path.join(dir, 'base.vhd'));
    bytes[500] ^= 0xff;
    await writeFile(path.join(dir, 'damaged.vhd'), bytes);
    const damaged = jsonOf('check', ['damaged.vhd'], { cwd: dir, status: 2 });
    expect(damaged).toMatchObject({ type: 'dynamic', ok: false });
    expect(damaged.issues).toContainEqual(expect.objectContaining({ code: 'FOOTER_COPY_MISMATCH', severity: 'error', repairable: true }));
    const repaired = jsonOf('check', ['--repair', 'damaged.vhd'], { cwd: dir });
    expect(repaired).toMatchObject({ ok: true, issues: [] });
    expect(repaired.repaired).toContainEqual(expect.objectContaining({ code: 'FOOTER_COPY_MISMATCH' }));

    const converted = jsonOf('convert', ['child.vhd', 'flat.vhd', '--type', 'fixed'], { cwd: dir });
    expect(converted).toMatchObject({ type: 'fixed', blockSize: null, parent: null, virtualSize: 8 * MIB });
    expect(jsonOf('merge', ['child.vhd'], { cwd: dir })).toMatchObject({ childPath: path.join(dir, 'child.vhd'), parentPath: path.join(dir, 'base.vhd'), sectorsCopied: 1 });
  });

  it('import and export, fixed and dynamic: the values, and null where a fact does not apply', async () => {
    const dir = await folder();
    // Data in the first 2 MiB block only: a dynamic import stores one block of two.
    const raw = Buffer.alloc(2 * MIB + 1000);
    raw.write('not zero', 4096);
    await writeFile(path.join(dir, 'disk.raw'), raw);
    const virtualSize = 2 * MIB + 1024;
    const dynamic = jsonOf('import', ['disk.raw', 'dynamic.vhd'], { cwd: dir });
    expect(dynamic).toMatchObject({ path: path.join(dir, 'dynamic.vhd'), type: 'dynamic', virtualSize, blockSize: 2 * MIB, parent: null, sourceBytes: raw.length, storedBlocks: 1 });
    expect(dynamic.fileSize).toBe((await stat(path.join(dir, 'dynamic.vhd'))).size);
    const fixed = jsonOf('import', ['disk.raw', 'fixed.vhd', '--type', 'fixed'], { cwd: dir });
    expect(fixed).toMatchObject({ type: 'fixed', virtualSize, fileSize: virtualSize + 512, blockSize: null, sourceBytes: raw.length, storedBlocks: null });

    // A dynamic export stores the blocks the source holds: the one block the dynamic import stored.
    const exported = jsonOf('export', ['dynamic.vhd', 'exported.vhd'], { cwd: dir });
    expect(exported).toEqual({ path: path.join(dir, 'exported.vhd'), type: 'dynamic', virtualSize, fileSize: (await stat(path.join(dir, 'exported.vhd'))).size, blockSize: 2 * MIB, storedBlocks: 1 });
    const flat = jsonOf('export', ['dynamic.vhd', 'flat.vhd', '--type', 'fixed'], { cwd: dir });
    expect(flat).toEqual({ path: path.join(dir, 'flat.vhd'), type: 'fixed', virtualSize, fileSize: virtualSize + 512, blockSize: null, storedBlocks: null });

    // The shared names, every key present, and nulls exactly where the disk type says.
    const { type, ...exportedWithoutType } = exported;
    expect(validator('export')({ ...exportedWithoutType, diskType: type })).toBe(false);
    const { storedBlocks, ...importedWithoutStored } = dynamic;
    expect(storedBlocks).toBe(1);
    expect(validator('import')(importedWithoutStored)).toBe(false);
    expect(validator('import')({ ...dynamic, extra: 1 })).toBe(false);
    expect(validator('import')({ ...dynamic, storedBlocks: null })).toBe(false);
    expect(validator('import')({ ...fixed, storedBlocks: 0 })).toBe(false);
    expect(validator('import')({ ...dynamic, type: 'differencing' })).toBe(false);
    expect(validator('export')({ ...flat, blockSize: 2 * MIB })).toBe(false);
    expect(validator('export')({ ...exported, storedBlocks: null })).toBe(false);
  });

  it('errors: {hresult, name, message} on stdout, the same facts as the stderr line', async () => {
    const dir = await folder();
    const failures = [['info', path.join(dir, 'missing.vhd')], ['frobnicate'], ['create', 'x.vhd', '--size', '1.5'], ['export', path.join(dir, 'missing.vhd')]];
    for (const args of failures) {
      const run = runVpc(['--json', ...args], { cwd: dir });
      expect(run.status).toBe(1);
      const output = JSON.parse(run.stdout) as { hresult: number; name: string; message: string };
      expect(validator('error')(output), JSON.stringify(validator('error').errors)).toBe(true);
      const line = failureLine(run)!;
      expect(output).toEqual({ hresult: Number(line.hresult), name: line.name, message: line.message });
    }
  });

  it('the schemas refuse what they should: a renamed field, a missing one, an extra one', async () => {
    const dir = await folder();
    const info = jsonOf('info', [await makeDynamic(path.join(dir, 'd.vhd'), 8 * MIB)]);
    const { type, ...withoutType } = info;
    expect(validator('info')({ ...withoutType, diskType: type })).toBe(false);
    expect(validator('info')(withoutType)).toBe(false);
    expect(validator('info')({ ...info, extra: 1 })).toBe(false);
    expect(validator('info')({ ...info, footer: { ...(info.footer as object), checksumValid: 'yes' } })).toBe(false);
    expect(validator('create')({ path: '/x.vhd', type: 'sparse', virtualSize: 1, fileSize: 1, blockSize: null, uniqueId: '0', parent: null })).toBe(false);
    const created = jsonOf('create', ['c.vhd', '--size', '8M'], { cwd: dir });
    expect(validator('create')({ ...created, sourceBytes: 1 })).toBe(false);
  });

  it("--output=json is --json (qemu-img's spelling); --output=text is the text", async () => {
    const dir = await folder();
    const image = await makeDynamic(path.join(dir, 'd.vhd'), 8 * MIB);
    const aliased = runVpc(['info', '--output=json', image]);
    expect(aliased.status, aliased.stderr).toBe(0);
    expect(JSON.parse(aliased.stdout)).toEqual(JSON.parse(runVpc(['info', '--json', image]).stdout));
    expect(runVpc(['--output', 'text', 'info', image]).stdout).toMatch(/^Path: +/);
    const failure = runVpc(['--output=json', 'info', path.join(dir, 'missing.vhd')]);
    expect(JSON.parse(failure.stdout)).toMatchObject({ name: 'ERROR_FILE_NOT_FOUND' });
    expect(failureLine(runVpc(['--output=xml', 'info', image]))?.name).toBe('E_INVALIDARG');
  });
});
