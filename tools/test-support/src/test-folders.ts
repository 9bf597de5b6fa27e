import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { tempDir } from './files.js';

export interface TestFolder {
  /** The folder itself (only once its beforeAll hook has run). */
  path(): string;
  /** A fresh numbered path for `name` in the folder (nothing is created). */
  nextPath(name: string): string;
  /** A fresh numbered, empty sub-folder, created. */
  nextFolder(): Promise<string>;
}

/**
 * One temporary folder for a test file or suite: made before its tests and removed after them. Call it at the
 * top level of a test file (or of a describe): it registers the beforeAll/afterAll hooks there.
 */
export function testFolder(prefix: string): TestFolder {
  let made: { path: string; cleanup: () => Promise<void> } | undefined;
  let counter = 0;
  beforeAll(async () => {
    made = await tempDir(prefix);
  });
  afterAll(async () => {
    await made?.cleanup();
  });
  const path = (): string => {
    if (made === undefined) throw new Error(`testFolder('${prefix}') used before its beforeAll hook ran`);
    return made.path;
  };
  return {
    path,
    nextPath: (name) => join(path(), `${counter++}-${name}`),
    async nextFolder() {
      const folder = join(path(), `case-${counter++}`);
      await mkdir(folder);
      return folder;
    },
  };
}
