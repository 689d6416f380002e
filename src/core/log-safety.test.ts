import { describe, expect, it } from 'vitest';
import { inertJson, neutralise } from './log-safety.js';

/** What the runner would parse as a command: `::` after leading blanks, `##[` anywhere. */
const live = (text: string): string[] =>
  text.split(/\r\n|\r|\n/).filter((l) => /^\s*::/.test(l) || l.includes('##['));

describe('neutralise', () => {
  it.each([
    '::add-mask::secret',
    '::stop-commands::token',
    '::set-output name=x::y',
    '::error file=a.php,line=1::fake',
    '   \t::warning::indented',
    '\u00a0\u2003::notice::unicode blanks',
    'text ##[group]legacy anywhere',
    '##[set-output name=a;]b',
    'a\r::add-mask::after a carriage return',
    'a\r\n::endgroup::',
  ])('makes %j inert', (text) => {
    expect(live(text)).not.toEqual([]);
    expect(live(neutralise(text))).toEqual([]);
    expect(live(neutralise(text, { keepSgr: true }))).toEqual([]);
  });

  // Not commands as they stand, but removing the escape must not make them one.
  it.each(['\u001b[31m::add-mask::after a colour', '\u001b]0;title\u0007::add-mask::after an OSC'])(
    'leaves %j inert once its escape is gone',
    (text) => {
      expect(live(neutralise(text))).toEqual([]);
      expect(live(neutralise(text, { keepSgr: true }).replaceAll('\u001b[31m', ''))).toEqual([]);
    },
  );

  it('keeps what a person reads', () => {
    expect(neutralise('::add-mask::x').replace(/\u200b/g, '')).toBe('::add-mask::x');
    expect(neutralise('plain line\nsecond: a::b')).toBe('plain line\nsecond: a::b');
    expect(neutralise('tab\there')).toBe('tab\there');
  });

  it('removes terminal escapes and control characters', () => {
    expect(neutralise('a\u001b[2K\u001b[1Ab')).toBe('ab');
    expect(neutralise('a\u001b]8;;http://x\u001b\\link\u001b]8;;\u001b\\b')).toBe('alinkb');
    expect(neutralise('a\u0000b\u0007c\u0085d')).toBe('a\ufffdb\ufffdc\ufffdd');
  });

  it('keeps colour on a terminal only when asked, and only colour', () => {
    const red = '\u001b[31mred\u001b[39m';
    expect(neutralise(red)).toBe('red');
    expect(neutralise(red, { keepSgr: true })).toBe(red);
    expect(neutralise(`${red}\u001b[2J`, { keepSgr: true })).toBe(red);
    // Our placeholders cannot be forged from the input.
    expect(neutralise('\ue0000\ue001', { keepSgr: true })).toBe('\ufffd0\ufffd');
  });
});

describe('inertJson', () => {
  it('writes ##[ so that the JSON value is the same and no line carries it', () => {
    const json = JSON.stringify({ m: 'x ##[group]y' }, null, 2);
    const out = inertJson(json);
    expect(out).not.toContain('##[');
    expect(JSON.parse(out)).toEqual({ m: 'x ##[group]y' });
  });
});
