import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.js';
import { tempDir } from '../moodle/testing.js';
import { BlueprintError, loadBlueprint, STEP_NAMES } from './parse.js';

/** Every step of the format once, with its fields: the schema must accept all of them. */
export const ALL_STEPS = {
  $schema: './blueprint-schema.json',
  preferredVersions: { php: '8.3', moodle: '4.5' },
  landingPage: '/my/',
  constants: { SITE: 'CI site', COURSE: 'C1' },
  resources: {
    zip: { url: 'https://example.com/a.zip' },
    text: { literal: 'hello' },
    json: { literal: { a: 1 } },
    b64: { base64: 'aGVsbG8=' },
    data: { 'data-url': 'data:text/plain,hi' },
    file: { bundled: 'files/a.txt' },
    site: { vfs: '/www/moodle/version.php' },
  },
  runtime: { debug: 32767, debugdisplay: 1 },
  steps: [
    {
      step: 'installMoodle',
      options: { siteName: '{{SITE}}', adminUser: 'admin', timezone: 'UTC' },
    },
    { step: 'setAdminAccount', password: 'Secret1!', email: 'a@example.com' },
    { step: 'login', username: 'admin' },
    { step: 'setConfig', name: 'debug', value: 32767 },
    { step: 'setConfigs', configs: [{ name: 'x', value: 'y', plugin: 'mod_forum' }] },
    { step: 'setLandingPage', path: '/course/view.php?id=2' },
    { step: 'createUser', username: 'u1' },
    { step: 'createUsers', users: [{ username: 'u2', firstname: 'A', lastname: 'B' }] },
    { step: 'createCategory', name: 'Cat' },
    { step: 'createCategories', categories: [{ name: 'Sub', parent: 'Cat' }] },
    {
      step: 'createCourse',
      fullname: 'Course',
      shortname: '{{COURSE}}',
      category: 'Cat',
      numsections: 3,
    },
    { step: 'createCourses', courses: [{ fullname: 'C2', shortname: 'C2' }] },
    { step: 'createSection', course: 'C1', name: 'Extra' },
    { step: 'createSections', sections: [{ course: 'C1', position: 1 }] },
    { step: 'enrolUser', username: 'u1', course: 'C1', role: 'editingteacher' },
    { step: 'enrolUsers', enrolments: [{ username: 'u2', course: 'C1' }] },
    {
      step: 'addModule',
      module: 'resource',
      course: 'C1',
      section: 1,
      name: 'R',
      display: 0,
      files: [{ filename: 'a.txt', data: '@text', filearea: 'content' }],
    },
    { step: 'installMoodlePlugin', url: 'https://github.com/o/moodle-mod_x/archive/abc1234.zip' },
    {
      step: 'installTheme',
      url: 'https://github.com/o/moodle-theme_y/archive/main.zip',
      pluginName: 'y',
    },
    { step: 'mkdir', path: '/www/moodle/local/x' },
    { step: 'rmdir', path: '/www/moodle/local/x', recursive: true },
    { step: 'writeFile', path: '/persist/moodledata/a.txt', data: 'plain text' },
    {
      step: 'writeFiles',
      files: [
        { path: 'b.txt', data: { literal: 'b' } },
        { path: 'c', data: '@b64' },
      ],
    },
    { step: 'copyFile', from: 'b.txt', to: 'c.txt' },
    { step: 'moveFile', from: 'c.txt', to: 'd.txt' },
    { step: 'unzip', data: '@zip', destination: '/persist/x' },
    { step: 'request', url: '/login/index.php', method: 'POST', body: { a: '1' }, expectOk: false },
    { step: 'runPhpCode', code: '<?php echo 1;' },
    { step: 'runPhpScript', code: 'echo 2;' },
    { step: 'setTheme', name: 'boost' },
    {
      step: 'createRole',
      shortname: 'reviewer',
      archetype: 'teacher',
      contextlevels: ['course', 70],
      capabilities: { 'moodle/course:view': 'allow' },
      allowAssign: ['student'],
    },
    { step: 'createRoles', roles: [{ shortname: 'r2', name: 'R2' }] },
    { step: 'importRolePreset', xml: '<role><shortname>x</shortname></role>' },
    { step: 'importRoles', roles: ['@text', { xml: '<role/>' }] },
    { step: 'createScale', name: 'Stars', items: ['*', '**', '***'] },
    { step: 'createScales', scales: '@json' },
    { step: 'createCohort', name: 'Year 1', members: ['u1'] },
    { step: 'createCohorts', cohorts: [{ name: 'Year 2', idnumber: 'Y2' }] },
    { step: 'restoreCourse', path: '/tmp/course.mbz', category: 'Cat', shortname: 'R1' },
    { step: 'installLanguagePack', language: 'es', setDefault: false },
    { step: 'setConfigFile', plugin: 'theme_boost', name: 'logo', filename: 'l.png', data: '@b64' },
    {
      step: 'setConfigFiles',
      plugin: 'theme_boost',
      name: 'backgroundimage',
      files: [{ filename: 'bg.png', data: '@b64' }],
    },
    { step: 'deleteFile', path: '/tmp/x.zip', critical: true },
    { step: 'deleteFiles', files: ['/tmp/a', { path: '/tmp/b' }] },
    { step: 'purgeMoodleCaches' },
    { step: 'applyPrOverlay', repo: 'moodle/moodle', pr: 1 },
  ],
};

