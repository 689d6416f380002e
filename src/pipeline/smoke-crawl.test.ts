import { describe, expect, it } from 'vitest';
import { parseReply } from './smoke-crawl.js';

const mark = (v: unknown): string => `@@MPC-SMOKE@@${JSON.stringify(v)}`;

describe('parseReply (the setup’s answer, which runs beside the plugin’s code)', () => {
  it('keeps pages on the site for the three users, and notes as text', () => {
    expect(
      parseReply(
        mark({
          pages: [
            { url: '/mod/x/view.php?id=2', as: 'student', why: 'the activity' },
            { url: 'https://example.com/', as: 'admin', why: 'off the site' },
            { url: '//example.com/x', as: 'admin', why: 'protocol-relative' },
            { url: '/x.php', as: 'root', why: 'no such user' },
            { url: '/report/x/index.php', as: 'admin', why: 'r', guessed: true },
          ],
          notes: [{ what: 'create x', message: 'no', line: 3, extra: 1 }, { what: 7 }],
        }),
      ),
    ).toEqual({
      pages: [
        { url: '/mod/x/view.php?id=2', as: 'student', why: 'the activity' },
        { url: '/report/x/index.php', as: 'admin', why: 'r', guessed: true },
      ],
      notes: [{ what: 'create x', message: 'no', line: 3 }],
    });
  });

  it('gives nothing for no answer, bad JSON or the wrong shape', () => {
    expect(parseReply(undefined)).toBeUndefined();
    expect(parseReply('@@MPC-SMOKE@@{not json')).toBeUndefined();
    expect(parseReply(mark({ pages: 'x', notes: [] }))).toBeUndefined();
    expect(parseReply(mark(null))).toBeUndefined();
  });

  it('keeps at most 40 pages', () => {
    const pages = Array.from({ length: 500 }, (_, i) => ({
      url: `/p${i}.php`,
      as: 'admin',
      why: '',
    }));
    expect(parseReply(mark({ pages, notes: [] }))?.pages).toHaveLength(40);
  });
});
