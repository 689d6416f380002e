import { describe, expect, it } from 'vitest';
import { subpluginsFamily } from './subplugins.js';
import { lint, loadFixture } from './testing.js';

describe('subplugins family', () => {
  it('passes the clean example and a clean plugin with a subplugin', () => {
    expect(lint(subpluginsFamily, 'mod_example')).toEqual([]);
    expect(loadFixture('clean-subplugins').subplugins.map((s) => s.component)).toEqual([
      'cleansubpart_one',
    ]);
    expect(lint(subpluginsFamily, 'clean-subplugins')).toEqual([]);
  });

  it('reports inconsistent keys, bad type names, missing folders and folders without version.php', () => {
    expect(lint(subpluginsFamily, 'subplugins-bad')).toEqual([
      'subplugins/inconsistent db/subplugins.json:3',
      'subplugins/inconsistent db/subplugins.json:4',
      'subplugins/inconsistent db/subplugins.json:5',
      'subplugins/no-version part/orphan/lib.php',
      'subplugins/type-name db/subplugins.json:4',
      'subplugins/type-name db/subplugins.json:5',
    ]);
  });

  it('reports invalid JSON at its position', () => {
    expect(lint(subpluginsFamily, 'subplugins-malformed')).toEqual([
      'subplugins/malformed db/subplugins.json:4',
    ]);
  });

  it('asks for the key each supported branch reads', () => {
    expect(lint(subpluginsFamily, 'subplugins-one-key')).toEqual([
      'subplugins/missing-subplugintypes db/subplugins.json:2',
    ]);
    expect(lint(subpluginsFamily, 'subplugins-new-only')).toEqual([
      'subplugins/missing-plugintypes db/subplugins.json:2',
    ]);
  });
});
