// The smoke crawl of one plugin on a running site: php/smoke/setup.php prepares what its pages need
// with Moodle's own APIs (a course, a student, an instance, a block, the filter on…) and names the
// pages; each is then requested over the site's HTTP as admin, student or guest (a real Moodle
// session from complete_user_login()), with developer debugging, and judged by smoke-output.ts.
import type { Finding } from '../core/finding.js';
import { prepareLogin } from '../blueprint/moodle-site.js';
import { CookieJar } from '../blueprint/steps/cookies.js';
import { failureSummary } from '../moodle/site/outcome.js';
import { VFS, type Site, type SiteServer } from '../moodle/site/site.js';
import { PhpCrashError, PhpTimeoutError } from '../php/runtime-limits.js';
import { findingsFromUpgrade, type OutputContext } from './phases/install-output.js';
import {
  judgePage,
  pageLog,
  setupFinding,
  SMOKE_RULES,
  stoppedPage,
  type PlannedPage,
  type SmokeUser,
} from './smoke-output.js';
import { makeFinding } from '../core/rules.js';

const MARK = '@@MPC-SMOKE@@';
/** php/smoke/web, aliased for the setup request only. */
const SETUP_PREFIX = '/__mpc_smoke';
export const SMOKE_STUDENT = 'mpcsmokestudent';
/** PHP's own messages go to the request's log (stderr) as well as into the page. */
export const SMOKE_INI = { log_errors: '1' } as const;
const MAX_REDIRECTS = 3;

export interface SmokePlugin {
  component: string;
  type: string;
  name: string;
  /** Where the plugin is under the web root, e.g. `mod/board`. */
  webPath: string;
  output: OutputContext;
  has: (rel: string) => boolean;
}

export interface SmokePage {
  url: string;
  as: SmokeUser;
  why: string;
  /** The final answer's status (after redirects on the site); null when PHP was stopped. */
  status: number | null;
  /** Where a redirect ended, when the page redirected. */
  redirectedTo?: string;
  ms: number;
  findings: Finding[];
  note?: string;
}

export interface SmokeResult {
  pages: SmokePage[];
  /** Setup and page findings, each once (the first page that showed it). */
  findings: Finding[];
  setupMs: number;
  totalMs: number;
}

interface SetupReply {
  pages: PlannedPage[];
  notes: {
    what: string;
    message: string;
    file?: string;
    line?: number;
    trace?: { file: string; line: number }[];
    skip?: boolean;
  }[];
}

/** The pages a user reaches for the plugin, after preparing what they need in the site. */
async function prepare(
  site: Site,
  server: SiteServer,
  plugin: SmokePlugin,
  timeoutMs: number,
): Promise<{ reply?: SetupReply; findings: Finding[] }> {
  site.writeRunFile(
    'smoke.json',
    JSON.stringify({
      component: plugin.component,
      type: plugin.type,
      name: plugin.name,
      webpath: `/${plugin.webPath}`,
      student: SMOKE_STUDENT,
    }),
  );
  const aliases = [{ urlPrefix: SETUP_PREFIX, fsPath: `${VFS.ours}/smoke/web` }];
  let r: { status: number; text: string; errors: string };
  try {
    r = await server.request({ url: `${SETUP_PREFIX}/setup.php` }, timeoutMs, aliases);
  } catch (e) {
    if (!(e instanceof PhpTimeoutError || e instanceof PhpCrashError)) throw e;
    return {
      findings: [
        makeFinding(
          SMOKE_RULES.setupFailed,
          `The crawl’s setup (a course, a student, an instance of the plugin) was stopped: ${e.message}`,
        ),
      ],
    };
  }
  // What the plugin's code said while its instance was made (its add_instance(), its generator).
  const said = findingsFromUpgrade(
    { exitCode: 0, stdout: '', stderr: pageLog(r) },
    plugin.output,
    plugin.has,
    SMOKE_RULES,
  ).map((f) => ({ ...f, message: `while preparing the crawl: ${f.message}` }));
  // The last marker line: the plugin's code runs during the setup and could print one first.
  const reply = parseReply(r.text.split('\n').findLast((l) => l.startsWith(MARK)));
  if (!reply)
    return {
      findings: [
        ...said,
        makeFinding(
          SMOKE_RULES.setupFailed,
          `The crawl’s setup did not finish (HTTP ${r.status}): ${failureSummary(r.text.replace(/<[^>]+>/g, ' '), r.errors)}`,
        ),
      ],
    };
  const notes = reply.notes.filter((n) => !n.skip).map((n) => setupFinding(n, plugin.output));
  return { reply, findings: [...said, ...notes] };
}

