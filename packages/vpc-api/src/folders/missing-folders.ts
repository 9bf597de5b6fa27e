import { mkdir, rmdir } from 'node:fs/promises';

/** Folders one call created, so a later failure can remove exactly those (innermost first). */
export class CreatedFolders {
  readonly #paths: string[] = [];

  get paths(): readonly string[] {
    return this.#paths;
  }

  /**
   * Creates `missing` (outermost first) one level at a time, so the call knows which ones are its own. A folder that
   * appears meanwhile (a racing caller) is used but not owned. On failure the folders created so far are removed
   * and the Node error is rethrown.
   */
  async create(missing: readonly string[]): Promise<void> {
    try {
      for (const folder of missing) {
        try {
          await mkdir(folder);
          this.#paths.push(folder);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
          // EEXIST from a racer is fine only if it is a folder; mkdir of the next level tells us otherwise (ENOTDIR).
        }
      }
    } catch (error) {
      await this.removeAll();
      throw error;
    }
  }

  /** rmdir, never recursive: a folder another caller has put files in meanwhile stays. */
  async removeAll(): Promise<void> {
    while (this.#paths.length > 0) {
      const folder = this.#paths.pop()!;
      try {
        await rmdir(folder);
      } catch {
        // Not empty any more (someone else uses it) or already gone: leave it.
      }
    }
  }
}
