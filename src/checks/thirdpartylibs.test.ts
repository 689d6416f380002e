import { describe, expect, it } from 'vitest';
import { licenseVerdict, thirdpartylibsFamily } from './thirdpartylibs.js';
import { lint } from './testing.js';

describe('thirdpartylibs family', () => {
  it('passes the clean example', () => {
    expect(lint(thirdpartylibsFamily, 'mod_example')).toEqual([]);
  });

  it('reports missing fields, missing locations and licenses at each <library>', () => {
    expect(lint(thirdpartylibsFamily, 'thirdpartylibs-bad')).toEqual([
      'thirdpartylibs/license thirdpartylibs.xml:22',
      'thirdpartylibs/license-incompatible thirdpartylibs.xml:28',
      'thirdpartylibs/location-missing thirdpartylibs.xml:16',
      'thirdpartylibs/missing-field thirdpartylibs.xml:10',
    ]);
  });

  it('reports malformed XML at the parser position', () => {
    expect(lint(thirdpartylibsFamily, 'thirdpartylibs-malformed')).toEqual([
      'thirdpartylibs/malformed thirdpartylibs.xml:5',
    ]);
  });

  it('recognises the license names real plugins use', () => {
    for (const [license, version] of [
      ['MIT', ''],
      ['BSD', '3-Clause'],
      ['Apache', '2.0'],
      ['Apache-2.0', ''],
      ['LGPL', '2.1+'],
      ['GPL', '3'],
      ['GPLv3', ''],
      ['SIL-OFL', '1.1'],
      ['MPL', '2.0'],
      ['ISC', ''],
      ['Public Domain', ''],
      ['MIT or GPL-2.0', ''],
      ['CC BY 4.0', ''],
    ]) {
      expect(licenseVerdict(license!, version!), license).toBe('known');
    }
    expect(licenseVerdict('CC BY-NC 4.0', '')).toBe('incompatible');
    expect(licenseVerdict('Commercial', '')).toBe('incompatible');
    expect(licenseVerdict('Custom', '')).toBe('unknown');
  });
});
