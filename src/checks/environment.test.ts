import { describe, expect, it } from 'vitest';
import { environmentFamily } from './environment.js';
import { lint } from './testing.js';

describe('environment family', () => {
  it('passes the clean example (no environment.xml)', () => {
    expect(lint(environmentFamily, 'mod_example')).toEqual([]);
  });

  it('reports a <PLUGIN> naming another component', () => {
    expect(lint(environmentFamily, 'environment-bad')).toEqual([
      'environment/plugin-name environment.xml:3',
    ]);
  });

  it('reports malformed XML at the parser position', () => {
    expect(lint(environmentFamily, 'environment-malformed')).toEqual([
      'environment/malformed environment.xml:5',
    ]);
  });
});
