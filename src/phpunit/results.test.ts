// Events of the results collector to outcomes, counts, findings at the plugin's file and JUnit XML.
import { describe, expect, it } from 'vitest';
import { countResults, junitXml, ResultCollector, resultFindings } from './results.js';

const at = {
  toPlugin: (p: string) =>
    p.startsWith('/www/moodle/local/x/') ? p.slice('/www/moodle/local/x/'.length) : undefined,
};
const start = (id: string, line = 10) =>
  JSON.stringify({
    e: 'start',
    id,
    class: id.split('::')[0],
    method: id.split('::')[1],
    file: '/www/moodle/local/x/tests/a_test.php',
    line,
  });
const end = (id: string, issues: object[] = [], assertions = 1) =>
  JSON.stringify({ e: 'end', id, assertions, ms: 5, issues });

describe('ResultCollector', () => {
  it('turns events into outcomes: the worst issue wins, environment needs are skipped, a stopped test is named', () => {
    const c = new ResultCollector();
    c.push(JSON.stringify({ e: 'run', tests: 6, phpunit: '9.6.18' }));
    c.push(start('A::ok'));
    c.push(end('A::ok'));
    c.push(start('A::bad'));
    c.push(
      end('A::bad', [
        { status: 'risky', message: 'r' },
        {
          status: 'failure',
          message: 'Failed asserting that 5 is identical to 6.',
          diff: '-6\n+5',
          frames: [
            { file: '/www/moodle/vendor/x.php', line: 3 },
            { file: '/www/moodle/local/x/tests/a_test.php', line: 19 },
          ],
        },
      ]),
    );
    c.push(start('A::proc'));
    c.push(
      end('A::proc', [
        {
          status: 'error',
          class: 'Error',
          message: 'Error: Call to undefined function sodium_crypto_box_keypair()',
        },
      ]),
    );
    c.push(start('A::skip'));
    c.push(end('A::skip', [{ status: 'skipped', message: 'later' }], 0));
    c.push('not json');
    c.push(start('A::loop', 30));
    const stopped = c.stopRunning('timeout', 'did not end within 5 s and was stopped', 5000);
    expect(stopped?.id).toBe('A::loop');
    expect(c.stopRunning('crashed', 'x', 0)).toBeUndefined();
    expect(c.results.map((r) => r.status)).toEqual([
      'passed',
      'failure',
      'environment',
      'skipped',
      'timeout',
    ]);
    const counts = countResults(c.results);
    expect(counts).toMatchObject({
      tests: 5,
      assertions: 3,
      failures: 1,
      errors: 0,
      skipped: 2,
      skippedByEnvironment: 1,
      timeouts: 1,
    });
    const findings = resultFindings(c.results, at);
    expect(findings.map((f) => [f.ruleId, f.file, f.line])).toEqual([
      ['phpunit/risky', 'tests/a_test.php', 10],
      ['phpunit/failure', 'tests/a_test.php', 19],
      ['phpunit/skipped-by-environment', 'tests/a_test.php', 10],
      ['phpunit/timeout', 'tests/a_test.php', 30],
    ]);
    expect(findings[1]!.message).toBe('A::bad: Failed asserting that 5 is identical to 6.\n-6\n+5');
    const xml = junitXml(c.results, 'local_x_testsuite', at);
    expect(xml).toContain(
      '<testsuite name="local_x_testsuite" tests="5" assertions="3" errors="1" failures="1" skipped="2"',
    );
    expect(xml).toContain('<failure type="PHPUnit\\Framework\\ExpectationFailedException">A::bad');
    expect(xml).toContain('<error type="moodle-plugin-check.timeout">');
  });
});
