import { input } from '../core/inputs.js';
import { makeFinding } from '../core/rules.js';
import { upgradeStepsOf } from '../checks/savepoints.js';
import { allPlugins } from '../checks/run.js';
import type { Finding } from '../core/finding.js';
import { UserError } from '../core/errors.js';
import { findingsFromOutcome } from './phases/install-output.js';
import { failureSummary } from '../moodle/site/outcome.js';
import { resolveMoodle, type ResolvedMoodle } from '../moodle/source/resolve.js';
import { VFS, type DbKind, type Site, type UpgradeOutcome } from '../moodle/site/site.js';
import { phpFor, withSite } from './moodle.js';
import { describeCrash } from '../php/runtime-limits.js';
import type { UpgradeSource } from '../moodle/source/upgrade-source.js';
import {
  asUpgradeFindings,
  parseUpgradeReport,
  savepointTimes,
  schemaDifferences,
  schemaFindings,
  UPGRADE_RULES,
  type UpgradeReportData,
} from './phases/upgrade-output.js';
import { BRANCHES } from '../plugin/branches.js';
import { Plugin } from '../plugin/plugin.js';
import type { PhaseResult, UpgradeComponent, UpgradeSummary } from '../report/model.js';
import type { MoodleTree } from '../moodle/source/tree.js';

