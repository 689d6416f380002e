// What one page of the smoke crawl said: PHP's log (warnings, notices, fatals, Moodle's exception
// handler), the debugging() boxes Moodle printed into the page, its error page and its status,
// read into smoke/* findings at the plugin's file and line.
import type { Finding } from '../core/finding.js';
import { makeFinding, type RuleMeta } from '../core/rules.js';
import { describeCrash } from '../php/runtime-limits.js';
import { environmentWhy } from '../phpunit/results.js';
import { findingsFromUpgrade, pluginFile, type OutputContext } from './phases/install-output.js';

export const SMOKE_RULES = {
  phpError: {
    id: 'smoke/php-error',
    severity: 'error',
    title: 'A PHP fatal error on one of the plugin’s pages',
    why: 'PHP stopped the page with a fatal error in the plugin’s code: the user sees a blank or broken page.',
    fix: 'Fix the code at the reported line; the finding names the page that showed it.',
  },
  phpWarning: {
    id: 'smoke/php-warning',
    severity: 'warning',
    title: 'A PHP warning on one of the plugin’s pages',
    why: 'With debugging on (development, CI) the warning prints into the page; it usually means a real bug (an undefined variable, index or property, a wrong argument).',
    fix: 'Fix the code at the reported line.',
  },
  phpNotice: {
    id: 'smoke/php-notice',
    severity: 'notice',
    title: 'A PHP notice or deprecation on one of the plugin’s pages',
    why: 'Deprecations become errors in the next PHP version; notices hide bugs and print into pages with debugging on.',
    fix: 'Update the code at the reported line.',
  },
  debugging: {
    id: 'smoke/debugging',
    severity: 'warning',
    title: 'Moodle debugging() output on one of the plugin’s pages',
    why: 'Moodle calls debugging() for deprecated APIs and developer mistakes (a missing context, a wrong URL, a deprecated function); with developer debugging the box shows on the page.',
    fix: 'Follow the message at the reported line (usually: replace a deprecated call or pass what Moodle asks for).',
  },
  exception: {
    id: 'smoke/exception',
    severity: 'error',
    title: 'An uncaught exception from the plugin on one of its pages',
    why: 'The page stopped with Moodle’s error page: the user cannot use it.',
    fix: 'Fix the code at the reported line (the first frame of the backtrace inside the plugin).',
  },
  scssError: {
    id: 'smoke/scss-error',
    severity: 'error',
    title: 'The theme’s SCSS did not compile while serving a page',
    why: 'Moodle compiles a theme’s SCSS when its CSS is first asked for; a compile error leaves pages unstyled.',
    fix: 'Fix the SCSS at the reported place.',
  },
  errorPage: {
    id: 'smoke/error-page',
    severity: 'error',
    title: 'One of the plugin’s pages shows Moodle’s error page',
    why: 'A page a user reaches for this plugin ends in Moodle’s error box instead of its content (a missing record, a capability the page wrongly asks for, a broken callback).',
    fix: 'Open the page (the finding names it) with developer debugging on and follow Moodle’s message.',
  },
  httpError: {
    id: 'smoke/http-error',
    severity: 'error',
    title: 'One of the plugin’s pages answered with a server error',
    why: 'The page answered HTTP 500 or above without Moodle’s error page or a PHP message that says why.',
    fix: 'Open the page (the finding names it) and look at the web server’s error log.',
  },
  timeout: {
    id: 'smoke/timeout',
    severity: 'error',
    title: 'One of the plugin’s pages did not finish in time',
    why: 'The page ran longer than the time limit for one page: an endless loop, or far too much work for one request.',
    fix: 'Look for a loop in the code the page runs; move heavy work into a task.',
  },
  crashed: {
    id: 'smoke/crashed',
    severity: 'error',
    title: 'PHP crashed while serving one of the plugin’s pages',
    why: 'The PHP process died (deep recursion, the runtime’s memory): on a real server that is a blank page or a 500 error.',
    fix: 'Look for recursion without an end or a huge structure in the code the page runs.',
  },
  environment: {
    id: 'smoke/environment',
    severity: 'notice',
    title: 'A page could not be judged: it needs what php-wasm does not have',
    why: 'The page stopped on something the runtime lacks (the intl extension, starting a process, a network connection), not on the plugin’s code; on a real server it may work.',
    fix: 'Nothing in the plugin, unless it should work without that extension; check the page on a real site.',
  },
  setupFailed: {
    id: 'smoke/setup-failed',
    severity: 'warning',
    title: 'The smoke crawl could not prepare what the plugin’s pages need',
    why: 'Moodle’s own APIs (the data generator, add_moduleinfo(), the block manager, the question generator) could not create an instance of the plugin, so the pages that show one were not opened. Often the plugin’s add_instance() or its generator fails.',
    fix: 'Read Moodle’s message; make the plugin’s generator (tests/generator/lib.php) or add_instance() work with default values.',
  },
} as const satisfies Record<string, RuleMeta>;

