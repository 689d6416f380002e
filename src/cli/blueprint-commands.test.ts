import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../moodle/testing.js';
import { runCli as run } from './testing.js';

const SHA = 'abcdef0123456789abcdef0123456789abcdef01';
const FIXTURE = path.resolve('fixtures/plugins/mod_example');

describe('blueprint validate', () => {
  it('exits 0 for a valid blueprint file and the shipped blueprints', async () => {
    const ok = await run('blueprint', 'validate', 'blueprints/ci.blueprint.json');
    expect(ok).toMatchObject({ code: 0, err: '' });
    expect(ok.out).toBe(
      'blueprints/ci.blueprint.json: valid blueprint, 4 steps: installMoodle, createCourse, createUsers, enrolUsers.\n',
    );
    const json = await run(
      'blueprint',
      'validate',
      '{"steps":[{"step":"login"}]}',
      '--format',
      'json',
    );
    expect(JSON.parse(json.out)).toEqual({
      valid: true,
      source: 'inline blueprint JSON',
      steps: ['login'],
    });
  });

  it('exits 2 with the problem for an invalid or unreadable blueprint', async () => {
    const bad = await run('blueprint', 'validate', '{"steps":[{"step":"createCourze"}]}');
    expect(bad.code).toBe(2);
    expect(bad.err).toBe(
      'moodle-plugin-check: inline blueprint JSON: steps/0: unknown step "createCourze" — did you mean createCourse?\n',
    );
    const dir = tempDir('cli-bp');
    const missing = await run('blueprint', 'validate', path.join(dir, 'none.json'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/none\.json: cannot read the blueprint: no such file/);
    writeFileSync(path.join(dir, 'x.json'), '{"steps": [}');
    const broken = await run('blueprint', 'validate', path.join(dir, 'x.json'));
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(/x\.json: not valid JSON at line 1, column 12: unexpected "}"\./);
    expect((await run('blueprint', 'validate')).code).toBe(2);
  });
});

describe('blueprint preview-url', () => {
  it('prints the link for a plugin at a repository root', async () => {
    const repo = tempDir('cli-repo');
    mkdirSync(path.join(repo, '.git'));
    cpSync(FIXTURE, repo, { recursive: true });
    const r = await run(
      'blueprint',
      'preview-url',
      '--repository',
      'fork/moodle-mod_example',
      '--ref',
      SHA,
      '--plugin',
      repo,
      '--moodle',
      '4.5',
    );
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const url = new URL(r.out.trim());
    const bp = JSON.parse(
      Buffer.from(url.searchParams.get('blueprint')!, 'base64url').toString(),
    ) as {
      steps: { url?: string }[];
      preferredVersions: unknown;
    };
    expect(bp.steps[0]?.url).toBe(`https://github.com/fork/moodle-mod_example/archive/${SHA}.zip`);
    expect(bp.preferredVersions).toEqual({ moodle: '4.5' });
  });

  it('prints JSON with --format json, and takes --component and --host', async () => {
    const r = await run(
      'blueprint',
      'preview-url',
      '--repository',
      'o/r',
      '--ref',
      SHA,
      '--component',
      'block_x',
      '--host',
      'https://moodle-playground.com',
      '--format',
      'json',
    );
    expect(r.code).toBe(0);
    const link = JSON.parse(r.out) as { url: string; encoding: string };
    expect(link.url.startsWith('https://moodle-playground.com/?blueprint=')).toBe(true);
    expect(link.encoding).toBe('base64url');
  });

  it('exits 1 with the reason when no working link can be made (plugin in a subfolder)', async () => {
    // The fixture sits in fixtures/plugins/ of this repository: not the archive root.
    const r = await run(
      'blueprint',
      'preview-url',
      '--repository',
      'o/r',
      '--ref',
      SHA,
      '--plugin',
      FIXTURE,
    );
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(
      /^note: no preview link: the plugin is in "fixtures\/plugins\/mod_example\/"/,
    );
  });

  it('exits 2 on missing or bad options', async () => {
    expect(
      (await run('blueprint', 'preview-url', '--ref', SHA, '--component', 'mod_x')).err,
    ).toMatch(/needs --repository/);
    expect(
      (await run('blueprint', 'preview-url', '--repository', 'o/r', '--component', 'mod_x')).code,
    ).toBe(2);
    expect(
      (await run('blueprint', 'preview-url', '--repository', 'o/r', '--ref', SHA)).err,
    ).toMatch(/needs --plugin <dir> or --component/);
    expect(
      (
        await run(
          'blueprint',
          'preview-url',
          '--repository',
          'o/r',
          '--ref',
          'main',
          '--component',
          'mod_x',
        )
      ).code,
    ).toBe(2);
    expect(
      (
        await run(
          'blueprint',
          'preview-url',
          '--repository',
          'o/r',
          '--ref',
          SHA,
          '--component',
          'mod_x',
          '--max-length',
          'x',
        )
      ).code,
    ).toBe(2);
  });
});
