import { describe, expect, it } from 'vitest';
import { orderedLogs, type GroupLog } from './ordered-log.js';

function recorder(): GroupLog & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (l) => lines.push(l),
    startGroup: (l) => lines.push(`::group::${l}`),
    endGroup: () => lines.push('::endgroup::'),
  };
}

describe('orderedLogs', () => {
  it('keeps the first check live and writes the others whole, in order', () => {
    const live = recorder();
    const logs = orderedLogs(3, live);
    const { sinks } = logs;
    const done = (i: number): void => {
      logs.done(i);
    };
    const [a, b, c] = sinks as [GroupLog, GroupLog, GroupLog];
    a.startGroup('A');
    c.startGroup('C');
    c.info('c1');
    b.info('b1');
    a.info('a1');
    expect(live.lines).toEqual(['::group::A', 'a1']);
    c.endGroup();
    done(2); // C finished first: still held behind B
    a.endGroup();
    done(0); // B's held lines come out, and B is live from now on
    expect(live.lines).toEqual(['::group::A', 'a1', '::endgroup::', 'b1']);
    b.info('b2');
    done(1);
    expect(live.lines).toEqual([
      '::group::A',
      'a1',
      '::endgroup::',
      'b1',
      'b2',
      '::group::C',
      'c1',
      '::endgroup::',
    ]);
  });
});
