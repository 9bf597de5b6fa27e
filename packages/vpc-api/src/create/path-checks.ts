import type { Language } from '@vhdkit/vpc-errors';
import { DETAILS, detail } from '../errors/details.js';
import { refusal } from '../errors/hresult-map.js';
import type { PathProblem, ResolvedPair } from '../paths/path-rules.js';
import {
  invalidCharacterProblem,
  isAbsolutePath,
  isDriveRelative,
  lengthProblem,
  namesAFolderProblem,
  presenceProblem,
  resolvePair,
} from '../paths/path-rules.js';
import type { PathStyle } from '../paths/path-style.js';
import { pathApiFor } from '../paths/path-style.js';

interface NamedArgument {
  argument: string;   // 'imagePath', 'parentPath', 'path'
  value: unknown;
}

function refusePresence(problem: PathProblem, named: NamedArgument, lang: Language): never {
  switch (problem.kind) {
    case 'missing':
      throw refusal('E_POINTER', lang, detail(lang, DETAILS.missingArgument, { argument: named.argument, value: String(named.value) }));
    case 'not-a-string':
      throw refusal('ERROR_BAD_PATHNAME', lang, detail(lang, DETAILS.notAString, { argument: named.argument, type: typeof named.value }));
    default:
      throw refusal('ERROR_BAD_PATHNAME', lang, detail(lang, DETAILS.emptyPath, { argument: named.argument }));
  }
}

/**
 * Steps 3–7 of the documented order, pure (no I/O): E_POINTER for every argument first, then ERROR_BAD_PATHNAME
 * (not a string, empty, both relative, drive-relative), ERROR_INVALID_NAME (a forbidden character, then a trailing
 * separator), resolution against the other path's
 * folder, ERROR_BUFFER_OVERFLOW.
 */
export function checkPathPair(imagePath: unknown, parentPath: unknown, style: PathStyle, lang: Language): ResolvedPair {
  const named = [
    { argument: 'imagePath', value: imagePath },
    { argument: 'parentPath', value: parentPath },
  ];
  for (const argument of named) if (presenceProblem(argument.value)?.kind === 'missing') refusePresence({ kind: 'missing' }, argument, lang);
  for (const argument of named) {
    const problem = presenceProblem(argument.value);
    if (problem !== undefined) refusePresence(problem, argument, lang);
  }
  const image = imagePath as string;
  const parent = parentPath as string;
  for (const text of [image, parent]) {
    if (isDriveRelative(text, style)) throw refusal('ERROR_BAD_PATHNAME', lang, detail(lang, DETAILS.driveRelative, { path: text }));
  }
  if (!isAbsolutePath(image, style) && !isAbsolutePath(parent, style)) {
    throw refusal('ERROR_BAD_PATHNAME', lang, detail(lang, DETAILS.bothRelative, { imagePath: image, parentPath: parent }));
  }
  for (const text of [image, parent]) refuseInvalidCharacters(text, style, lang);
  for (const text of [image, parent]) refuseFolderName(text, style, lang);
  const resolved = resolvePair(image, parent, style);
  refuseTooLong(resolved.imagePath, lang);
  refuseTooLong(resolved.parentPath, lang);
  return resolved;
}

/** The single-path variant for fixed and dynamic images: a relative path has nothing to be resolved against. */
export function checkSinglePath(path: unknown, style: PathStyle, lang: Language): string {
  const named = { argument: 'path', value: path };
  const problem = presenceProblem(path);
  if (problem !== undefined) refusePresence(problem, named, lang);
  const text = path as string;
  if (isDriveRelative(text, style)) throw refusal('ERROR_BAD_PATHNAME', lang, detail(lang, DETAILS.driveRelative, { path: text }));
  if (!isAbsolutePath(text, style)) throw refusal('ERROR_BAD_PATHNAME', lang, detail(lang, DETAILS.relativeWithoutAnchor, { path: text }));
  refuseInvalidCharacters(text, style, lang);
  refuseFolderName(text, style, lang);
  const resolved = pathApiFor(style).resolve(text);
  refuseTooLong(resolved, lang);
  return resolved;
}

function refuseInvalidCharacters(text: string, style: PathStyle, lang: Language): void {
  const problem = invalidCharacterProblem(text, style);
  if (problem?.kind === 'invalid-character') {
    throw refusal('ERROR_INVALID_NAME', lang, detail(lang, DETAILS.invalidCharacter, { path: text, character: problem.character, index: problem.index }));
  }
}

function refuseFolderName(text: string, style: PathStyle, lang: Language): void {
  if (namesAFolderProblem(text, style) !== undefined) throw refusal('ERROR_INVALID_NAME', lang, detail(lang, DETAILS.namesAFolder, { path: text }));
}

function refuseTooLong(resolved: string, lang: Language): void {
  const problem = lengthProblem(resolved);
  if (problem?.kind === 'too-long') {
    throw refusal('ERROR_BUFFER_OVERFLOW', lang, detail(lang, DETAILS.pathTooLong, { path: resolved, length: problem.lengthUtf16 }));
  }
}