/** Who a page is opened as. */
export type SmokeUser = 'admin' | 'student' | 'guest';

export interface PlannedPage {
  url: string;
  as: SmokeUser;
  why: string;
  /** An entry point the plugin may not take without parameters the crawl cannot know. */
  guessed?: boolean;
}

export interface PageResponse {
  status: number;
  text: string;
  /** PHP's log of the request (stderr). */
  errors: string;
}

/** Error codes of a page that wants parameters or a login the crawl did not have. */
const NEEDS_MORE = new Set([
  'missingparam',
  'invalidparameter',
  'invalidrecord',
  'invalidcourseid',
]);

function decode(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#0?39;/g, "'")
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Moodle's debugging() boxes (`data-rel="debugging"`, with the backtrace as a list) as the lines
 * the CLI prints for them (`++ message ++`, `* line N of /file: call`), so one reader serves both.
 */
export function debuggingAsLog(html: string): string {
  const out: string[] = [];
  const box =
    /<div class="notifytiny debuggingmessage" data-rel="debugging">([\s\S]*?)<ul[^>]*data-rel="backtrace"[^>]*>([\s\S]*?)<\/ul>/g;
  for (const m of html.matchAll(box)) {
    out.push(`++ ${decode(m[1]!)} ++`);
    for (const li of m[2]!.matchAll(/<li>([\s\S]*?)<\/li>/g)) out.push(`* ${decode(li[1]!)}`);
  }
  return out.join('\n');
}

/** PHP's log as the install reader expects it: `Debugging: … in` (NO_DEBUG_DISPLAY pages) as `++ … ++`. */
function normaliseLog(errors: string): string {
  return errors
    .split(/\r?\n/)
    .map((l) =>
      l.replace(/^(?:\[[^\]]*\]\s*)?(?:PHP Notice:\s+)?Debugging: (.*?) in\s*$/, '++ $1 ++'),
    )
    .map((l) => l.replace(/^\[[^\]]*\]\s*(PHP )/, '$1'))
    .join('\n');
}

/** What PHP and Moodle said during a request, as log lines: its log, then the page's debugging boxes. */
export function pageLog(response: { text: string; errors: string }): string {
  return [normaliseLog(response.errors), debuggingAsLog(response.text)].join('\n');
}

/** The error page Moodle printed (`data-rel="fatalerror"`): its message and error code. */
export interface ShownError {
  message: string;
  code?: string;
  /** The stack trace Moodle printed with it (developer debugging), innermost first. */
  frames: { file: string; line: number }[];
}

/**
 * The error page Moodle printed: the themed one (`data-rel="fatalerror"`, from the exception
 * handler) or the bare one it prints when the page had already started (bootstrap_renderer's
 * early error: an `alert-danger` box under "Error"), with its error code and stack trace.
 */
