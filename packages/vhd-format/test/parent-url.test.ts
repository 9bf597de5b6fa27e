/** A URL child's relative parent locators resolve against the child's URL. */
import { describe, expect, it } from 'vitest';
import { bytesSource, parentCandidates, parentUrl, readImage } from '../src/index.js';
import type { LocatorPlatformCode } from '../src/index.js';
import { buildDynamicImage } from './support/image-builder.js';

describe('parentUrl', () => {
  it.each([
    ['https://h.test/vms/child.vhd', '.\\parent.vhd', 'https://h.test/vms/parent.vhd'],
    ['https://h.test/vms/child.vhd', 'parent.vhd', 'https://h.test/vms/parent.vhd'],
    ['https://h.test/vms/a/child.vhd', '..\\base\\parent.vhd', 'https://h.test/vms/base/parent.vhd'],
    ['https://h.test/vms/child.vhd?token=1', '.\\parent.vhd', 'https://h.test/vms/parent.vhd'],
    ['http://127.0.0.1:8080/d/child.vhd', '.\\my disk #2?.vhd', 'http://127.0.0.1:8080/d/my%20disk%20%232%3F.vhd'],
    ['https://h.test/vms/child.vhd', './unix/style.vhd', 'https://h.test/vms/unix/style.vhd'],
    // A locator holds a file name, never URL text: '%' is a character of the name.
    ['https://h.test/vms/a/child.vhd', '..\\base%20disk.vhd', 'https://h.test/vms/base%2520disk.vhd'],
    ['https://h.test/vms/child.vhd', '.\\dir\\p.vhd', 'https://h.test/vms/dir/p.vhd'],
    ['https://h.test/vms/child.vhd', '.\\base disk 100%.vhd', 'https://h.test/vms/base%20disk%20100%25.vhd'],
    ['https://h.test/vms/child.vhd', 'dir\\\\p.vhd', 'https://h.test/vms/dir/p.vhd'],
    // '..' never climbs above the server's root; a segment that looks like a scheme or host stays a name.
    ['https://h.test/vms/child.vhd', '..\\..\\..\\..\\p.vhd', 'https://h.test/p.vhd'],
    ['https://h.test/vms/child.vhd', 'http:\\\\evil.test\\p.vhd', 'https://h.test/vms/http%3A/evil.test/p.vhd'],
    ['https://h.test/vms/child.vhd', '.\\@evil.test\\p.vhd', 'https://h.test/vms/%40evil.test/p.vhd'],
  ])('%s + %s → %s', (child, locator, expected) => {
    expect(parentUrl(child, locator)).toBe(expected);
  });

  it.each([
    ['C:\\Projects\\dfvfs\\test_data\\fat-parent.vhd'],
    ['c:/x.vhd'],
    ['C:relative-to-drive.vhd'],
    ['\\\\server\\share\\p.vhd'],
    ['\\rooted\\p.vhd'],
    ['/abs/p.vhd'],
    ['//other.test/p.vhd'],
    [''],
    ['.\\dir\\'],
    ['..'],
    ['.\\.'],
  ])(
    'an absolute, empty or folder path (%s) has no URL',
    (locator) => {
      expect(parentUrl('https://h.test/vms/child.vhd', locator)).toBeUndefined();
    },
  );

  it('is the rule parentCandidates follows for a URL child: relative locators and the name only', async () => {
    const locators: { platformCode: LocatorPlatformCode; path: string }[] = [
      { platformCode: 'W2ku', path: 'C:\\vms\\base disk.vhd' },
      { platformCode: 'Wi2k', path: '\\\\fileserver\\vms\\base disk.vhd' },
      { platformCode: 'MacX', path: '/vms/base disk.vhd' },
      { platformCode: 'W2ru', path: '..\\base%20disk.vhd' },
      { platformCode: 'Wi2r', path: '.\\dir #1\\p?.vhd' },
    ];
    const built = buildDynamicImage({
      virtualSize: 4 * 65536,
      blockSize: 65536,
      blocks: [],
      parent: { uniqueId: new Uint8Array(16), name: 'C:\\vms\\base disk.vhd', locators },
    });
    const image = await readImage(bytesSource(built.bytes));
    const child = 'http://127.0.0.1:8080/images/a/child.vhd';
    expect(parentCandidates(image, child)).toEqual([
      { from: 'W2ru', location: parentUrl(child, '..\\base%20disk.vhd') },
      { from: 'Wi2r', location: parentUrl(child, '.\\dir #1\\p?.vhd') },
      { from: 'name', location: parentUrl(child, 'base disk.vhd') },
    ]);
    expect(parentCandidates(image, child).map((candidate) => candidate.location)).toEqual([
      'http://127.0.0.1:8080/images/base%2520disk.vhd',
      'http://127.0.0.1:8080/images/a/dir%20%231/p%3F.vhd',
      'http://127.0.0.1:8080/images/a/base%20disk.vhd',
    ]);
  });
});
