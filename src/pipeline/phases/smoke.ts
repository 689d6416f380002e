// smoke: the plugin's pages opened in the installed site as a Moodle user would reach them (its
// settings, an instance of an activity, a block on a course and the dashboard, a filter at work, a
// course in its format, the theme on the front page, a question preview, a report), logged in as
// admin and as a student, with developer debugging. Every PHP warning, notice, fatal error,
// debugging() call, uncaught exception, error page and server error is a smoke/* finding at the
// plugin's file and line, naming the page.
import type { Finding } from '../../core/finding.js';
import { input } from '../../core/inputs.js';
import type { SmokePageReport } from '../../report/model.js';
import { crawl, type SmokePage } from '../smoke-crawl.js';
import { session } from './install.js';
import { moodleSkipped, type Phase } from './phase.js';
import { VFS } from '../../moodle/site/site.js';

const brief = (f: Finding): SmokePageReport['findings'][number] => ({
  ruleId: f.ruleId,
  severity: f.severity,
  ...(f.file !== undefined ? { file: f.file } : {}),
  ...(f.line !== undefined ? { line: f.line } : {}),
  message: f.message,
});

export function pageReport(p: SmokePage): SmokePageReport {
  return {
    url: p.url,
    as: p.as,
    why: p.why,
    status: p.status,
    ...(p.redirectedTo !== undefined ? { redirectedTo: p.redirectedTo } : {}),
    ms: p.ms,
    findings: p.findings.map(brief),
    ...(p.note !== undefined ? { note: p.note } : {}),
  };
}

export const smoke: Phase = {
  name: 'smoke',
  // runCheck() callers (the tests, the bench) opt in; the CLI and the Action default to on.
  listed: (ctx) => ctx.options.smoke === true,
  skipped(ctx) {
    const moodle = moodleSkipped(ctx);
    if (moodle !== undefined) return moodle;
    if (!ctx.installed) return 'skipped: the plugin did not install (see the install phase)';
    return undefined;
  },
  async run(ctx, phase, run) {
    const { site, resolved, installPath } = session(ctx.moodle);
    const plugin = ctx.plugin;
    const prefix = resolved.tree.layout === 'public' ? 'public/' : '';
    const landing = ctx.report.blueprint?.landingPage;
    const result = await crawl(
      site,
      {
        component: plugin.component ?? '',
        type: plugin.type ?? '',
        name: plugin.name ?? '',
        webPath: installPath,
        output: {
          moodleRoot: VFS.moodle,
          pluginPath: `${prefix}${installPath}`,
          pluginWebPath: installPath,
        },
        has: (rel) => plugin.has(rel),
      },
      {
        // One page is bounded like one PHP run, but never by more than two minutes.
        timeoutMs: Math.min(ctx.moodleOptions.timeoutMs, 120_000),
        ...(landing ? { extraPages: [landing] } : {}),
        onPage: (p) => {
          run.progress.note(
            `smoke: ${p.url} as ${p.as} → ${p.status ?? 'stopped'} in ${(p.ms / 1000).toFixed(1)} s${p.findings.length ? `, ${p.findings.length} finding(s)` : ''}`,
          );
        },
      },
    );
    const found = run.add(result.findings);
    ctx.report.smoke = result.pages.map(pageReport);
    if (found.some((f) => f.severity === 'error')) phase.status = 'failed';
    const by = (as: string) => result.pages.filter((p) => p.as === as).length;
    const users = (['admin', 'student', 'guest'] as const)
      .filter((u) => by(u) > 0)
      .map((u) => `${by(u)} as ${u}`)
      .join(', ');
    const withFindings = result.pages.filter((p) => p.findings.length > 0).length;
    // Pages a failed login or two stopped pages kept the crawl from opening are not checked.
    const notOpened = result.pages.filter((p) => p.note?.startsWith('not opened')).length;
    if (result.pages.length === notOpened && phase.status !== 'failed') phase.status = 'skipped';
    phase.detail =
      result.pages.length === 0
        ? `no page to open for a ${plugin.type ?? 'plugin'} plugin without settings or pages (not checked); disable with ${input('no-smoke')}`
        : `${result.pages.length} page(s) (${users}) in ${(result.totalMs / 1000).toFixed(1)} s, setup ${(result.setupMs / 1000).toFixed(1)} s; ${withFindings} with findings${notOpened ? `; ${notOpened} not opened` : ''}`;
  },
};
