// Steps that talk to Moodle over HTTP (served inside the runtime, no network) or run PHP code.
import { UserError } from '../../core/errors.js';
import type { HttpResult } from '../site-api.js';
import type { BlueprintStep } from '../types.js';
import { str, type StepContext, type StepHandler } from './types.js';

/** Path and query of a step URL; absolute URLs must point at the site (any port, as in the Playground). */
function sitePath(url: string, field: string): string {
  if (url.startsWith('/')) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(
      `${field}: "${url}" is neither a path nor a URL.`,
      'Use a path such as /my/.',
    );
  }
  if (parsed.hostname !== 'localhost' && parsed.hostname !== '127.0.0.1')
    throw new UserError(
      `${field}: "${url}" is not on the site; request steps are served by the Moodle inside the runtime and have no network.`,
      'Use a path such as /course/view.php?id=2.',
    );
  return `${parsed.pathname}${parsed.search}`;
}

function withCookies(ctx: StepContext, headers: Record<string, string>): Record<string, string> {
  const cookie = ctx.cookies.header();
  return cookie !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'cookie')
    ? { ...headers, cookie }
    : headers;
}

/** A short, readable reason from an error page (Moodle's message is in the HTML). */
function excerpt(r: HttpResult): string {
  const text = r.text
    .replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return [text.slice(0, 300), r.errors.trim().slice(0, 300)].filter(Boolean).join(' | ');
}

function describe(method: string, path: string, r: HttpResult): string {
  const location = r.headers.location?.[0];
  return `${method} ${path} → ${r.status}${location ? ` (Location: ${location})` : ''}, ${r.text.length} bytes`;
}

function body(step: BlueprintStep, headers: Record<string, string>): string | undefined {
  const b = step.body;
  if (b === undefined) return undefined;
  if (typeof b === 'string') return b;
  // An object body is a form post, as Moodle's forms expect.
  if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
    headers['content-type'] = 'application/x-www-form-urlencoded';
  return new URLSearchParams(
    Object.entries(b as Record<string, unknown>).map(([k, v]): [string, string] => [k, String(v)]),
  ).toString();
}

export const HTTP_STEPS: Record<string, StepHandler> = {
  login: {
    kind: 'run',
    async run(step, ctx) {
      const username = str(step, 'username') ?? 'admin';
      const r = await ctx.site.request(
        { url: '/', headers: withCookies(ctx, {}) },
        { kind: 'login', username },
      );
      ctx.cookies.update(r.headers);
      if (r.status !== 200 || !r.text.includes('"ok":true'))
        throw new Error(`login as ${username} failed: HTTP ${r.status} ${excerpt(r)}`);
      if (ctx.cookies.get('MoodleSession') === undefined)
        throw new Error(`login as ${username}: Moodle set no session cookie`);
      return `logged in as ${username} (Moodle session kept for later request steps)`;
    },
  },
  request: {
    kind: 'run',
    async run(step, ctx) {
      const method = str(step, 'method') ?? 'GET';
      const path = sitePath(str(step, 'url') ?? '/', `${ctx.where}.url`);
      const headers = { ...((step.headers as Record<string, string> | undefined) ?? {}) };
      const payload = body(step, headers);
      const r = await ctx.site.request({
        method,
        url: path,
        headers: withCookies(ctx, headers),
        ...(payload !== undefined && method !== 'GET' && method !== 'HEAD'
          ? { body: payload }
          : {}),
      });
      ctx.cookies.update(r.headers);
      if (step.expectOk !== false && r.status >= 400)
        throw new Error(`${method} ${path} returned HTTP ${r.status}: ${excerpt(r)}`);
      return describe(method, path, r);
    },
  },
  runPhpScript: {
    kind: 'run',
    async run(step, ctx) {
      const code = withOpenTag(str(step, 'code') ?? '');
      const r = await ctx.site.request(
        { url: '/', headers: withCookies(ctx, {}) },
        { kind: 'script', code },
      );
      ctx.cookies.update(r.headers);
      if (step.expectOk !== false && r.status >= 400)
        throw new Error(`the script returned HTTP ${r.status}: ${excerpt(r)}`);
      return `HTTP ${r.status}: ${r.text.trim().slice(0, 1000)}`;
    },
  },
  runPhpCode: {
    kind: 'run',
    async run(step, ctx) {
      const r = await ctx.site.runPhp(withOpenTag(str(step, 'code') ?? ''));
      if (r.exitCode !== 0)
        throw new Error(
          `PHP exited with ${r.exitCode}: ${`${r.stderr}\n${r.stdout}`.trim().slice(-600) || 'no output'}`,
        );
      return [r.stdout.trim(), r.stderr.trim()].filter(Boolean).join('\n').slice(0, 2000);
    },
  },
};

function withOpenTag(code: string): string {
  return /^\s*<\?php/.test(code) ? code : `<?php\n${code}`;
}
