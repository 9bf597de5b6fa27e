// The detail table against real vhd-diff failures: English reproduces vhd-diff's message, Spanish carries the
// same facts in Spanish words.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VhdIoError, createDifferencingDisk, merge, openDisk, readImageMetadata, setParent } from '@vhdkit/vhd-diff';
import { VHD_IO_REASON_DETAILS, usageErrorDetail, vhdIoErrorDetail } from '../src/errors/details.js';
import { toVpcError } from '../src/errors/hresult-map.js';
import { MIB, makeDynamic } from './helpers.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'vpc-details-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function failureOf(action: () => Promise<unknown>): Promise<VhdIoError> {
  try {
    await action();
  } catch (error) {
    expect(error).toBeInstanceOf(VhdIoError);
    return error as VhdIoError;
  }
  throw new Error('expected a VhdIoError');
}

/** English detail is vhd-diff's message exactly; Spanish shares no English words of it and names every fact. */
function expectLocalized(error: VhdIoError, spanishFacts: readonly string[], spanishWords: RegExp): void {
  expect(error.params?.reason, error.message).toBeDefined();
  expect(VHD_IO_REASON_DETAILS[error.params!.reason]).toBeDefined();
  expect(vhdIoErrorDetail(error, 'en')).toBe(error.message);
  const spanish = vhdIoErrorDetail(error, 'es');
  expect(spanish).not.toBe(error.message);
  expect(spanish).toMatch(spanishWords);
  for (const fact of spanishFacts) expect(spanish).toContain(fact);
}

describe('vhd-diff failures in both languages', () => {
  it('a parent that is not a VHD (no footer), too short, a folder', async () => {
    const junk = path.join(root, 'junk.vhd');
    await writeFile(junk, new Uint8Array(4096).fill(0x41));
    const noFooter = await failureOf(() => readImageMetadata(junk));
    expect(noFooter.params?.reason).toBe('no-footer');
    expectLocalized(noFooter, [junk], /no hay pie VHD al final del archivo \(la firma \(cookie\) no es la esperada\)/);

    const tiny = path.join(root, 'tiny.vhd');
    await writeFile(tiny, 'abc');
    expectLocalized(await failureOf(() => readImageMetadata(tiny)), [tiny, '3 bytes'], /menos que un pie VHD/);
    expectLocalized(await failureOf(() => readImageMetadata(root)), [root], /no es un archivo normal/);
  });

  it('merge of a dynamic image, set-parent with another disk, a broken link, a missing parent', async () => {
    const dynamic = await makeDynamic(path.join(root, 'm-dyn.vhd'), 4 * MIB);
    const mergeFailure = await failureOf(() => merge(dynamic));
    expectLocalized(mergeFailure, ['dinámica'], /solo una imagen de diferenciación se puede combinar/);
    expect(toVpcError(mergeFailure, { lang: 'es' }).code).toBe('VM_E_WRONG_HD_IMAGE_TYPE');
    const setParentFailure = await failureOf(() => setParent(dynamic, dynamic));
    expectLocalized(setParentFailure, [dynamic, 'dinámica'], /tiene un primario que cambiar/);

    const parent = await makeDynamic(path.join(root, 'sp-parent.vhd'), 4 * MIB);
    const other = await makeDynamic(path.join(root, 'sp-other.vhd'), 4 * MIB);
    const child = path.join(root, 'sp-child.vhd');
    const created = await createDifferencingDisk(child, parent);
    const otherId = (await readImageMetadata(other)).footer.uniqueId;
    const idFailure = await failureOf(() => setParent(child, other));
    expect(idFailure.params?.reason).toBe('new-parent-id');
    expectLocalized(idFailure, [other, created.parent!.uniqueIdText, Buffer.from(otherId).toString('hex').slice(0, 8)], /tiene el identificador único .* pero el hijo espera/);

    // Replace the parent by another disk under the same name: the chain's link no longer matches.
    await rm(parent);
    await makeDynamic(parent, 4 * MIB);
    const linkFailure = await failureOf(() => openDisk(child));
    expectLocalized(linkFailure, [parent, child, created.parent!.uniqueIdText], /espera que su primario sea/);
    await rm(parent);
    const missing = await failureOf(() => openDisk(child));
    expectLocalized(missing, ['sp-parent.vhd'], /no se encuentra el primario/);
  });

  it('failures without a reason keep the English message in English and say it generally in Spanish', () => {
    const error = new VhdIoError('IO', '/x.vhd: ENOSPC: no space left on device', {
      path: '/x.vhd', cause: Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }),
    });
    expect(vhdIoErrorDetail(error, 'en')).toBe(error.message);
    expect(vhdIoErrorDetail(error, 'es')).toBe('/x.vhd (ENOSPC)');
    const exists = new VhdIoError('ALREADY_EXISTS', '/y.vhd already exists; it is never replaced', { path: '/y.vhd' });
    expect(vhdIoErrorDetail(exists, 'es')).toBe('/y.vhd ya existe; nunca se reemplaza');
  });

  it("commander's usage errors: English as commander says it, Spanish from the quoted names and counts", () => {
    expect(usageErrorDetail('commander.unknownCommand', "unknown command 'bogus'", 'en')).toBe("unknown command 'bogus'");
    expect(usageErrorDetail('commander.unknownCommand', "unknown command 'bogus'", 'es')).toBe("orden desconocida 'bogus'");
    expect(usageErrorDetail('commander.excessArguments', "too many arguments for 'info'. Expected 1 argument but got 2.", 'es'))
      .toBe("demasiados argumentos para 'info': se esperaban 1 y se recibieron 2");
    expect(usageErrorDetail('commander.invalidArgument', "option '--lang <language>' argument 'fr' is invalid. Allowed choices are en, es.", 'es'))
      .toBe("el valor 'fr' de la opción '--lang <language>' no es válido; se admite: en, es");
  });
});
