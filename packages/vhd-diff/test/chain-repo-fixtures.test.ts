import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { repoFixturePath, repoFixtures } from '@vhdkit/test-support';
import { openDisk } from '../src/index.js';

// The repository's own QEMU-made images: our reader must give the bytes qemu-img gave when they were generated.
describe('generated fixtures read through openDisk', () => {
  for (const facts of repoFixtures()) {
    it(`${facts.file} (${facts.diskType}, ${facts.virtualSize} bytes) reads to the content qemu-img recorded`, async () => {
      const disk = await openDisk(repoFixturePath(facts.file));
      try {
        expect(disk.diskType).toBe(facts.diskType);
        expect(disk.virtualSize).toBe(facts.virtualSize);
        const hash = createHash('sha256');
        for await (const chunk of disk.createReadStream()) hash.update(chunk as Buffer);
        expect(hash.digest('hex')).toBe(facts.contentSha256);
      } finally {
        await disk.close();
      }
    });
  }
});