export interface UpgradePhaseContext {
  /** The new version (the checkout under test). */
  plugin: Plugin;
  source: UpgradeSource;
  /** The Moodle of the run, already provisioned into `freshSite` with the new version installed. */
  resolved: ResolvedMoodle;
  /** The site of the install phase; undefined when that install failed (no schema baseline). */
  freshSite: Site | undefined;
  installPath: string;
  timeoutMs: number;
  /** Bounds of each PHP run on the second site, as on the first. */
  limits?: Site['options']['limits'];
  /** The PHP the user asked for; else the newest the (possibly older) Moodle supports. */
  php?: string | undefined;
  /** The database of the run: the second site runs on the same one as the first. */
  db: DbKind;
  /**
   * Runs on the site with the old version installed, before the new version is put in place:
   * the place for a blueprint that creates data for the upgrade to migrate (`--blueprint`).
   */
  beforeUpgrade?: (site: Site) => Promise<void>;
  /** Runs on the second site before anything is installed (the check's dependencies go in). */
  prepare?: (site: Site, tree: MoodleTree) => void;
  log?: (line: string) => void;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** Why a plugin cannot install on a Moodle (its requires and incompatible), or undefined. */
export function incompatibility(p: Plugin, version: number, branch: number): string | undefined {
  const requires = num(p.version.fields.requires?.value);
  if (requires !== undefined && requires > version)
    return `requires Moodle ${requires}, above this Moodle (${version})`;
  const incompatible = num(p.version.fields.incompatible?.value);
  if (incompatible !== undefined && branch >= incompatible)
    return `declares itself incompatible with Moodle branch ${incompatible} and later`;
  return undefined;
}

/** The old version as a Plugin; a different component is bad input. */
export function loadOldPlugin(source: UpgradeSource & { dir: string }, plugin: Plugin): Plugin {
  const old = Plugin.load(source.dir);
  if (old.component !== plugin.component) {
    throw new UserError(
      `${input('upgrade-from', source.label)}: its version.php declares ${old.component ?? 'no $plugin->component'}, but the plugin under test is ${plugin.component ?? '(unknown)'}.`,
      'Pass an older version of the same plugin (same $plugin->component).',
    );
  }
  return old;
}

async function report(
  site: Site,
  plugins: Plugin[],
  afterLogId: number,
  installPath: string,
): Promise<UpgradeReportData> {
  const prefix = site.options.tree.layout === 'public' ? 'public/' : '';
  const args = plugins.map(
    (p) =>
      `${p.component ?? ''}=${p.has('db/install.xml') ? `${VFS.moodle}/${prefix}${installPath}/${p.prefix}db/install.xml` : '-'}`,
  );
  const r = await site.cli(`${VFS.ours}/tools/upgrade_report.php`, [
    VFS.moodle,
    String(afterLogId),
    ...args,
  ]);
  const data = parseUpgradeReport(r.stdout);
  if (!data)
    throw new Error(`php/tools/upgrade_report.php failed: ${failureSummary(r.stdout, r.stderr)}`);
  return data;
}

/** The newest registered Moodle that both versions install on, or a reason why there is none. */
async function sharedMoodle(
  old: Plugin,
  plugin: Plugin,
  target: ResolvedMoodle,
): Promise<ResolvedMoodle | string> {
  const why = incompatibility(old, target.tree.version, Number(target.tree.branch));
  if (why === undefined) return target;
  for (const b of [...BRANCHES].reverse()) {
    if (b.branch === Number(target.tree.branch)) continue;
    // Any build of the branch (version + up to 99) may satisfy requires.
    if (
      incompatibility(old, b.version + 99, b.branch) ??
      incompatibility(plugin, b.version + 99, b.branch)
    )
      continue;
    try {
      const r = await resolveMoodle({ spec: b.name, offline: true });
      if (
        !incompatibility(old, r.tree.version, b.branch) &&
        !incompatibility(plugin, r.tree.version, b.branch)
      )
        return r;
    } catch {
      // not registered here: try an older branch
    }
  }
  return `the old version ${why}, and no registered Moodle supports both versions (register one with \`moodle-plugin-check moodle import\`)`;
}

export async function runUpgradePhase(
  ctx: UpgradePhaseContext,
  phase: PhaseResult,
  findings: Finding[],
): Promise<UpgradeSummary | null> {
  const { plugin, source } = ctx;
  if (source.kind === 'skip') {
    phase.status = 'skipped';
    phase.detail = `${input('upgrade-from', source.label)}: ${source.reason}`;
    return null;
  }
  const old = loadOldPlugin(source, plugin);
  const from = num(old.version.fields.version?.value);
  const to = num(plugin.version.fields.version?.value);
  const release = (p: Plugin): string | null =>
    typeof p.version.fields.release?.value === 'string' ? p.version.fields.release.value : null;
  const summary: UpgradeSummary = {
    source: source.label,
    from: { version: from ?? null, release: release(old) },
    to: { version: to ?? null, release: release(plugin) },
    moodle: ctx.resolved.tree.release,
    components: [],
    schema: { checked: [], differences: 0, baseline: null },
    durationMs: { oldInstall: 0, upgrade: 0 },
  };
  if (from !== undefined && to !== undefined && to < from) {
    const at = plugin.version.fields.version;
    findings.push(
      makeFinding(
        UPGRADE_RULES.versionBackwards,
        `$plugin->version goes backwards: ${to} here, ${from} in ${source.label}; Moodle refuses to downgrade, so sites with the old version cannot update.`,
        { file: 'version.php', line: at?.line, column: at?.column },
      ),
    );
    phase.status = 'failed';
    phase.detail = `version goes backwards (${from} → ${to}); the upgrade was not run`;
    return summary;
  }
  if (from !== undefined && from === to) {
    phase.status = 'skipped';
    phase.detail = `the old version has the same $plugin->version (${to}): there is nothing to upgrade`;
    return summary;
  }

  const moodle = await sharedMoodle(old, plugin, ctx.resolved);
  if (typeof moodle === 'string') {
    phase.status = 'skipped';
    phase.detail = moodle;
    return summary;
  }
  summary.moodle = moodle.tree.release;
  const plugins = allPlugins(plugin);
  // The install phase's site is a fresh install of the new version: what our driver reports there
  // is the baseline (zero when the driver is faithful); only what the upgrade adds is drift.
  // Read while the old version installs on the second site (two PHP runtimes, two cores).
  const baselineRun =
    moodle === ctx.resolved && ctx.freshSite
      ? report(ctx.freshSite, plugins, 0, ctx.installPath)
      : Promise.resolve(undefined);
  void baselineRun.catch(() => undefined); // awaited below; an early return must not leave it unhandled

  const options = {
    php: phpFor(Number(moodle.tree.branch), ctx.php),
    db: ctx.db,
    timeoutMs: ctx.timeoutMs,
    limits: ctx.limits,
    purpose: 'upgrade',
  };
  return withSite(moodle, options, async ({ site }) => {
    ctx.prepare?.(site, moodle.tree);
    site.setPlugin({ dir: old.root, installPath: ctx.installPath });
    ctx.log?.(
      `upgrade-path: installing ${source.label} (${from ?? '?'}) on Moodle ${moodle.tree.release}`,
    );
    let start = performance.now();
    const first = await site.upgradeOutcome();
    summary.durationMs.oldInstall = Math.round(performance.now() - start);
    if (first.ended !== 'exited' || first.exitCode !== 0) {
      phase.status = 'skipped';
      phase.detail = `the old version (${from ?? '?'}) did not install on Moodle ${moodle.tree.release}, so its upgrade cannot be tested: ${whyNotInstalled(first)}`;
      return summary;
    }
    const before = await report(site, allPlugins(old), 0, ctx.installPath);
    const baseline = await baselineRun;
    if (ctx.beforeUpgrade) await ctx.beforeUpgrade(site);

    site.setPlugin({ dir: plugin.root, installPath: ctx.installPath });
    ctx.log?.(`upgrade-path: upgrading ${plugin.component ?? ''} to ${to ?? '?'}`);
    start = performance.now();
    const outcome = await site.upgradeOutcome();
    summary.durationMs.upgrade = Math.round(performance.now() - start);
    const prefix = moodle.tree.layout === 'public' ? 'public/' : '';
    const found = asUpgradeFindings(
      findingsFromOutcome(
        outcome,
        {
          moodleRoot: VFS.moodle,
          pluginPath: `${prefix}${ctx.installPath}`,
          pluginWebPath: ctx.installPath,
        },
        (rel) => plugin.has(rel),
      ),
    ).map((f) =>
      f.ruleId === UPGRADE_RULES.timeout.id && outcome.ended === 'timeout'
        ? {
            ...f,
            message: `Upgrading from ${from ?? '?'} to ${to ?? '?'} did not finish within ${Math.round(outcome.timeoutMs / 1000)} s and was stopped.`,
          }
        : f,
    );
    findings.push(...found);
    if (outcome.ended !== 'exited') {
      // A stopped upgrade leaves nothing to compare: its findings say why.
      phase.status = 'failed';
      phase.detail =
        outcome.ended === 'timeout' ? 'timed out' : `PHP crashed: ${describeCrash(outcome.crash)}`;
      return summary;
    }
    const run = outcome;
    const after = await report(site, plugins, before.maxlogid, ctx.installPath);
    const times = savepointTimes(run.stdout);
    for (const p of plugins)
      summary.components.push(stepsOf(p, before, after, times, run.exitCode === 0, findings));

    for (const p of plugins) {
      const component = p.component ?? '';
      if (!p.has('db/install.xml')) continue;
      summary.schema.checked.push(component);
      if (run.exitCode !== 0) continue; // a half-done upgrade differs by definition; the error says why
      const known = new Set(
        baseline
          ? schemaDifferences(baseline, component).map((d) => `${d.table}|${d.message}`)
          : [],
      );
      if (baseline) summary.schema.baseline = (summary.schema.baseline ?? 0) + known.size;
      const diffs = schemaDifferences(after, component).filter(
        (d) => !known.has(`${d.table}|${d.message}`),
      );
      summary.schema.differences += diffs.length;
      const xml = p.xml('db/install.xml');
      findings.push(
        ...schemaFindings(
          diffs,
          `${p.prefix}db/install.xml`,
          xml && 'root' in xml ? xml.root : undefined,
        ),
      );
    }
    const errors = findings.some(
      (f) => f.severity === 'error' && /^(upgrade|schema)\//.test(f.ruleId),
    );
    if (errors || run.exitCode !== 0) phase.status = 'failed';
    const steps = summary.components.reduce((n, c) => n + c.steps.filter((s) => s.ran).length, 0);
    phase.detail = `${old.component ?? ''} ${from ?? '?'} → ${to ?? '?'} on Moodle ${moodle.tree.release}${moodle === ctx.resolved ? '' : ' (the newest Moodle both versions support)'}: old version installed in ${(summary.durationMs.oldInstall / 1000).toFixed(1)} s, upgrade ${run.exitCode === 0 ? 'ran' : 'failed'} in ${(summary.durationMs.upgrade / 1000).toFixed(1)} s (${steps} step(s)); schema of ${summary.schema.checked.length} install.xml: ${summary.schema.differences} difference(s)${baseline ? '' : ' (no fresh-install baseline)'}`;
    return summary;
  });
}

/** Why an install of the old version did not complete, in a phase detail. */
function whyNotInstalled(run: UpgradeOutcome): string {
  if (run.ended === 'timeout')
    return `it did not finish within ${Math.round(run.timeoutMs / 1000)} s`;
  if (run.ended === 'crashed') return `PHP crashed: ${describeCrash(run.crash)} (${run.detail})`;
  return failureSummary(run.stdout, run.stderr);
}

/** The steps of one component's db/upgrade.php between its old and new version, and what ran. */
function stepsOf(
  p: Plugin,
  before: UpgradeReportData,
  after: UpgradeReportData,
  times: Map<number, number>,
  completed: boolean,
  findings: Finding[],
): UpgradeComponent {
  const component = p.component ?? '';
  const fromV = before.components[component] ?? null;
  const toV = after.components[component] ?? null;
  const file = `${p.prefix}db/upgrade.php`;
  const reached = new Set(
    after.log
      .filter((r) => r.plugin === component && r.info === 'Upgrade savepoint reached')
      .map((r) => Number(r.version)),
  );
  const declared = num(p.version.fields.version?.value);
  const steps =
    fromV === null
      ? []
      : upgradeStepsOf(p).filter(
          (s) => s.version > Number(fromV) && (declared === undefined || s.version <= declared),
        );
  const out: UpgradeComponent = {
    component,
    from: fromV,
    to: toV,
    steps: steps.map((s) => ({
      version: s.version,
      line: s.line,
      // A failed run stopped in the first step whose savepoint it did not reach: that one ran too.
      ran: completed || reached.has(s.version) || s === steps.find((t) => !reached.has(t.version)),
      savepoint: reached.has(s.version),
      seconds: times.get(s.version) ?? null,
    })),
  };
  if (!completed) return out;
  for (const s of out.steps) {
    if (s.savepoint) continue;
    findings.push(
      makeFinding(
        UPGRADE_RULES.missingSavepoint,
        `The upgrade step for ${s.version} ran (upgrading ${component} from ${fromV ?? '?'}) but no savepoint for ${s.version} was reached.`,
        { file, line: s.line },
      ),
    );
  }
  if (declared !== undefined && toV !== null && Number(toV) < declared) {
    const at = p.version.fields.version;
    findings.push(
      makeFinding(
        UPGRADE_RULES.missingSavepoint,
        `After the upgrade ${component} is stored at version ${toV}, below ${declared} in version.php.`,
        { file: `${p.prefix}version.php`, line: at?.line },
      ),
    );
  }
  return out;
}
