import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.js';
import { archiveServer, FAST_HTTP, tempDir } from '../moodle/testing.js';
import { resolveResource, type ResourceContext } from './resources.js';
import type { Blueprint, ResourceRef } from './types.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

function ctx(
  resources: Blueprint['resources'] = {},
  extra: Partial<ResourceContext> = {},
): ResourceContext {
  return { blueprint: { resources, steps: [] }, http: FAST_HTTP, ...extra };
}

async function refused(
  ref: ResourceRef,
  c: ResourceContext,
  where = 'steps/0 (writeFile) data',
): Promise<string> {
  try {
    await resolveResource(ref, c, where);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('expected the resource to be refused');
}

describe('resolveResource: inline kinds', () => {
  it('resolves literal text, JSON literals, base64, base64url and data: URLs', async () => {
    const c = ctx();
    expect(text(await resolveResource('plain @ text', c))).toBe('plain @ text');
    expect(text(await resolveResource({ literal: 'héllo' }, c))).toBe('héllo');
    expect(text(await resolveResource({ literal: { a: [1] } }, c))).toBe('{"a":[1]}');
    expect(text(await resolveResource({ literal: [1, 'x'] }, c))).toBe('[1,"x"]');
    expect(text(await resolveResource({ base64: 'aMOpbGxvPz8/' }, c))).toBe('héllo???');
    expect(text(await resolveResource({ base64: 'aMOpbGxvPz8_' }, c))).toBe('héllo???');
    expect(text(await resolveResource({ 'data-url': 'data:text/plain;base64,aGk=' }, c))).toBe(
      'hi',
    );
    expect(text(await resolveResource({ 'data-url': 'data:,a%20b%C3%A9' }, c))).toBe('a bé');
  });

  it('resolves @name through resources, and refuses an undefined one', async () => {
    const c = ctx({ greet: { literal: 'hello' } });
    expect(text(await resolveResource('@greet', c))).toBe('hello');
    expect(await refused('@nope', c)).toBe('steps/0 (writeFile) data: "@nope" names no resource.');
    expect(await refused('@toString', c)).toMatch(/names no resource/);
  });

  it('names the resource in errors for bad base64 and bad data: URLs', async () => {
    const c = ctx({ logo: { base64: 'iVBOR*' }, d: { 'data-url': 'data:text/plain' } });
    expect(await refused('@logo', c)).toBe(
      'resources/logo: base64 is invalid: character "*" at 5 is not base64.',
    );
    expect(await refused('@d', c)).toMatch(/^resources\/d: the data: URL has no ","/);
    expect(await refused({ url: 'x', base64: 'y' }, c)).toMatch(
      /exactly one of url, base64, data-url, bundled, vfs, literal; got url, base64/,
    );
  });

  it('enforces the size limit on decoded resources', async () => {
    const c = ctx({}, { maxBytes: 4 });
    expect(await refused({ literal: 'hello' }, c)).toMatch(/5 bytes is over the 4-byte limit/);
  });
});

describe('resolveResource: bundled and vfs', () => {
  it('reads a bundled file under the blueprint folder and refuses escapes', async () => {
    const root = tempDir('bundled');
    const base = path.join(root, 'bp');
    mkdirSync(path.join(base, 'files'), { recursive: true });
    writeFileSync(path.join(base, 'files', 'a.txt'), 'inside');
    writeFileSync(path.join(root, 'secret.txt'), 'outside');
    symlinkSync(path.join(root, 'secret.txt'), path.join(base, 'files', 'link.txt'));
    const c = ctx({}, { baseDir: base });
    expect(text(await resolveResource({ bundled: 'files/a.txt' }, c))).toBe('inside');
    expect(text(await resolveResource({ bundled: './files/a.txt' }, c))).toBe('inside');
    expect(await refused({ bundled: '../secret.txt' }, c)).toMatch(/climbs out with "\.\."/);
    expect(await refused({ bundled: 'files/../../secret.txt' }, c)).toMatch(/climbs out/);
    expect(await refused({ bundled: path.join(root, 'secret.txt') }, c)).toMatch(/is absolute/);
    expect(await refused({ bundled: 'files/link.txt' }, c)).toMatch(/through a symlink.*outside/);
    expect(await refused({ bundled: 'files' }, c)).toMatch(/is not a file/);
    expect(await refused({ bundled: 'files/none.txt' }, c)).toMatch(
      /cannot read bundled file "files\/none.txt"/,
    );
    expect(await refused({ bundled: 'a.txt' }, ctx())).toMatch(
      /needs a blueprint file; this blueprint was given inline/,
    );
  });

  it('reads vfs paths through the site, inside the site only', async () => {
    const seen: string[] = [];
    const readVfs = (p: string): Promise<Uint8Array> => {
      seen.push(p);
      if (p.endsWith('missing')) return Promise.reject(new Error('ENOENT'));
      return Promise.resolve(new TextEncoder().encode(`content of ${p}`));
    };
    const c = ctx({}, { readVfs });
    expect(text(await resolveResource({ vfs: '/persist/moodledata/a' }, c))).toBe(
      'content of /persist/moodledata/a',
    );
    expect(text(await resolveResource({ vfs: 'version.php' }, c))).toBe(
      'content of /www/moodle/version.php',
    );
    expect(await refused({ vfs: '/etc/passwd' }, c)).toMatch(/"\/etc\/passwd" is outside the site/);
    expect(await refused({ vfs: '/persist/missing' }, c)).toMatch(
      /cannot read \/persist\/missing from the site: ENOENT/,
    );
    expect(await refused({ vfs: '/persist/a' }, ctx())).toMatch(/needs a running site/);
    expect(seen).toEqual(['/persist/moodledata/a', '/www/moodle/version.php', '/persist/missing']);
  });
});

describe('resolveResource: url', () => {
  let server: Awaited<ReturnType<typeof archiveServer>>;
  beforeAll(async () => {
    server = await archiveServer(
      {
        '/a.zip': Buffer.from('zip bytes'),
        '/flaky': Buffer.from('second time'),
        '/big': Buffer.alloc(64, 1),
      },
      { '/a.zip': ['ok'], '/flaky': [503, 'ok'], '/big': ['ok'], '/gone': [404], '/down': [503] },
    );
  });
  afterAll(async () => {
    await server.close();
  });

  it('downloads, retries a 503, and fetches a URL once per run', async () => {
    const c = ctx({ z: { url: `${server.base}/a.zip` } });
    expect(text(await resolveResource('@z', c))).toBe('zip bytes');
    expect(text(await resolveResource({ url: `${server.base}/a.zip` }, c))).toBe('zip bytes');
    expect(server.hits.get('/a.zip')).toBe(1);
    expect(text(await resolveResource({ url: `${server.base}/flaky` }, c))).toBe('second time');
    expect(server.hits.get('/flaky')).toBe(2);
  });

  it('fails clearly on 404, persistent 5xx, a size over the limit and non-http schemes', async () => {
    const c = ctx();
    expect(await refused({ url: `${server.base}/gone` }, c)).toMatch(/download failed: HTTP 404/);
    expect(await refused({ url: `${server.base}/down` }, c)).toMatch(/HTTP 503 .*after 3 attempts/);
    expect(await refused({ url: `${server.base}/big` }, ctx({}, { maxBytes: 10 }))).toMatch(
      /larger than the 10-byte limit \(64 bytes\)/,
    );
    expect(server.hits.get('/big')).toBe(1);
    // No Content-Length (chunked): the limit holds while streaming, and is not retried.
    let calls = 0;
    const chunked: typeof fetch = () => {
      calls++;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          controller.enqueue(new Uint8Array(8));
        },
      });
      return Promise.resolve(new Response(body, { status: 200 }));
    };
    expect(
      await refused(
        { url: 'https://example.invalid/x' },
        ctx({}, { maxBytes: 20, http: { ...FAST_HTTP, fetch: chunked } }),
      ),
    ).toMatch(/larger than the 20-byte limit/);
    expect(calls).toBe(1);
    expect(await refused({ url: 'file:///etc/passwd' }, c)).toMatch(/is not http\(s\)/);
    expect(await refused({ url: 'not a url' }, c)).toMatch(/is not a URL/);
  });
});
