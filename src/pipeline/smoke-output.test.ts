import { describe, expect, it } from 'vitest';
import {
  debuggingAsLog,
  errorPage,
  judgePage,
  setupFinding,
  type PlannedPage,
} from './smoke-output.js';

const classic = { moodleRoot: '/www/moodle', pluginPath: 'mod/x', pluginWebPath: 'mod/x' };
const publicLayout = {
  moodleRoot: '/www/moodle',
  pluginPath: 'public/mod/x',
  pluginWebPath: 'mod/x',
};
const has = (rel: string): boolean => ['view.php', 'lib.php', 'classes/a.php'].includes(rel);
const view: PlannedPage = { url: '/mod/x/view.php?id=2', as: 'student', why: 'the activity' };

const themedError = (message: string, code: string, trace: string[]): string =>
  `<div role="main"><div data-rel="fatalerror" class="box errorbox alert alert-danger"><p class="errormessage">${message}</p>` +
  `<p class="errorcode"><a href="https://docs.moodle.org/405/en/error/moodle/${code}">More information about this error</a></p></div>` +
  `<div class="alert alert-danger"><strong>Debug info: </strong> <br />Error code: ${code}</div>` +
  `<div class="alert alert-danger"><strong>Stack trace: </strong> <ul style="text-align:left;">${trace.map((t) => `<li>${t}</li>`).join('')}</ul></div></div>`;

const brief = (v: ReturnType<typeof judgePage>) =>
  v.findings.map((f) => [f.ruleId, f.file, f.line, f.message]);