const USERS: readonly SmokeUser[] = ['admin', 'student', 'guest'];
/** More than setup.php ever names (8 admin pages and a few per type): a forged list stops here. */
const MAX_PAGES = 40;

/** The setup's answer, read as data: pages on the site only, for the three users, notes as text. */
export function parseReply(line: string | undefined): SetupReply | undefined {
  if (line === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(line.slice(MARK.length));
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { pages, notes } = raw as { pages?: unknown; notes?: unknown };
  if (!Array.isArray(pages) || !Array.isArray(notes)) return undefined;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  return {
    pages: pages
      .slice(0, MAX_PAGES * 4)
      .flatMap((p: Record<string, unknown>) => {
        const url = str(p.url);
        const as = USERS.find((u) => u === p.as);
        if (!url?.startsWith('/') || url.startsWith('//') || as === undefined) return [];
        return [
          { url, as, why: str(p.why) ?? '', ...(p.guessed === true ? { guessed: true } : {}) },
        ];
      })
      .slice(0, MAX_PAGES),
    notes: notes.slice(0, MAX_PAGES).flatMap((n: Record<string, unknown>) => {
      const what = str(n.what);
      const message = str(n.message);
      if (what === undefined || message === undefined) return [];
      return [
        {
          what,
          message,
          ...(str(n.file) !== undefined ? { file: str(n.file)! } : {}),
          ...(typeof n.line === 'number' ? { line: n.line } : {}),
          ...(Array.isArray(n.trace)
            ? {
                trace: (n.trace as Record<string, unknown>[]).map((f) => ({
                  file: str(f.file) ?? '',
                  line: typeof f.line === 'number' ? f.line : 0,
                })),
              }
            : {}),
          ...(n.skip === true ? { skip: true } : {}),
        },
      ];
    }),
  };
}

export interface CrawlOptions {
  timeoutMs: number;
  /** Pages to open besides the plugin's own (the blueprint's landing page), as admin. */
  extraPages?: readonly string[];
  onPage?: (page: SmokePage) => void;
}

export async function crawl(
  site: Site,
  plugin: SmokePlugin,
  options: CrawlOptions,
): Promise<SmokeResult> {
  const started = performance.now();
  const server = await site.server(SMOKE_INI);
  try {
    return await crawlOn(site, server, plugin, options, started);
  } finally {
    await server.close();
  }
}

async function crawlOn(
  site: Site,
  server: SiteServer,
  plugin: SmokePlugin,
  options: CrawlOptions,
  started: number,
): Promise<SmokeResult> {
  const { reply, findings } = await prepare(site, server, plugin, options.timeoutMs);
  const setupMs = performance.now() - started;
  const planned: PlannedPage[] = [
    ...(reply?.pages ?? []),
    ...(options.extraPages ?? []).map((url) => ({
      url,
      as: 'admin' as const,
      why: 'the blueprint’s landing page',
    })),
  ].filter((p, i, all) => all.findIndex((q) => q.url === p.url && q.as === p.as) === i);
  const jars = new Map<SmokeUser, CookieJar>();
  const pages: SmokePage[] = [];
  {
    const failedLogins = new Map<SmokeUser, string>();
    let stopped = 0;
    for (const page of planned) {
      let jar = jars.get(page.as);
      if (!jar && !failedLogins.has(page.as)) {
        jar = new CookieJar();
        const username = page.as === 'admin' ? 'admin' : SMOKE_STUDENT;
        const failed =
          page.as === 'guest'
            ? undefined
            : await login(site, server, username, jar, options.timeoutMs).then(
                () => undefined,
                (e: unknown) => {
                  if (!(e instanceof LoginError)) throw e;
                  return e;
                },
              );
        if (failed) {
          // The plugin can break logging in (an observer of user_loggedin that throws).
          const said = judgePage(
            { url: `logging in as ${username}`, as: page.as, why: 'login' },
            failed.response,
            plugin.output,
            plugin.has,
          ).findings;
          findings.push(
            ...(said.length > 0
              ? said
              : [
                  makeFinding(
                    SMOKE_RULES.setupFailed,
                    `Could not log in as ${username}: ${failed.message}`,
                  ),
                ]),
          );
          failedLogins.set(page.as, `not opened: logging in as ${username} failed`);
          jar = undefined;
        } else jars.set(page.as, jar);
      }
      // A page that runs to its limit costs the limit: after two, the rest are not opened.
      const skip =
        failedLogins.get(page.as) ??
        (stopped >= 2 ? 'not opened: two pages of this plugin were stopped already' : undefined);
      if (skip !== undefined || !jar) {
        const result: SmokePage = {
          ...page,
          status: null,
          ms: 0,
          findings: [],
          note: skip ?? 'not opened',
        };
        pages.push(result);
        options.onPage?.(result);
        continue;
      }
      const result = await open(server, page, jar, plugin, options.timeoutMs);
      if (result.status === null) stopped++;
      pages.push(result);
      options.onPage?.(result);
    }
  }
  const seen = new Set<string>();
  const all = [...findings, ...pages.flatMap((p) => p.findings)].filter((f) => {
    // The same message at the same place on two pages is one finding (the first page's).
    const key = `${f.ruleId}|${f.file ?? ''}|${f.line ?? ''}|${f.message.replace(/^\S+ \(as \w+\): /, '')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { pages, findings: all, setupMs, totalMs: performance.now() - started };
}

export async function login(
  site: Site,
  server: SiteServer,
  username: string,
  jar: CookieJar,
  timeoutMs: number,
): Promise<void> {
  const aliases: { urlPrefix: string; fsPath: string }[] = [];
  const url = prepareLogin(site, username, aliases);
  let r: { status: number; text: string; errors: string; headers: Record<string, string[]> };
  try {
    r = await server.request({ url, headers: {} }, timeoutMs, aliases);
  } catch (e) {
    if (!(e instanceof PhpTimeoutError || e instanceof PhpCrashError)) throw e;
    throw new LoginError(e.message, { status: 0, text: '', errors: e.stderr });
  }
  jar.update(r.headers);
  if (r.status !== 200 || !r.text.includes('"ok":true') || jar.get('MoodleSession') === undefined)
    throw new LoginError(
      `HTTP ${r.status} ${r.text
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim()
        .slice(0, 300)}`,
      r,
    );
}

/** Logging a user in failed; the answer is kept so what the plugin said can be read from it. */
class LoginError extends Error {
  constructor(
    message: string,
    readonly response: { status: number; text: string; errors: string },
  ) {
    super(message);
  }
}

/** Requests one page (following redirects on the site) and judges every answer on the way. */
async function open(
  server: SiteServer,
  page: PlannedPage,
  jar: CookieJar,
  plugin: SmokePlugin,
  timeoutMs: number,
): Promise<SmokePage> {
  const started = performance.now();
  const findings: Finding[] = [];
  let url = page.url;
  let note: string | undefined;
  let status: number | null = null;
  try {
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const cookie = jar.header();
      const r = await server.request({ url, headers: cookie ? { cookie } : {} }, timeoutMs);
      jar.update(r.headers);
      status = r.status;
      const verdict = judgePage({ ...page, url }, r, plugin.output, plugin.has);
      findings.push(...verdict.findings);
      note ??= verdict.note;
      const location = r.headers.location?.[0];
      const next = r.status >= 300 && r.status < 400 && location ? onSite(location) : undefined;
      if (next === undefined) break;
      url = next;
    }
  } catch (e) {
    if (e instanceof PhpTimeoutError)
      findings.push(
        stoppedPage(page, plugin.output, plugin.has, { kind: 'timeout', ms: e.timeoutMs }),
      );
    else if (e instanceof PhpCrashError)
      findings.push(
        stoppedPage(page, plugin.output, plugin.has, {
          kind: 'crashed',
          crash: e.kind,
          detail: e.detail,
        }),
      );
    else throw e;
    status = null;
  }
  return {
    url: page.url,
    as: page.as,
    why: page.why,
    status,
    ...(url !== page.url ? { redirectedTo: url } : {}),
    ms: Math.round(performance.now() - started),
    findings,
    ...(note !== undefined ? { note } : {}),
  };
}

/** A redirect's target when it stays on the site (http://localhost), as a path. */
function onSite(location: string): string | undefined {
  if (location.startsWith('/')) return location;
  try {
    const u = new URL(location);
    return u.hostname === 'localhost' ? `${u.pathname}${u.search}` : undefined;
  } catch {
    return undefined;
  }
}
