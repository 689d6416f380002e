import { describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.js';
import { previewUrl, supportFromReport } from '../action/preview.js';
import { ciBlueprint } from './ci.js';
import { checkBlueprint } from './parse.js';
import {
  DEFAULT_PLAYGROUND_HOST,
  PLAYGROUND_RUNTIMES,
  playgroundRuntime,
  previewLink,
  type PreviewOptions,
  type RuntimeChoice,
} from './preview.js';
import type { Blueprint } from './types.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';

function decode(url: string): Blueprint {
  const param = new URL(url).searchParams.get('blueprint');
  expect(param).toMatch(/^[A-Za-z0-9_-]+$/);
  return JSON.parse(Buffer.from(param!, 'base64url').toString('utf8')) as Blueprint;
}

/**
 * The Playground's version resolution, restated from its source (src/shared/version-resolver.js:
 * MOODLE_BRANCHES, resolveMoodleBranch, resolveVersions) rather than from ours, so the generator is
 * held to what the Playground does with what it emits.
 */
const PLAYGROUND = [
  { branch: 'MOODLE_404_STABLE', version: '4.4', php: ['8.1', '8.2', '8.3'] },
  { branch: 'MOODLE_405_STABLE', version: '4.5', php: ['8.1', '8.2', '8.3'] },
  { branch: 'MOODLE_500_STABLE', version: '5.0', php: ['8.2', '8.3', '8.4'] },
  { branch: 'MOODLE_501_STABLE', version: '5.1', php: ['8.2', '8.3', '8.4'] },
  { branch: 'MOODLE_502_STABLE', version: '5.2', php: ['8.2', '8.3', '8.4'] },
  { branch: 'MOODLE_503_STABLE', version: '5.3', php: ['8.3', '8.4'] },
  { branch: 'main', version: 'dev', php: ['8.2', '8.3', '8.4', '8.5'] },
];
const PLAYGROUND_DEFAULT = 'MOODLE_503_STABLE';

function resolveMoodleBranch(value: string | undefined): (typeof PLAYGROUND)[number] | null {
  if (!value) return null;
  return (
    PLAYGROUND.find((b) => b.branch === value) ??
    PLAYGROUND.find((b) => b.version === value) ??
    PLAYGROUND.find((b) => b.version === value.replace(/\.x$/, '')) ??
    null
  );
}

function resolveVersions(pv: Blueprint['preferredVersions']): { moodle: string; php: string } {
  const branch =
    resolveMoodleBranch(pv?.moodle) ?? PLAYGROUND.find((b) => b.branch === PLAYGROUND_DEFAULT)!;
  const asked = pv?.php?.trim();
  const php =
    asked && branch.php.includes(asked)
      ? asked
      : branch.php.includes('8.3')
        ? '8.3'
        : branch.php[0]!;
  return { moodle: branch.version, php };
}

/** Branch numbers from..to over the releases we know (4.1 .. 5.3). */
const KNOWN = [401, 402, 403, 404, 405, 500, 501, 502, 503];
const range = (from: number, to: number): number[] => KNOWN.filter((b) => b >= from && b <= to);

describe('playgroundRuntime', () => {
  it("lists exactly the runtimes of the Playground's resolver", () => {
    expect(PLAYGROUND_RUNTIMES.map((r) => [r.moodle, r.php])).toEqual(
      PLAYGROUND.map((b) => [b.version, b.php]),
    );
  });

  it('asks only for what the Playground resolves to itself, on a Moodle the plugin supports', () => {
    const ranges = [
      undefined,
      range(401, 503),
      range(404, 404),
      range(405, 405),
      range(401, 405),
      range(500, 503),
      range(502, 503),
      range(503, 503),
      range(403, 500),
      range(501, 502),
    ];
    const moodles = [
      undefined,
      '4.1',
      '4.3',
      '4.4',
      '4.5',
      '4.5.7',
      '5.0',
      '5.1',
      '5.2',
      '5.2.1',
      '5.3',
      'MOODLE_405_STABLE',
      'x',
    ];
    const phps = [undefined, '7.4', '8.1', '8.2', '8.3', '8.3.14', '8.4', '8.5'];
    for (const supported of ranges)
      for (const moodle of moodles)
        for (const php of phps) {
          const options: PreviewOptions = {
            repository: 'o/moodle-mod_x',
            ref: SHA,
            component: 'mod_x',
            ...(supported ? { supported } : {}),
            ...(moodle ? { moodle } : {}),
            ...(php ? { php } : {}),
          };
          const link = previewLink(options);
          const where = JSON.stringify({ supported, moodle, php });
          expect(link.url, where).not.toBe('');
          const pv = decode(link.url).preferredVersions;
          // No silent fallback: the Moodle named is one the resolver knows as it is spelt.
          expect(resolveMoodleBranch(pv?.moodle)?.version, where).toBe(pv?.moodle);
          expect(pv?.moodle, where).toMatch(/^(\d\.\d|dev)$/);
          expect(['4.1', '4.3', '5.2.1', '4.5.7'], where).not.toContain(pv?.moodle);
          expect(resolveVersions(pv), where).toEqual(link.runs);
          if (supported) {
            const branch = PLAYGROUND_RUNTIMES.find((r) => r.moodle === pv?.moodle)!.branch;
            expect(supported, where).toContain(branch);
          }
        }
  });

  /** playgroundRuntime for a plugin range, a checked Moodle and a checked PHP. */
  const pick = (supported?: number[], checkedMoodle?: string, checkedPhp?: string) =>
    playgroundRuntime({ supported, checkedMoodle, checkedPhp });

  it('keeps what was checked when the Playground has it and the plugin supports it', () => {
    expect(pick(range(405, 503), '4.5', '8.1')).toEqual({ moodle: '4.5', php: '8.1' });
    expect(pick(range(405, 503), '5.2.1', '8.4.3')).toEqual({ moodle: '5.2', php: '8.4' });
    // Nothing checked: the Playground's default branch, 5.3, or the nearest the plugin supports.
    expect(pick(range(401, 503))).toEqual({ moodle: '5.3', php: '8.3' });
    expect(pick(range(401, 405))).toEqual({ moodle: '4.5', php: '8.3' });
  });

  it('says why it runs something else: no such Moodle, not supported, no such PHP', () => {
    const cases: [RuntimeChoice, [string, string, string?]][] = [
      [pick(range(401, 503), '4.1', '8.1'), ['4.4', '8.1', 'the Playground has no Moodle 4.1']],
      [
        pick(range(405, 500), '5.2', '8.4'),
        ['5.0', '8.4', 'the plugin does not support Moodle 5.2'],
      ],
      [
        pick(range(405, 405), '5.2', '8.4'),
        [
          '4.5',
          '8.3',
          "the plugin does not support Moodle 5.2; the Playground's Moodle 4.5 has PHP 8.1–8.3 only",
        ],
      ],
      [
        pick(undefined, '5.3', '8.2'),
        ['5.3', '8.3', "the Playground's Moodle 5.3 has PHP 8.3–8.4 only"],
      ],
      [
        pick(range(401, 503), 'x'),
        ['5.3', '8.3', '"x" is not a Moodle version the Playground knows'],
      ],
    ];
    for (const [got, [moodle, php, differs]] of cases)
      expect(got).toEqual({ moodle, php, differs });
  });

  it('picks the nearest in release order, ties to the newer', () => {
    // 4.5 and 5.0 are neighbours, however far apart their numbers.
    expect(pick([404, 500], '4.5')).toMatchObject({ moodle: '5.0' });
    expect(pick([404, 501], '4.5')).toMatchObject({ moodle: '4.4' });
    expect(pick(range(404, 503), '4.3')).toMatchObject({ moodle: '4.4' });
  });

  it('uses dev only for a plugin past every stable branch the Playground has', () => {
    expect(pick([600])).toEqual({ moodle: 'dev', php: '8.3' });
    expect(pick([503, 600], 'dev')).toMatchObject({ moodle: '5.3' });
  });

  it('gives no link, with why, for a plugin no runtime of the Playground fits', () => {
    const none = pick(range(401, 403), '4.1');
    expect(none).toEqual({
      none: 'the plugin supports Moodle 4.1–4.3, and the Playground runs none of them (it has Moodle 4.4, 4.5, 5.0, 5.1, 5.2, 5.3, dev)',
    });
    const link = previewLink({
      repository: 'o/r',
      ref: SHA,
      component: 'mod_x',
      supported: range(401, 403),
    });
    expect(link.url).toBe('');
    expect(link.runs).toBeUndefined();
    expect(link.fallbackReason).toMatch(/^the plugin supports Moodle 4\.1–4\.3/);
    expect(link.blueprint.preferredVersions).toBeUndefined();
  });
});

describe('previewLink', () => {
  it('installs an activity at the pinned commit, with a course and an instance', () => {
    const link = previewLink({
      repository: 'brickfield/moodle-mod_board',
      ref: SHA,
      component: 'mod_board',
      moodle: '4.5',
      php: '8.3',
    });
    expect(link.encoding).toBe('base64url');
    expect(link.fallbackReason).toBeUndefined();
    expect(link.url.startsWith(`${DEFAULT_PLAYGROUND_HOST}?blueprint=`)).toBe(true);
    const bp = decode(link.url);
    expect(bp).toEqual(link.blueprint);
    expect(bp.preferredVersions).toEqual({ php: '8.3', moodle: '4.5' });
    expect(link.runs).toEqual({ moodle: '4.5', php: '8.3' });
    expect(link.differs).toBeUndefined();
    expect(bp.steps[0]).toEqual({
      step: 'installMoodlePlugin',
      url: `https://github.com/brickfield/moodle-mod_board/archive/${SHA}.zip`,
      pluginType: 'mod',
      pluginName: 'board',
    });
    expect(bp.steps.map((s) => s.step)).toEqual([
      'installMoodlePlugin',
      'login',
      'createCourse',
      'addModule',
    ]);
    expect(bp.steps[3]).toMatchObject({ module: 'board', course: 'PREVIEW' });
    expect(bp.landingPage).toBe('/course/view.php?id=2');
    // What we hand the Playground must be valid by our own schema.
    checkBlueprint(bp, 'preview');
  });

  it('uses the fork as the archive source, and a configurable host', () => {
    const link = previewLink({
      repository: 'someone/moodle-local_thing',
      ref: SHA.slice(0, 12),
      component: 'local_thing',
      host: 'https://moodle-playground.com/?lang=en',
    });
    expect(link.url.startsWith('https://moodle-playground.com/?lang=en&blueprint=')).toBe(true);
    const bp = decode(link.url);
    expect(bp.steps[0]).toMatchObject({
      url: `https://github.com/someone/moodle-local_thing/archive/${SHA.slice(0, 12)}.zip`,
    });
    expect(bp.landingPage).toBe('/admin/plugins.php');
    // Pinned even when nothing was checked: a new Playground default must not change the link.
    expect(bp.preferredVersions).toEqual({ moodle: '5.3' });
  });

  it('installs a theme with installTheme and selects it with setTheme', () => {
    const bp = previewLink({
      repository: 'o/moodle-theme_x',
      ref: SHA,
      component: 'theme_x',
    }).blueprint;
    expect(bp.steps[0]).toEqual({
      step: 'installTheme',
      url: `https://github.com/o/moodle-theme_x/archive/${SHA}.zip`,
      pluginName: 'x',
    });
    expect(bp.steps[2]).toEqual({ step: 'setTheme', name: 'x' });
    expect(bp.landingPage).toBe('/');
  });

  it('drops optional steps when the link is too long, then falls back to ?blueprint-url=', () => {
    const base = { repository: 'o/moodle-mod_x', ref: SHA, component: 'mod_x' };
    const full = previewLink(base).url.length;
    const trimmed = previewLink({ ...base, maxUrlLength: full - 1 });
    expect(trimmed.encoding).toBe('base64url');
    expect(trimmed.url.length).toBeLessThan(full);
    expect(trimmed.blueprint.steps.map((s) => s.step)).toEqual(['installMoodlePlugin', 'login']);
    expect(trimmed.fallbackReason).toMatch(/dropped the optional steps that build a course/);
    expect(trimmed.blueprint.landingPage).toBe('/admin/modules.php');

    const tiny = previewLink({
      ...base,
      maxUrlLength: 100,
      repoBlueprint: '.github/preview.blueprint.json',
    });
    expect(tiny.encoding).toBe('fallback');
    expect(new URL(tiny.url).searchParams.get('blueprint-url')).toBe(
      `https://raw.githubusercontent.com/o/moodle-mod_x/${SHA}/.github/preview.blueprint.json`,
    );
    // The repository's blueprint names its own versions; the URL pins the ones chosen here.
    expect(new URL(tiny.url).searchParams.get('moodle')).toBe('5.3');
    const none = previewLink({ ...base, maxUrlLength: 100 });
    expect(none.url).toBe('');
    expect(none.fallbackReason).toMatch(
      /over the 100-character limit, and the repository ships no blueprint/,
    );
  });

  it('explains instead of linking when the plugin is in a subfolder or of an unknown type', () => {
    const sub = previewLink({
      repository: 'o/monorepo',
      ref: SHA,
      component: 'local_x',
      pluginDir: 'plugins/local_x/',
    });
    expect(sub.url).toBe('');
    expect(sub.fallbackReason).toMatch(
      /in "plugins\/local_x\/" of o\/monorepo, but the Playground installs a GitHub archive from the repository root/,
    );
    expect(
      previewLink({ repository: 'o/r', ref: SHA, component: 'local_x', pluginDir: '.' }).url,
    ).not.toBe('');
    const odd = previewLink({ repository: 'o/r', ref: SHA, component: 'logstore_x' });
    expect(odd.url).toBe('');
    expect(odd.fallbackReason).toMatch(/cannot install plugins of type "logstore"/);
  });

  describe('lands on a page that shows the plugin', () => {
    const land = (component: string, files: string[] = [], full = true): Blueprint =>
      previewLink({
        repository: 'o/r',
        ref: SHA,
        component,
        hasFile: (rel) => files.includes(rel),
        ...(full ? {} : { maxUrlLength: 100, repoBlueprint: 'b.json' }),
      }).blueprint;
    const steps = (bp: Blueprint): string[] => bp.steps.map((s) => s.step);

    it('mod: a course with an instance of it', () => {
      const bp = land('mod_x');
      expect(bp.landingPage).toBe('/course/view.php?id=2');
      expect(bp.steps.at(-1)).toMatchObject({ step: 'addModule', module: 'x', course: 'PREVIEW' });
      checkBlueprint(bp, 'preview');
    });

    it('theme: the front page with it selected, even in the short link', () => {
      for (const bp of [land('theme_x'), land('theme_x', [], false)]) {
        expect(bp.landingPage).toBe('/');
        expect(bp.steps).toContainEqual({ step: 'setTheme', name: 'x' });
      }
    });

    it('block: a course with the block added through the block manager', () => {
      const bp = land('block_x');
      expect(bp.landingPage).toBe('/course/view.php?id=2');
      expect(steps(bp)).toEqual(['installMoodlePlugin', 'login', 'createCourse', 'runPhpCode']);
      const code = String(bp.steps[3]!.code);
      expect(code).toMatch(
        /^define\('CLI_SCRIPT', true\);\nrequire\('\/www\/moodle\/config\.php'\);/,
      );
      expect(code).toContain(
        "$page->blocks->add_block('x', 'side-pre', 0, false, 'course-view-*');",
      );
      checkBlueprint(bp, 'preview');
    });

    it('filter: switched on, with a label of text in a course', () => {
      const bp = land('filter_x');
      expect(bp.landingPage).toBe('/course/view.php?id=2');
      expect(steps(bp)).toEqual([
        'installMoodlePlugin',
        'login',
        'runPhpCode',
        'createCourse',
        'addModule',
      ]);
      expect(String(bp.steps[2]!.code)).toContain("filter_set_global_state('x', TEXTFILTER_ON);");
      expect(bp.steps[4]).toMatchObject({ module: 'label' });
      expect(String(bp.steps[4]!.intro)).toMatch(/^<p>Text for filter_x: /);
      checkBlueprint(bp, 'preview');
      // The short link keeps the filter on and opens its settings.
      const short = land('filter_x', ['settings.php'], false);
      expect(steps(short)).toEqual(['installMoodlePlugin', 'login', 'runPhpCode']);
      expect(short.landingPage).toBe('/admin/settings.php?section=filtersettingx');
    });

    it('qtype: its settings, else the question types page', () => {
      expect(land('qtype_x', ['settings.php']).landingPage).toBe(
        '/admin/settings.php?section=qtypesettingx',
      );
      expect(land('qtype_x').landingPage).toBe('/admin/qtypes.php');
    });

    it('local, tool, report: their own index.php, else their settings, else the overview', () => {
      expect(land('local_x', ['index.php', 'settings.php']).landingPage).toBe('/local/x/index.php');
      expect(land('tool_x', ['index.php']).landingPage).toBe('/admin/tool/x/index.php');
      expect(land('report_x', ['index.php']).landingPage).toBe('/report/x/index.php');
      expect(land('local_x', ['settings.php']).landingPage).toBe(
        '/admin/settings.php?section=local_x',
      );
      expect(land('tool_x').landingPage).toBe('/admin/plugins.php');
    });

    it('other types: the settings page Moodle names for the type, else the overview', () => {
      expect(land('auth_x', ['settings.php']).landingPage).toBe(
        '/admin/settings.php?section=authsettingx',
      );
      expect(land('tiny_x', ['settings.php']).landingPage).toBe(
        '/admin/settings.php?section=tiny_x_settings',
      );
      expect(land('enrol_x').landingPage).toBe('/admin/settings.php?section=manageenrols');
      expect(land('gradeexport_x', ['settings.php']).landingPage).toBe('/admin/plugins.php');
      // Files unknown (the publish side has none): no guessing at a page that may not exist.
      const unknown = previewLink({ repository: 'o/r', ref: SHA, component: 'local_x' });
      expect(unknown.blueprint.landingPage).toBe('/admin/plugins.php');
    });
  });

  it('refuses bad inputs', () => {
    for (const bad of [
      { repository: 'nope', ref: SHA, component: 'mod_x' },
      { repository: 'o/r', ref: 'main', component: 'mod_x' },
      { repository: 'o/r', ref: SHA, component: 'board' },
      { repository: 'o/r', ref: SHA, component: 'mod_x', host: 'ftp://x' },
    ])
      expect(() => previewLink(bad)).toThrow(UserError);
  });
});

// The action's wrapper (src/action/preview.ts), here with the generator it feeds.
describe("the action's preview", () => {
  const request = { repository: 'o/r', ref: SHA, pluginPath: '', component: 'mod_x' };

  it('says what the link runs and, when it differs, what was checked', () => {
    expect(previewUrl({ ...request, moodle: '4.5', php: '8.3' })).toMatchObject({
      runs: { moodle: '4.5', php: '8.3' },
    });
    const other = previewUrl({ ...request, supported: [405, 500], moodle: '5.2', php: '8.4' });
    expect(other.runs).toEqual({ moodle: '5.0', php: '8.4' });
    expect(other.differs).toBe(
      'checked: Moodle 5.2 on PHP 8.4 — the plugin does not support Moodle 5.2',
    );
    const none = previewUrl({ ...request, supported: [401, 402, 403], moodle: '4.1' });
    expect(none.url).toBeUndefined();
    expect(none.note).toMatch(/^no preview link: the plugin supports Moodle 4\.1–4\.3/);
  });

  it('reads the supported range from an untrusted report, and says when it has none', () => {
    expect(supportFromReport({ requires: 2024100700, supported: [405, 500] }, '405')).toEqual({
      supported: [405, 500],
    });
    expect(supportFromReport({ requires: 2025041400, supported: null }, '500').supported).toEqual([
      500, 501, 502, 503,
    ]);
    expect(
      supportFromReport({ requires: 2024100700, supported: [401, -1] }, '405').supported,
    ).toEqual([405, 500, 501, 502, 503]);
    // Declaring neither limits nothing.
    expect(supportFromReport({ requires: null, supported: null }, '405')).toEqual({});
    // Other shapes count as not declared.
    expect(supportFromReport({ requires: '2024', supported: ['405', 1, 2] }, '405')).toEqual({});
    expect(supportFromReport({}, '405')).toEqual({
      supported: [405],
      note: 'the artifact names no supported Moodle range; the preview assumes the checked Moodle 4.5 only',
    });
    expect(supportFromReport({}, undefined)).toEqual({
      note: 'the artifact names no supported Moodle range',
    });
  });
});

describe('ciBlueprint', () => {
  it('fills the plugin constants and adds an instance for an activity', () => {
    const bp = ciBlueprint({ type: 'mod', name: 'board', component: 'mod_board' });
    expect(bp.steps.map((s) => s.step)).toEqual([
      'installMoodle',
      'createCourse',
      'createUsers',
      'enrolUsers',
      'addModule',
    ]);
    expect(bp.steps[1]).toMatchObject({ fullname: 'CI course for mod_board', shortname: 'MPC101' });
    expect(bp.steps[4]).toEqual({
      step: 'addModule',
      module: 'board',
      course: 'MPC101',
      section: 1,
      name: 'mod_board instance',
    });
    expect(bp.steps[3]).toMatchObject({
      enrolments: [
        { username: 'teacher1', course: 'MPC101', role: 'editingteacher' },
        { username: 'student1', course: 'MPC101', role: 'student' },
      ],
    });
  });

  it('adds no activity for other plugin types and does not share state between calls', () => {
    ciBlueprint({ type: 'mod', name: 'a', component: 'mod_a' });
    const bp = ciBlueprint({ type: 'local', name: 'x', component: 'local_x' });
    expect(bp.steps.map((s) => s.step)).not.toContain('addModule');
    expect(bp.constants).toMatchObject({
      PLUGIN_COMPONENT: 'local_x',
      PLUGIN_TYPE: 'local',
      PLUGIN_NAME: 'x',
    });
  });
});
