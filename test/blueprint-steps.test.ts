// Integration: every blueprint step on a real Moodle 4.5 in php-wasm, grouped into a few runs
// (each run provisions a site from the cached installed-site snapshot). Skipped, with a message,
// when no 4.5 tree is registered (`moodle-plugin-check moodle import <dir>`).
import { strToU8, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../src/checks/testing.js';
import { loadBlueprint } from '../src/blueprint/parse.js';
import { runBlueprintOnSite } from '../src/pipeline/blueprint-run.js';
import type { StepResult } from '../src/blueprint/types.js';
import { listEntries } from '../src/moodle/source/cache.js';
import { cacheRoot } from '../src/moodle/source/cache-dir.js';
import { archiveServer } from '../src/moodle/testing.js';
import { runCheck } from '../src/pipeline/pipeline.js';
import { runCli } from '../src/cli/testing.js';
import { pluginZip } from './real-moodle.js';

const has45 = listEntries(cacheRoot()).some((e) => e.meta?.branch === '405');
if (!has45)
  console.warn(
    'blueprint-steps: skipped — no Moodle 4.5 tree registered (moodle-plugin-check moodle import <dir>)',
  );

const TIMEOUT = 15 * 60_000;

async function run(blueprint: unknown) {
  const loaded = await loadBlueprint(JSON.stringify(blueprint));
  return runBlueprintOnSite(loaded, { moodle: '4.5', offline: true, timeoutMs: 10 * 60_000 });
}

const summary = (steps: StepResult[]) =>
  steps.map((s) => `${s.index} ${s.step}:${s.status}${s.error ? ` ${s.error}` : ''}`);

/** The JSON a final runPhpCode step printed. */
function lastJson(steps: StepResult[]): Record<string, unknown> {
  const out = steps.at(-1)?.output ?? '';
  return JSON.parse(out.slice(out.indexOf('{'))) as Record<string, unknown>;
}

const CHECK_DB = `<?php
define('CLI_SCRIPT', true);
require('/www/moodle/config.php');
require_once($CFG->dirroot . '/course/lib.php');
$c = $DB->get_record('course', ['shortname' => 'BP101'], '*', MUST_EXIST);
$label = $DB->get_record('label', ['course' => $c->id], '*', MUST_EXIST);
$cm = get_coursemodule_from_instance('label', $label->id);
$fs = get_file_storage();
$files = $fs->get_area_files(context_module::instance($cm->id)->id, 'mod_label', 'content', 0, 'filename', false);
$student = $DB->get_record('user', ['username' => 'student1']);
echo json_encode([
  'site' => get_site()->fullname,
  'adminemail' => get_admin()->email,
  'adminpass' => validate_internal_user_password(get_admin(), 'New-Pass-1'),
  'courses' => (int) $DB->count_records_select('course', 'id <> ?', [SITEID]),
  'users' => $DB->get_fieldset_select('user', 'username', "username LIKE 'bp%' OR username LIKE 'student%' OR username = 'teacher1' ORDER BY username"),
  'cats' => $DB->get_fieldset_select('course_categories', 'name', "name LIKE 'BP %' ORDER BY name"),
  'sections' => $DB->get_fieldset_select('course_sections', 'name', 'course = ? AND name IS NOT NULL ORDER BY section', [$c->id]),
  'enrolled' => count(get_enrolled_users(context_course::instance($c->id))),
  'isstudent' => user_has_role_assignment($student->id, $DB->get_field('role', 'id', ['shortname' => 'student']), context_course::instance($c->id)->id),
  'labelname' => $label->name,
  'labelfiles' => array_values(array_map(fn($f) => $f->get_filename() . ':' . $f->get_content(), $files)),
  'config' => [get_config('core', 'mpc_one'), get_config('core', 'mpc_two'), get_config('local_bp', 'three'), $CFG->debug],
]);
`;

describe.skipIf(!has45)('blueprint steps on a real Moodle 4.5', () => {
  it(
    'Moodle API steps, login, request, runPhpScript, runPhpCode',
    { timeout: TIMEOUT },
    async () => {
      const r = await run({
        landingPage: '/course/index.php',
        runtime: { debug: 32767, debugdisplay: 0 },
        resources: { notes: { literal: 'hello from a resource' } },
        steps: [
          {
            step: 'installMoodle',
            options: { siteName: 'Blueprint School', timezone: 'Europe/Madrid' },
          },
          { step: 'setAdminAccount', email: 'boss@example.com', password: 'New-Pass-1' },
          { step: 'setConfig', name: 'mpc_one', value: '1' },
          {
            step: 'setConfigs',
            configs: [
              { name: 'mpc_two', value: 'two' },
              { name: 'three', value: 3, plugin: 'local_bp' },
            ],
          },
          { step: 'createCategory', name: 'BP Parent' },
          { step: 'createCategories', categories: [{ name: 'BP Child', parent: 'BP Parent' }] },
          {
            step: 'createCourse',
            fullname: 'Blueprint 101',
            shortname: 'BP101',
            category: 'BP Child',
            numsections: 2,
          },
          { step: 'createCourses', courses: [{ fullname: 'Blueprint 102', shortname: 'BP102' }] },
          { step: 'createSection', course: 'BP101', name: 'Extra section' },
          {
            step: 'createSections',
            sections: [{ course: 'BP101', name: 'Another' }, { course: 'BP102' }],
          },
          {
            step: 'createUser',
            username: 'teacher1',
            password: 'Teacher-1',
            firstname: 'Tea',
            lastname: 'Cher',
          },
          {
            step: 'createUsers',
            users: [{ username: 'student1' }, { username: 'bpuser2', email: 'u2@example.com' }],
          },
          { step: 'enrolUser', username: 'teacher1', course: 'BP101', role: 'editingteacher' },
          {
            step: 'enrolUsers',
            enrolments: [
              { username: 'student1', course: 'BP101' },
              { username: 'bpuser2', course: 'BP102' },
            ],
          },
          {
            step: 'addModule',
            module: 'label',
            course: 'BP101',
            section: 1,
            name: 'A label',
            intro: '<p>Hello</p>',
            files: [{ filename: 'notes.txt', data: '@notes' }],
          },
          {
            step: 'addModule',
            module: 'page',
            course: 'BP101',
            section: 1,
            name: 'A page',
            content: '<p>Page body</p>',
          },
          { step: 'setLandingPage', path: '/my/' },
          { step: 'login', username: 'teacher1' },
          { step: 'request', url: '/course/view.php?id=2' },
          {
            step: 'runPhpScript',
            code: "<?php require('/www/moodle/config.php'); echo 'user=' . $USER->username;",
          },
          { step: 'runPhpCode', code: CHECK_DB },
        ],
      });
      expect(summary(r.steps).filter((s) => !s.endsWith(':ok'))).toEqual([]);
      expect(r.landingPage).toBe('/my/');
      expect(r.steps.find((s) => s.step === 'request')?.output).toMatch(/→ 200/);
      expect(r.steps.find((s) => s.step === 'runPhpScript')?.output).toContain('user=teacher1');
      const db = lastJson(r.steps);
      expect(db).toMatchObject({
        site: 'Blueprint School',
        adminemail: 'boss@example.com',
        adminpass: true,
        courses: 2,
        users: ['bpuser2', 'student1', 'teacher1'],
        cats: ['BP Child', 'BP Parent'],
        enrolled: 2,
        isstudent: true,
        labelfiles: ['notes.txt:hello from a resource'],
        config: ['1', 'two', '3', 32767],
      });
      expect(db.sections).toEqual(expect.arrayContaining(['Extra section', 'Another']));
    },
  );

  describe('filesystem and plugin steps', () => {
    let server: Awaited<ReturnType<typeof archiveServer>>;
    beforeAll(async () => {
      server = await archiveServer(
        {
          '/moodle-block_cleanblock/archive/main.zip': Buffer.from(
            pluginZip('clean-block', 'moodle-block_cleanblock-main'),
          ),
          '/theme.zip': Buffer.from(pluginZip('clean-theme', 'cleantheme-1.0')),
        },
        { '/moodle-block_cleanblock/archive/main.zip': ['ok'], '/theme.zip': ['ok'] },
      );
    });
    afterAll(async () => {
      await server.close();
    });

    it(
      'mkdir, writeFile(s), copy, move, rmdir, unzip, installMoodlePlugin, installTheme',
      { timeout: TIMEOUT },
      async () => {
        const zip = zipSync({
          'docs/': new Uint8Array(),
          'docs/a.txt': strToU8('A'),
          'b.txt': strToU8('B'),
        });
        const r = await run({
          resources: { archive: { base64: Buffer.from(zip).toString('base64') } },
          steps: [
            { step: 'mkdir', path: '/persist/bp/dir/sub' },
            { step: 'writeFile', path: '/persist/bp/dir/one.txt', data: 'one' },
            {
              step: 'writeFiles',
              files: [
                { path: '/persist/bp/two.txt', data: 'two' },
                { path: '/www/moodle/local/bpnew/hello.txt', data: { literal: 'new code folder' } },
              ],
            },
            { step: 'copyFile', from: '/persist/bp/two.txt', to: '/persist/bp/copy.txt' },
            { step: 'moveFile', from: '/persist/bp/dir/one.txt', to: '/persist/bp/moved.txt' },
            { step: 'rmdir', path: '/persist/bp/dir', recursive: true },
            { step: 'unzip', data: '@archive', destination: '/persist/bp/unzipped' },
            {
              step: 'copyFile',
              from: '/www/moodle/version.php',
              to: '/persist/bp/version-copy.php',
            },
            {
              step: 'installMoodlePlugin',
              url: `${server.base}/moodle-block_cleanblock/archive/main.zip`,
            },
            { step: 'installTheme', url: `${server.base}/theme.zip`, pluginName: 'cleantheme' },
            {
              step: 'runPhpCode',
              code: `<?php
define('CLI_SCRIPT', true);
require('/www/moodle/config.php');
$read = fn($p) => is_file($p) ? file_get_contents($p) : null;
echo json_encode([
  'two' => $read('/persist/bp/two.txt'), 'copy' => $read('/persist/bp/copy.txt'), 'moved' => $read('/persist/bp/moved.txt'),
  'dirgone' => !file_exists('/persist/bp/dir'), 'a' => $read('/persist/bp/unzipped/docs/a.txt'), 'b' => $read('/persist/bp/unzipped/b.txt'),
  'newcode' => $read('/www/moodle/local/bpnew/hello.txt'),
  'versioncopy' => str_contains((string) $read('/persist/bp/version-copy.php'), '$release'),
  'block' => get_config('block_cleanblock', 'version'), 'theme' => get_config('theme_cleantheme', 'version'),
]);`,
            },
          ],
        });
        expect(summary(r.steps).filter((s) => !s.endsWith(':ok'))).toEqual([]);
        expect(lastJson(r.steps)).toEqual({
          two: 'two',
          copy: 'two',
          moved: 'one',
          dirgone: true,
          a: 'A',
          b: 'B',
          newcode: 'new code folder',
          versioncopy: true,
          block: '2026110200',
          theme: expect.stringMatching(/^20\d{8}$/) as unknown,
        });
        expect(r.steps.find((s) => s.step === 'installMoodlePlugin')?.output).toContain(
          'block_cleanblock',
        );
      },
    );
  });

  it(
    'a failed step stops the run with Moodle’s message; the read-only tree and zip-slip are refused',
    { timeout: TIMEOUT },
    async () => {
      const r = await run({
        steps: [
          {
            step: 'createCourse',
            fullname: 'Lost',
            shortname: 'LOST',
            category: 'No such category',
          },
          { step: 'createUser', username: 'never' },
        ],
      });
      expect(summary(r.steps)).toEqual([
        expect.stringMatching(
          /^0 createCourse:failed .*no course category named 'No such category'/,
        ),
        // As in the Playground, the run goes on past a failed step that is not critical.
        '1 createUser:ok',
      ]);
      expect(r.failedIndex).toBeUndefined();
      expect(r.failed).toEqual([0]);

      const slip = zipSync({ '../evil.txt': strToU8('x') });
      const refused = await run({
        steps: [{ step: 'writeFile', path: '/www/moodle/lib/moodlelib.php', data: 'x' }],
      });
      expect(refused.steps[0]?.error).toMatch(/part of the Moodle source, which is read-only/);
      const zipped = await run({
        steps: [
          {
            step: 'unzip',
            data: { base64: Buffer.from(slip).toString('base64') },
            path: '/persist/x',
          },
        ],
      });
      expect(zipped.steps[0]?.error).toMatch(/climbs out with "\.\."/);
    },
  );

  it(
    'check --blueprint: a blueprint phase after install; a failed step is a finding',
    { timeout: TIMEOUT },
    async () => {
      const { report } = await runCheck({
        pluginDir: fixture('mod_example'),
        moodle: true,
        moodleOptions: { spec: '4.5', offline: true, timeoutMs: 10 * 60_000 },
        blueprint: JSON.stringify({
          steps: [
            { step: 'createCourse', fullname: 'Check course', shortname: 'CHK1' },
            {
              step: 'addModule',
              module: 'example',
              course: 'CHK1',
              section: 1,
              name: 'Example instance',
            },
            { step: 'enrolUser', username: 'nobody', course: 'CHK1', critical: true },
            { step: 'setConfig', name: 'never', value: '1' },
          ],
        }),
      });
      expect(report.phases.map((p) => `${p.name}:${p.status}`)).toContain('blueprint:failed');
      expect(report.blueprint?.steps.map((s) => s.status)).toEqual([
        'ok',
        'ok',
        'failed',
        'skipped',
      ]);
      const finding = report.findings.find((f) => f.ruleId === 'blueprint/step-failed');
      expect(finding?.message).toMatch(
        /step 2 \(enrolUser\) failed: .*no user with username 'nobody'/,
      );
    },
  );

  it(
    'blueprint run (CLI): JSON steps and exit 1 on a failed step',
    { timeout: TIMEOUT },
    async () => {
      const r = await runCli(
        'blueprint',
        'run',
        JSON.stringify({
          steps: [
            { step: 'mkdir', path: '/persist/ok' },
            { step: 'writeFile', path: '/www/moodle/index.php', data: 'x' },
            { step: 'mkdir', path: '/persist/no' },
          ],
        }),
        '--moodle',
        '4.5',
        '--offline',
        '--format',
        'json',
      );
      expect(r.code).toBe(1);
      const out = JSON.parse(r.out) as { steps: StepResult[] };
      expect(out.steps.map((s) => s.status)).toEqual(['ok', 'failed', 'ok']);
      expect(out.steps[1]?.error).toMatch(
        /steps\/1 \(writeFile\)\.path: \/www\/moodle\/index\.php is part of the Moodle source/,
      );
    },
  );
});