describe('judgePage', () => {
  it('reads PHP messages from the log, only in the plugin, with the page', () => {
    const v = judgePage(
      view,
      {
        status: 200,
        text: '<html></html>',
        errors:
          'PHP Warning:  Undefined variable $x in /www/moodle/mod/x/view.php on line 12\n' +
          'PHP Deprecated:  strftime() is deprecated in /www/moodle/lib/moodlelib.php on line 9\n' +
          'PHP Notice:  Only variables should be passed by reference in /www/moodle/mod/x/lib.php on line 40\n',
      },
      classic,
      has,
    );
    expect(brief(v)).toEqual([
      [
        'smoke/php-warning',
        'view.php',
        12,
        '/mod/x/view.php?id=2 (as student): PHP Warning: Undefined variable $x',
      ],
      [
        'smoke/php-notice',
        'lib.php',
        40,
        '/mod/x/view.php?id=2 (as student): PHP Notice: Only variables should be passed by reference',
      ],
    ]);
  });

  it('reads debugging() boxes from the page at the first frame in the plugin', () => {
    const html =
      '<div class="notifytiny debuggingmessage" data-rel="debugging">Function foo() is deprecated &amp; gone' +
      '<ul style="text-align: left" data-rel="backtrace"><li>line 55 of /lib/deprecatedlib.php: call to debugging()</li>' +
      '<li>line 7 of /public/mod/x/classes/a.php: call to foo()</li><li>line 30 of /public/mod/x/view.php: call to a::b()</li></ul></div>';
    expect(debuggingAsLog(html)).toBe(
      '++ Function foo() is deprecated & gone ++\n* line 55 of /lib/deprecatedlib.php: call to debugging()\n' +
        '* line 7 of /public/mod/x/classes/a.php: call to foo()\n* line 30 of /public/mod/x/view.php: call to a::b()',
    );
    const v = judgePage(view, { status: 200, text: html, errors: '' }, publicLayout, has);
    expect(brief(v)).toEqual([
      [
        'smoke/debugging',
        'classes/a.php',
        7,
        '/mod/x/view.php?id=2 (as student): Function foo() is deprecated & gone',
      ],
    ]);
  });

  it('an exception: from the log when it has one, from the page’s stack trace otherwise', () => {
    const trace = [
      'line 20 of /mod/x/lib.php: Error thrown',
      'line 3 of /mod/x/view.php: call to x()',
    ];
    const logged = judgePage(
      view,
      {
        status: 500,
        text: themedError(
          'Exception - Call to undefined function nope()',
          'generalexceptionmessage',
          trace,
        ),
        errors:
          'Default exception handler: Exception - Call to undefined function nope() Debug: \nError code: generalexceptionmessage\n' +
          '* line 20 of /mod/x/lib.php: Error thrown\n* line 3 of /mod/x/view.php: call to x()\n',
      },
      classic,
      has,
    );
    expect(brief(logged)).toEqual([
      [
        'smoke/exception',
        'lib.php',
        20,
        '/mod/x/view.php?id=2 (as student): Exception - Call to undefined function nope()',
      ],
    ]);
    // bootstrap_renderer's early error page (the page had started), nothing in the log.
    const early =
      `<html><body><div id="page"><div id="region-main"><h1>Error</h1>\n<div class='alert-danger'>Invalid record &quot;x&quot;</div>` +
      `<div class="notifytiny">Debug info: <br />Error code: invalidrecord</div><div class="notifytiny">Stack trace: ` +
      `<ul style="text-align: left" data-rel="backtrace"><li>line 43 of /mod/x/lib.php: moodle_exception thrown</li></ul></div>`;
    expect(errorPage(early)).toEqual({
      message: 'Invalid record "x"',
      code: 'invalidrecord',
      frames: [{ file: '/mod/x/lib.php', line: 43 }],
    });
    const shown = judgePage(
      { url: '/course/view.php?id=2', as: 'admin', why: 'x' },
      { status: 500, text: early, errors: '' },
      classic,
      has,
    );
    expect(brief(shown)).toEqual([
      ['smoke/exception', 'lib.php', 43, '/course/view.php?id=2 (as admin): Invalid record "x"'],
    ]);
  });

  it('an error page without a plugin frame is the page’s; a guessed page that wants parameters is not judged', () => {
    const page = themedError('A required parameter (cmid) was missing', 'missingparam', [
      'line 500 of /lib/setuplib.php: moodle_exception thrown',
    ]);
    const plain = judgePage(view, { status: 404, text: page, errors: '' }, classic, has);
    expect(brief(plain)).toEqual([
      [
        'smoke/error-page',
        'view.php',
        undefined,
        '/mod/x/view.php?id=2 (as student): Moodle’s error page: A required parameter (cmid) was missing (error code missingparam)',
      ],
    ]);
    const guessed = judgePage(
      { ...view, guessed: true },
      { status: 404, text: page, errors: '' },
      classic,
      has,
    );
    expect(guessed.findings).toEqual([]);
    expect(guessed.note).toMatch(
      /^not judged: the page wants more than the crawl knows \(missingparam/,
    );
  });

  it('a server error with nothing said; what php-wasm lacks is the environment’s', () => {
    expect(brief(judgePage(view, { status: 502, text: '', errors: '' }, classic, has))).toEqual([
      [
        'smoke/http-error',
        'view.php',
        undefined,
        '/mod/x/view.php?id=2 (as student): HTTP 502 without an error page or a PHP message',
      ],
    ]);
    const intl = judgePage(
      view,
      {
        status: 500,
        text: themedError(
          'Exception - Class "IntlTimeZone" not found',
          'generalexceptionmessage',
          [],
        ),
        errors:
          'Default exception handler: Exception - Class "IntlTimeZone" not found Debug: \n* line 9 of /mod/x/view.php: Error thrown\n',
      },
      classic,
      has,
    );
    expect(brief(intl).map((f) => f[0])).toEqual(['smoke/environment']);
    expect(intl.findings[0]?.severity).toBe('notice');
    expect(
      brief(judgePage(view, { status: 200, text: '<p>fine</p>', errors: '' }, classic, has)),
    ).toEqual([]);
  });
});

describe('setupFinding', () => {
  it('is at the plugin’s frame; what the crawl cannot load is the environment’s', () => {
    const failed = setupFinding(
      {
        what: 'create a mod_x activity',
        message: 'Invalid course',
        file: '/www/moodle/lib/dml/moodle_database.php',
        line: 10,
        trace: [{ file: '/www/moodle/mod/x/lib.php', line: 33 }],
      },
      classic,
    );
    expect([failed.ruleId, failed.file, failed.line]).toEqual([
      'smoke/setup-failed',
      'lib.php',
      33,
    ]);
    const helper = setupFinding(
      {
        what: 'create a qtype_x question with its test helper',
        message: 'Class "PHPUnit\\Framework\\TestCase" not found',
      },
      classic,
    );
    expect([helper.ruleId, helper.severity]).toEqual(['smoke/environment', 'notice']);
  });
});