export function errorPage(html: string): ShownError | undefined {
  const themed = /<div data-rel="fatalerror"[^>]*>([\s\S]*?)<\/div>/.exec(html);
  const early = themed
    ? null
    : /<h1>Error<\/h1>\s*<div class=['"]alert-danger['"]>([\s\S]*?)<\/div>/.exec(html);
  const box = themed ?? early;
  if (!box) return undefined;
  const message = themed ? /<p class="errormessage">([\s\S]*?)<\/p>/.exec(box[1]!) : null;
  const rest = html.slice(box.index);
  const code =
    /\/error\/[\w-]+\/([\w-]+)"/.exec(box[1]!) ?? /Error code: ([\w-]+)/.exec(rest.slice(0, 4000));
  const trace = /Stack trace:[\s\S]*?<ul[^>]*>([\s\S]*?)<\/ul>/.exec(rest);
  const frames = [...(trace?.[1] ?? '').matchAll(/<li>line (\d+) of ([^:<]+):/g)].map((m) => ({
    file: m[2]!.trim(),
    line: Number(m[1]),
  }));
  return {
    message: decode(message?.[1] ?? box[1]!),
    ...(code ? { code: code[1]! } : {}),
    frames,
  };
}

export interface PageVerdict {
  findings: Finding[];
  /** Why a guessed page was not judged (it wants parameters the crawl did not know). */
  note?: string;
}

/** The plugin file a page's URL runs, when the page is the plugin's own (`/mod/x/view.php?id=2` → view.php). */
function scriptOf(url: string, ctx: OutputContext): string | undefined {
  const p = url.split('?')[0]!;
  const prefix = `/${ctx.pluginWebPath}/`;
  return p.startsWith(prefix) ? p.slice(prefix.length) : undefined;
}

const label = (page: PlannedPage): string => `${page.url} (as ${page.as})`;

/** Every finding one page gave, each prefixed with the page. */
export function judgePage(
  page: PlannedPage,
  response: PageResponse,
  ctx: OutputContext,
  pluginHas: (rel: string) => boolean,
): PageVerdict {
  const found = findingsFromUpgrade(
    { exitCode: 0, stdout: '', stderr: pageLog(response) },
    ctx,
    pluginHas,
    SMOKE_RULES,
  ).map(environmental);
  const shown = errorPage(response.text);
  const lacking = shown ? environmentWhy(shown.message) : undefined;
  const script = scriptOf(page.url, ctx);
  const at = script !== undefined && pluginHas(script) ? { file: script } : {};
  const explained = found.some(
    (f) => f.severity === 'error' || f.ruleId === SMOKE_RULES.environment.id,
  );
  if (shown && lacking !== undefined && !explained) {
    found.push(
      makeFinding(SMOKE_RULES.environment, `not judged: ${shown.message}: ${lacking}`, at),
    );
  } else if (shown && !explained) {
    if (page.guessed && shown.code !== undefined && NEEDS_MORE.has(shown.code))
      return {
        findings: found.map((f) => prefixed(f, page)),
        note: `not judged: the page wants more than the crawl knows (${shown.code}: ${shown.message})`,
      };
    // The stack trace on the page, when PHP's log had none: the first frame inside the plugin.
    const frame = shown.frames
      .map((f) => ({ file: pluginFile(ctx, f.file), line: f.line }))
      .find((f) => f.file !== undefined);
    if (frame)
      found.push(
        makeFinding(SMOKE_RULES.exception, shown.message, { file: frame.file, line: frame.line }),
      );
    else
      found.push(
        makeFinding(
          SMOKE_RULES.errorPage,
          `Moodle’s error page: ${shown.message}${shown.code ? ` (error code ${shown.code})` : ''}`,
          at,
        ),
      );
  } else if (response.status >= 500 && !explained) {
    found.push(
      makeFinding(
        SMOKE_RULES.httpError,
        `HTTP ${response.status} without an error page or a PHP message${response.errors.trim() ? `; PHP said: ${response.errors.trim().slice(0, 300)}` : ''}`,
        at,
      ),
    );
  }
  return { findings: found.map((f) => prefixed(f, page)) };
}

/** An error that comes from what php-wasm lacks is the environment's, not the plugin's. */
function environmental(f: Finding): Finding {
  if (f.severity !== 'error') return f;
  const why = environmentWhy(f.message);
  return why === undefined
    ? f
    : makeFinding(SMOKE_RULES.environment, `not judged: ${f.message}: ${why}`, {
        ...(f.file !== undefined ? { file: f.file } : {}),
        ...(f.line !== undefined ? { line: f.line } : {}),
      });
}

function prefixed(f: Finding, page: PlannedPage): Finding {
  return { ...f, message: `${label(page)}: ${f.message}` };
}

/** smoke/timeout or smoke/crashed for a page whose PHP was stopped. */
export function stoppedPage(
  page: PlannedPage,
  ctx: OutputContext,
  pluginHas: (rel: string) => boolean,
  how:
    | { kind: 'timeout'; ms: number }
    | { kind: 'crashed'; crash: Parameters<typeof describeCrash>[0]; detail: string },
): Finding {
  const script = scriptOf(page.url, ctx);
  const at = script !== undefined && pluginHas(script) ? { file: script } : {};
  return how.kind === 'timeout'
    ? makeFinding(
        SMOKE_RULES.timeout,
        `${label(page)}: did not finish within ${Math.round(how.ms / 1000)} s and was stopped`,
        at,
      )
    : makeFinding(
        SMOKE_RULES.crashed,
        `${label(page)}: PHP crashed: ${describeCrash(how.crash)} (${how.detail})`,
        at,
      );
}

/** A setup step of the crawl that failed, at the plugin's frame when Moodle's trace has one. */
export function setupFinding(
  note: {
    what: string;
    message: string;
    file?: string;
    line?: number;
    trace?: { file: string; line: number }[];
  },
  ctx: OutputContext,
): Finding {
  // Moodle's question test helper (question/engine/tests/helpers.php) extends PHPUnit's classes,
  // which the crawl does not load: the crawl's limit, not the plugin's fault.
  if (/Class "PHPUnit\\Framework\\\w+" not found/.test(note.message))
    return makeFinding(
      SMOKE_RULES.environment,
      `Not opened: could not ${note.what}: Moodle's test helper needs PHPUnit, which the smoke crawl does not load (${note.message})`,
    );
  const frames = [{ file: note.file ?? '', line: note.line ?? 0 }, ...(note.trace ?? [])];
  for (const f of frames) {
    const file = pluginFile(ctx, f.file);
    if (file !== undefined)
      return makeFinding(SMOKE_RULES.setupFailed, `Could not ${note.what}: ${note.message}`, {
        file,
        line: f.line,
      });
  }
  return makeFinding(SMOKE_RULES.setupFailed, `Could not ${note.what}: ${note.message}`);
}
