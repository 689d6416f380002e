// Integration: the Moodle Playground's newer steps and semantics on a real Moodle 4.5 — roles,
// scales, cohorts, the theme, a file setting, a course backup restored from /tmp, a language pack,
// phpConstants, deleteFile, purgeMoodleCaches, a failed step the run goes past and a critical one
// that stops it — and the Playground's own example blueprints, read from its repository when a
// copy is there (MPC_PLAYGROUND_REPO: a bare git directory, e.g. from the search tool's fetch).
// Skipped, with the reason, when no 4.5 tree is registered.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { loadBlueprint } from '../src/blueprint/parse.js';
import type { StepResult } from '../src/blueprint/types.js';
import { listEntries } from '../src/moodle/source/cache.js';
import { cacheRoot } from '../src/moodle/source/cache-dir.js';
import { runBlueprintOnSite } from '../src/pipeline/blueprint-run.js';

const has45 = listEntries(cacheRoot()).some((e) => e.meta?.branch === '405');
const TIMEOUT = 15 * 60_000;
const summary = (steps: StepResult[]) =>
  steps.map((s) => `${s.index} ${s.step}:${s.status}${s.error ? ` ${s.error}` : ''}`);

const langpack = zipSync({
  'xx/langconfig.php': strToU8(
    "<?php\n$string['thislanguage'] = 'Testish';\n$string['parentlanguage'] = '';\n",
  ),
  'xx/moodle.php': strToU8("<?php\n$string['login'] = 'Enter here';\n"),
});
const png = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const payload = zipSync({ 'inside/a.txt': strToU8('from the zip') });

const BACKUP = `<?php
define('CLI_SCRIPT', true);
require('/www/moodle/config.php');
require_once($CFG->dirroot . '/backup/util/includes/backup_includes.php');
$c = $DB->get_record('course', ['shortname' => 'SRC1'], '*', MUST_EXIST);
$bc = new backup_controller(backup::TYPE_1COURSE, $c->id, backup::FORMAT_MOODLE, backup::INTERACTIVE_NO,
    backup::MODE_GENERAL, get_admin()->id);
$bc->get_plan()->get_setting('users')->set_value(false);
$bc->execute_plan();
$bc->get_results()['backup_destination']->copy_content_to('/tmp/src1.mbz');
$bc->destroy();
echo filesize('/tmp/src1.mbz') > 1000 ? 'backup ok' : 'backup too small';
`;

const CHECK = `<?php
define('CLI_SCRIPT', true);
require('/www/moodle/config.php');
require_once($CFG->dirroot . '/cohort/lib.php');
$role = $DB->get_record('role', ['shortname' => 'reviewer']);
$cohort = $DB->get_record('cohort', ['idnumber' => 'Y1']);
$fs = get_file_storage();
$logo = $fs->get_area_files(context_system::instance()->id, 'core_admin', 'logo', 0, 'filename', false);
echo json_encode([
  'theme' => $CFG->theme,
  'role' => $role ? $role->name : null,
  'cap' => $role ? (int) $DB->get_field('role_capabilities', 'permission', ['roleid' => $role->id, 'capability' => 'moodle/course:viewhiddencourses']) : null,
  'levels' => $role ? array_map('intval', array_values(get_role_contextlevels($role->id))) : [],
  'scale' => $DB->get_field('scale', 'scale', ['name' => 'Stars', 'courseid' => 0]),
  'cohort' => $cohort ? (int) $DB->count_records('cohort_members', ['cohortid' => $cohort->id]) : null,
  'logo' => [get_config('core_admin', 'logo'), array_values(array_map(fn($f) => $f->get_filename(), $logo))],
  'restored' => $DB->get_field('course', 'fullname', ['shortname' => 'R1']),
  'lang' => array_key_exists('xx', get_string_manager()->get_list_of_translations(true)),
  'constant' => defined('MPC_BLUEPRINT_FLAG') ? MPC_BLUEPRINT_FLAG : null,
  'unzipped' => @file_get_contents('/persist/moodledata/unz/inside/a.txt'),
  'deleted' => !file_exists('/tmp/payload.zip'),
]);
`;