async function problems(bp: unknown): Promise<string[]> {
  try {
    await loadBlueprint(JSON.stringify(bp));
  } catch (e) {
    expect(e).toBeInstanceOf(BlueprintError);
    return [...(e as BlueprintError).problems];
  }
  throw new Error('expected the blueprint to be refused');
}

async function message(input: string, cwd?: string): Promise<string> {
  try {
    await loadBlueprint(input, cwd ? { cwd } : {});
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('expected the input to be refused');
}

const step = (s: Record<string, unknown>): { steps: Record<string, unknown>[] } => ({ steps: [s] });

describe('loadBlueprint: the schema', () => {
  it('accepts every step of the format with its fields', async () => {
    const { blueprint } = await loadBlueprint(JSON.stringify(ALL_STEPS));
    expect(blueprint.steps.map((s) => s.step)).toEqual(STEP_NAMES);
    // The Moodle Playground's KNOWN_STEP_NAMES (src/blueprint/schema.js): 46 steps.
    expect(STEP_NAMES).toHaveLength(46);
  });

  it('names a missing required field with the step index and name', async () => {
    expect(
      await problems({ steps: [{ step: 'login' }, { step: 'createCourse', fullname: 'x' }] }),
    ).toEqual(['steps/1 (createCourse): missing required field "shortname".']);
  });

  it('reports a wrong type with the expected shape', async () => {
    expect(
      await problems(
        step({ step: 'createCourse', fullname: 'x', shortname: 'y', numsections: 'ten' }),
      ),
    ).toEqual(['steps/0 (createCourse) numsections: expected an integer, got a string ("ten").']);
    expect(await problems({ steps: {} })).toEqual(['steps: expected an array, got an object.']);
    expect(await problems({ steps: [5] })).toEqual([
      'steps/0: expected an object, got an integer (5).',
    ]);
  });

  it('refuses an unknown step with a suggestion, and only that error', async () => {
    expect(
      await problems({ steps: [{ step: 'login' }, { step: 'login' }, { step: 'createCourze' }] }),
    ).toEqual(['steps/2: unknown step "createCourze" — did you mean createCourse?']);
    const [far] = await problems(step({ step: 'frobnicate' }));
    expect(far).toMatch(/^steps\/0: unknown step "frobnicate" \(known steps: installMoodle, /);
    expect(await problems(step({ name: 'x' }))).toEqual([
      'steps/0: missing required field "step".',
    ]);
  });

  it('refuses unknown fields in a step and at the top level', async () => {
    expect(await problems(step({ step: 'login', usernme: 'a' }))).toEqual([
      'steps/0 (login): unknown field "usernme" — did you mean "username"?',
    ]);
    const [top] = await problems({ steps: [], stpes: [] });
    expect(top).toMatch(/^the blueprint: unknown field "stpes" — did you mean "steps"\?/);
    expect(await problems({})).toEqual(['the blueprint: missing required field "steps".']);
  });

  it('lets addModule carry module-specific scalar fields', async () => {
    await loadBlueprint(
      JSON.stringify(step({ step: 'addModule', module: 'assign', course: 'c', grade: 10 })),
    );
    expect(
      await problems(step({ step: 'addModule', module: 'assign', course: 'c', grade: {} })),
    ).toEqual([
      'steps/0 (addModule) grade: expected a string or a number or true or false, got an object.',
    ]);
  });

  it('explains a bad resource descriptor once, not as an ajv dump', async () => {
    expect(await problems({ resources: { a: { url: 'x', base64: 'y' } }, steps: [] })).toEqual([
      'resources/a: expected a resource descriptor with exactly one of url, base64, data-url, bundled, vfs, literal; got "url", "base64".',
    ]);
    expect(await problems({ resources: { a: { file: 'x' } }, steps: [] })).toEqual([
      'resources/a: expected a resource descriptor with exactly one of url, base64, data-url, bundled, vfs, literal; got "file".',
    ]);
    expect(await problems({ resources: { a: { url: 'ftp://x' } }, steps: [] })).toEqual([
      'resources/a/url: expected an http(s) URL; got a string ("ftp://x").',
    ]);
    expect(await problems(step({ step: 'unzip', data: 'x.zip', path: '/persist/x' }))).toEqual([
      'steps/0 (unzip) data: expected "@name" (a resource reference) or a resource descriptor object; got a string ("x.zip").',
    ]);
    expect(await problems(step({ step: 'unzip', data: '@z' }))).toContain(
      'steps/0 (unzip): needs one of "destination" or "path".',
    );
  });

  it('refuses inline data that does not decode', async () => {
    expect(
      await problems({
        resources: { logo: { base64: 'iVBOR*w0' }, page: { 'data-url': 'data:text/html;base64' } },
        steps: [{ step: 'writeFile', path: 'a', data: { base64: 'abcde' } }],
      }),
    ).toEqual([
      'resources/logo: base64 is invalid: character "*" at 5 is not base64.',
      'resources/page: the data: URL has no "," between the media type and the data.',
      'steps/0 (writeFile) data: base64 is invalid: truncated (length is not valid base64).',
    ]);
  });

  it('checks list lengths, numbers and plugin names', async () => {
    expect(await problems(step({ step: 'createUsers', users: [] }))).toEqual([
      'steps/0 (createUsers) users: expected at least 1 item(s).',
    ]);
    expect(
      await problems(step({ step: 'addModule', module: 'm', course: 'c', section: -1 })),
    ).toEqual(['steps/0 (addModule) section: expected a number >= 0; got an integer (-1).']);
    expect(await problems(step({ step: 'request', method: 'FETCH' }))).toEqual([
      'steps/0 (request) method: expected one of "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"; got a string ("FETCH").',
    ]);
    const [type] = await problems(
      step({ step: 'installMoodlePlugin', url: 'https://x/a.zip', pluginType: 'Mod' }),
    );
    expect(type).toMatch(
      /^steps\/0 \(installMoodlePlugin\) pluginType: expected plugin type, e\.g\. mod, block, local/,
    );
    expect(await problems({ resources: { 'a b': { literal: 'x' } }, steps: [] })).toEqual([
      'resources: "a b" is not a valid name (letters, digits, "_", "-", ".").',
    ]);
  });

  it('checks enums, runtime values and names', async () => {
    expect(await problems({ runtime: { debug: 3 }, steps: [] })).toEqual([
      'runtime/debug: expected one of 0, 5, 15, 32767; got an integer (3).',
    ]);
    expect(await problems({ constants: { 'A B': 'x' }, steps: [] })).toEqual([
      'constants: "A B" is not a valid name (letters, digits, "_").',
    ]);
    expect(await problems({ landingPage: 'my', steps: [] })).toEqual([
      'landingPage: expected page to open after the steps, site-relative; got a string ("my").',
    ]);
  });

  it('lists several problems in one message', async () => {
    const msg = await message(
      JSON.stringify({ steps: [{ step: 'login', x: 1 }, { step: 'mkdir' }] }),
    );
    expect(msg).toBe(
      'inline blueprint JSON: 2 problems:\n  - steps/0 (login): unknown field "x" (allowed: username, critical).\n  - steps/1 (mkdir): missing required field "path".',
    );
  });
});

describe('loadBlueprint: constants and references', () => {
  it('substitutes {{KEY}} into every string value', async () => {
    const { blueprint } = await loadBlueprint(
      JSON.stringify({
        constants: { NAME: 'Maths', SHORT: 'M1' },
        landingPage: '/course/view.php?name={{ NAME }}',
        steps: [
          { step: 'createCourse', fullname: '{{NAME}} for {{SHORT}}', shortname: '{{SHORT}}' },
        ],
      }),
    );
    expect(blueprint.steps[0]).toMatchObject({ fullname: 'Maths for M1', shortname: 'M1' });
    expect(blueprint.landingPage).toBe('/course/view.php?name=Maths');
    expect(blueprint.constants).toEqual({ NAME: 'Maths', SHORT: 'M1' });
  });

  it('refuses an unknown constant, naming where', async () => {
    expect(
      await problems({
        constants: { ADMIN: 'a' },
        steps: [{ step: 'login', username: '{{ADMIM}}' }],
      }),
    ).toEqual(['steps/0 (login) username: unknown constant {{ADMIM}} — did you mean {{ADMIN}}?']);
    expect(await problems({ steps: [{ step: 'login', username: '{{X}}' }] })).toEqual([
      'steps/0 (login) username: unknown constant {{X}} (the blueprint defines no "constants").',
    ]);
  });

  it('re-validates after substitution', async () => {
    expect(
      await problems({
        constants: { U: 'ftp://x' },
        steps: [{ step: 'installMoodlePlugin', url: '{{U}}' }],
      }),
    ).toEqual([
      'after constants substitution, steps/0 (installMoodlePlugin) url: expected an http(s) URL; got a string ("ftp://x").',
    ]);
  });

  it('refuses an @reference to an undefined resource', async () => {
    expect(
      await problems({
        resources: { readme: { literal: 'x' } },
        steps: [{ step: 'writeFiles', files: [{ path: 'a', data: '@readm' }] }],
      }),
    ).toEqual([
      'steps/0 (writeFiles) files/0/data: "@readm" names no resource — did you mean "@readme"?',
    ]);
    expect(await problems(step({ step: 'unzip', data: '@zip', path: '/persist/x' }))).toEqual([
      'steps/0 (unzip) data: "@zip" names no resource (the blueprint defines no "resources").',
    ]);
  });
});

describe('loadBlueprint: input forms', () => {
  const json = JSON.stringify({ steps: [{ step: 'login' }] });

  it('reads a file, relative to cwd, and remembers its folder for bundled resources', async () => {
    const dir = tempDir('bp');
    mkdirSync(path.join(dir, 'sub'));
    writeFileSync(path.join(dir, 'sub', 'a.blueprint.json'), json);
    const loaded = await loadBlueprint('sub/a.blueprint.json', { cwd: dir });
    expect(loaded.source).toBe('sub/a.blueprint.json');
    expect(loaded.baseDir).toBe(path.join(dir, 'sub'));
    expect(loaded.blueprint.steps[0]?.step).toBe('login');
  });

  it('decodes inline JSON, base64, base64url and data: URLs', async () => {
    const unicode = JSON.stringify({
      steps: [{ step: 'createCourse', fullname: 'Café ü ~~~ ???', shortname: 'c' }],
    });
    for (const [input, source] of [
      [json, 'inline blueprint JSON'],
      [Buffer.from(unicode).toString('base64'), 'base64 blueprint'],
      [Buffer.from(unicode).toString('base64url'), 'base64 blueprint'],
      [
        `data:application/json;base64,${Buffer.from(unicode).toString('base64')}`,
        'blueprint data: URL',
      ],
      [`data:application/json,${encodeURIComponent(unicode)}`, 'blueprint data: URL'],
      [`data:application/json;charset=utf-8,${encodeURIComponent(unicode)}`, 'blueprint data: URL'],
    ] as const) {
      const loaded = await loadBlueprint(input);
      expect(loaded.source).toBe(source);
      expect(loaded.baseDir).toBeUndefined();
    }
    const b = await loadBlueprint(Buffer.from(unicode).toString('base64url'));
    expect(b.blueprint.steps[0]).toMatchObject({ fullname: 'Café ü ~~~ ???' });
  });

  it('reports invalid JSON with line and column', async () => {
    expect(await message('{\n  "steps": [\n    { "step": "login" },\n  ]\n}')).toMatch(
      /^inline blueprint JSON: not valid JSON at line 4, column 3: unexpected "]"\.$/,
    );
    expect(await message('{"steps": [')).toMatch(
      /not valid JSON at line 1, column 12: the text ends early\./,
    );
    const dir = tempDir('bp');
    writeFileSync(path.join(dir, 'bad.json'), '{\n"steps" []}');
    expect(await message('bad.json', dir)).toMatch(
      /^bad\.json: not valid JSON at line 2, column 9/,
    );
  });

  it('refuses bad base64 and base64 that is not JSON', async () => {
    expect(await message('eyJzdGVwcyI6W119*')).toMatch(/no such file/);
    expect(await message('eyJzdGVwcyI6W119a')).toMatch(
      /not a file, and not valid base64 \(truncated/,
    );
    expect(await message(Buffer.from('hello world').toString('base64'))).toMatch(
      /not a file, and its base64 decoding is not JSON/,
    );
  });

  it('refuses a bad data: URL', async () => {
    expect(await message('data:application/json;base64')).toMatch(
      /^blueprint data: URL: has no ","/,
    );
    expect(await message('data:application/json;base64,e30*')).toMatch(
      /^blueprint data: URL: data: URL payload: character "\*"/,
    );
    expect(await message('data:application/json,%7B%ZZ')).toMatch(/bad percent-escape "%ZZ"/);
    expect(await message('data:application/json;base64,/w==')).toMatch(/is not UTF-8 text/);
  });

  it('refuses an unreadable file, a folder and a missing file', async () => {
    const dir = tempDir('bp');
    expect(await message('missing.json', dir)).toMatch(
      /^missing\.json: cannot read the blueprint: no such file/,
    );
    expect(await message('.', dir)).toMatch(/is a folder/);
    writeFileSync(path.join(dir, 'bin.json'), Buffer.from([0xff, 0xfe, 0x00]));
    expect(await message('bin.json', dir)).toMatch(
      /^bin\.json: cannot read the blueprint: is not UTF-8 text/,
    );
    expect(await message('   ')).toBe('The blueprint is empty.');
    // Permissions do not stop root; the check only means something for other users.
    if (process.getuid?.() !== 0) {
      writeFileSync(path.join(dir, 'locked.json'), '{"steps":[]}', { mode: 0o000 });
      expect(await message('locked.json', dir)).toMatch(
        /^locked\.json: cannot read the blueprint: EACCES/,
      );
    }
  });
});
