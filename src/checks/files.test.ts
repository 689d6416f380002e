import { describe, expect, it } from 'vitest';
import { filesFamily } from './files.js';
import { lint } from './testing.js';

describe('files family', () => {
  it('passes the clean example and a clean subplugin', () => {
    expect(lint(filesFamily, 'mod_example')).toEqual([]);
    expect(lint(filesFamily, 'clean-subplugins')).toEqual([]);
  });

  it('reports a module without icon or README, and stray files', () => {
    expect(lint(filesFamily, 'files-bad')).toEqual([
      'files/icon version.php',
      'files/readme',
      'files/stray Thumbs.db',
      'files/stray lib.php.orig',
    ]);
  });

  it('notes a module with only the pre-4.0 icon', () => {
    expect(lint(filesFamily, 'files-legacy-icon')).toEqual(['files/monologo pix/icon.svg']);
  });
});
