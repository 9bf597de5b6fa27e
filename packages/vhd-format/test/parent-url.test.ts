/** A URL child's relative parent locators resolve against the child's URL. */
import { describe, expect, it } from 'vitest';
import { parentUrl } from '../src/index.js';

describe('parentUrl', () => {
  it.each([
    ['https://h.test/vms/child.vhd', '.\\parent.vhd', 'https://h.test/vms/parent.vhd'],
    ['https://h.test/vms/child.vhd', 'parent.vhd', 'https://h.test/vms/parent.vhd'],
    ['https://h.test/vms/a/child.vhd', '..\\base\\parent.vhd', 'https://h.test/vms/base/parent.vhd'],
    ['https://h.test/vms/child.vhd?token=1', '.\\parent.vhd', 'https://h.test/vms/parent.vhd'],
    ['http://127.0.0.1:8080/d/child.vhd', '.\\my disk #2?.vhd', 'http://127.0.0.1:8080/d/my%20disk%20%232%3F.vhd'],
    ['https://h.test/vms/child.vhd', './unix/style.vhd', 'https://h.test/vms/unix/style.vhd'],
  ])('%s + %s → %s', (child, locator, expected) => {
    expect(parentUrl(child, locator)).toBe(expected);
  });

  it.each([['C:\\Projects\\dfvfs\\test_data\\fat-parent.vhd'], ['c:/x.vhd'], ['\\\\server\\share\\p.vhd'], ['/abs/p.vhd'], ['']])(
    'an absolute or empty path (%s) has no URL',
    (locator) => {
      expect(parentUrl('https://h.test/vms/child.vhd', locator)).toBeUndefined();
    },
  );
});