describe.skipIf(!has45)('Playground steps on a real Moodle 4.5', () => {
  it(
    'runs the newer steps, goes past a failed one, stops at a critical one',
    { timeout: TIMEOUT },
    async () => {
      const loaded = await loadBlueprint(
        JSON.stringify({
          phpConstants: { MPC_BLUEPRINT_FLAG: 'on' },
          resources: {
            pack: { base64: Buffer.from(langpack).toString('base64') },
            logo: { base64: png.toString('base64') },
            zip: { base64: Buffer.from(payload).toString('base64') },
            roles: {
              literal: { roles: [{ shortname: 'auditor', name: 'Auditor', archetype: 'user' }] },
            },
          },
          steps: [
            { step: 'setTheme', name: 'classic' },
            {
              step: 'createRole',
              shortname: 'reviewer',
              name: 'Reviewer',
              archetype: 'teacher',
              contextlevels: ['course', 'module'],
              capabilities: {
                'moodle/course:viewhiddencourses': 'allow',
                'local/nothere:cap': 'allow',
              },
              allowAssign: ['student'],
            },
            { step: 'createRoles', roles: '@roles' },
            { step: 'createScale', name: 'Stars', items: '*, **, ***' },
            { step: 'createUser', username: 'pupil1' },
            { step: 'createCohort', name: 'Year 1', idnumber: 'Y1', members: ['pupil1', 'admin'] },
            {
              step: 'setConfigFile',
              plugin: 'core_admin',
              name: 'logo',
              filename: 'logo.png',
              data: '@logo',
            },
            // Fails (no such category): the run goes on, as the Playground's does.
            {
              step: 'createCourse',
              fullname: 'Lost',
              shortname: 'LOST',
              category: 'No such category',
            },
            { step: 'createCourse', fullname: 'Source course', shortname: 'SRC1' },
            { step: 'runPhpCode', code: BACKUP },
            { step: 'restoreCourse', path: '/tmp/src1.mbz', fullname: 'Restored', shortname: 'R1' },
            { step: 'installLanguagePack', language: 'xx', data: '@pack' },
            { step: 'writeFile', path: '/tmp/payload.zip', data: '@zip' },
            {
              step: 'unzip',
              data: { vfs: '/tmp/payload.zip' },
              destination: '/persist/moodledata/unz',
            },
            { step: 'deleteFile', path: '/tmp/payload.zip' },
            { step: 'deleteFiles', files: ['/tmp/never-there'] },
            { step: 'purgeMoodleCaches' },
            { step: 'runPhpCode', code: CHECK },
            { step: 'setTheme', name: 'nosuchtheme', critical: true },
            { step: 'createUser', username: 'never' },
          ],
        }),
      );
      const r = await runBlueprintOnSite(loaded, {
        moodle: '4.5',
        offline: true,
        timeoutMs: 10 * 60_000,
      });
      const s = summary(r.steps);
      expect(s.filter((l) => !/:ok$/.test(l))).toEqual([
        expect.stringMatching(
          /^7 createCourse:failed .*no course category named 'No such category'/,
        ),
        expect.stringMatching(/^18 setTheme:failed .*no theme 'nosuchtheme'/),
        '19 createUser:skipped',
      ]);
      expect(r.failedIndex).toBe(18);
      expect(r.failed).toEqual([7, 18]);
      expect(r.steps[1]!.output).toContain('skipped unknown capabilities local/nothere:cap');
      const out = r.steps[17]!.output ?? '';
      expect(JSON.parse(out.slice(out.indexOf('{')))).toEqual({
        theme: 'classic',
        role: 'Reviewer',
        cap: 1,
        levels: [50, 70],
        scale: '*, **, ***',
        cohort: 2,
        logo: ['/logo.png', ['logo.png']],
        restored: 'Restored',
        lang: true,
        constant: 'on',
        unzipped: 'from the zip',
        deleted: true,
      });
    },
  );
});

// The Playground's example blueprints: every one is valid here; those that need no network run.
const repo = process.env.MPC_PLAYGROUND_REPO ?? '/work/.mirror/ateeducacion+moodle-playground/repo';
const git = (...args: string[]): string =>
  execFileSync('git', ['--git-dir', repo, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
const examples = existsSync(repo)
  ? git('ls-tree', '-r', '--name-only', 'HEAD')
      .split('\n')
      .filter((p) => /^assets\/blueprints\/.*\.blueprint\.json$|^blueprint-sample\.json$/.test(p))
  : [];
if (examples.length === 0)
  console.warn(
    `blueprint-playground: the Playground's examples are skipped — no copy of ateeducacion/moodle-playground at ${repo} (set MPC_PLAYGROUND_REPO to a bare git directory of it)`,
  );
/** A blueprint needs the network when it downloads: url resources, plugin or theme ZIPs. */
const needsNetwork = (text: string): boolean =>
  /"url"\s*:\s*"https?:|"step"\s*:\s*"(installMoodlePlugin|installTheme|installLanguagePack|applyPrOverlay)"/.test(
    text,
  );

describe.skipIf(examples.length === 0)('the Moodle Playground’s example blueprints', () => {
  it.each(examples)('%s is valid here', async (p) => {
    const text = git('show', `HEAD:${p}`);
    const loaded = await loadBlueprint(text);
    expect(loaded.blueprint.steps.length).toBeGreaterThan(0);
  });
  // All of them with MPC_TEST_FULL=1 (about 15 s each); by default the first, to keep npm test short.
  const runnable = examples.filter((p) => !needsNetwork(git('show', `HEAD:${p}`)));
  const offline = process.env.MPC_TEST_FULL === '1' ? runnable : runnable.slice(0, 1);
  it.skipIf(!has45 || offline.length === 0)(
    `the ${offline.length} that need no network run on Moodle 4.5 without a failed step`,
    { timeout: TIMEOUT },
    async () => {
      for (const p of offline) {
        const loaded = await loadBlueprint(git('show', `HEAD:${p}`));
        // Their preferredVersions name the Playground's runtimes; the run here is on 4.5.
        const r = await runBlueprintOnSite(loaded, {
          moodle: '4.5',
          offline: true,
          timeoutMs: 10 * 60_000,
        });
        expect(
          summary(r.steps).filter((l) => !/:ok$/.test(l)),
          p,
        ).toEqual([]);
      }
    },
  );
});
