import { describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.js';
import { ciBlueprint } from './ci.js';
import { checkBlueprint } from './parse.js';
import { DEFAULT_PLAYGROUND_HOST, previewLink } from './preview.js';
import type { Blueprint } from './types.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';

function decode(url: string): Blueprint {
  const param = new URL(url).searchParams.get('blueprint');
  expect(param).toMatch(/^[A-Za-z0-9_-]+$/);
  return JSON.parse(Buffer.from(param!, 'base64url').toString('utf8')) as Blueprint;
}

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
    expect(bp.landingPage).toMatch(/^\/admin\/plugins\.php\?contribonly=1/);
    expect(bp.preferredVersions).toBeUndefined();
  });

  it('installs a theme with installTheme and selects it', () => {
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
    expect(bp.steps[2]).toEqual({ step: 'setConfig', name: 'theme', value: 'x' });
  });

  it('drops optional steps when the link is too long, then falls back to ?blueprint-url=', () => {
    const base = { repository: 'o/moodle-mod_x', ref: SHA, component: 'mod_x' };
    const full = previewLink(base).url.length;
    const trimmed = previewLink({ ...base, maxUrlLength: full - 1 });
    expect(trimmed.encoding).toBe('base64url');
    expect(trimmed.url.length).toBeLessThan(full);
    expect(trimmed.blueprint.steps.map((s) => s.step)).toEqual(['installMoodlePlugin', 'login']);
    expect(trimmed.fallbackReason).toMatch(/dropped the optional course and activity steps/);

    const tiny = previewLink({
      ...base,
      maxUrlLength: 100,
      repoBlueprint: '.github/preview.blueprint.json',
    });
    expect(tiny.encoding).toBe('fallback');
    expect(new URL(tiny.url).searchParams.get('blueprint-url')).toBe(
      `https://raw.githubusercontent.com/o/moodle-mod_x/${SHA}/.github/preview.blueprint.json`,
    );
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
