// The report contract (docs/json-report.md): what every output format is made from.
import type { Finding } from '../core/finding.js';

/** Result of one executed step, as it appears in the JSON report. */
export interface StepResult {
  index: number;
  step: string;
  status: 'ok' | 'failed' | 'skipped';
  durationMs: number;
  output?: string;
  error?: string;
}

/** `--fail-on` / the `fail-on` input: the lowest severity that fails the check. */
export type FailOn = 'error' | 'warning' | 'never';

/** The one place that decides pass or fail from the counts. */
export function failsOn(counts: { errors: number; warnings: number }, failOn: FailOn): boolean {
  if (failOn === 'never') return false;
  return counts.errors > 0 || (failOn === 'warning' && counts.warnings > 0);
}

export type PhaseStatus = 'passed' | 'failed' | 'skipped';

export interface PhaseResult {
  name: string;
  status: PhaseStatus;
  durationMs: number;
  /** Why it was skipped or failed, or what it did. */
  detail?: string;
}

export interface PluginSummary {
  component: string | null;
  type: string | null;
  name: string | null;
  version: number | null;
  release: string | null;
  requires: number | null;
  supported: [number, number] | null;
  maturity: string | null;
  /** Install path inside a (classic-layout) Moodle tree, e.g. `mod/board`. */
  path: string | null;
}

export interface MoodleSummary {
  release: string;
  branch: string;
  version: string;
  layout: 'classic' | 'public';
  php: string;
  /** The PHP build that ran: the @php-wasm release and its flavour (jspi where Node has it). */
  phpWasm?: { version: string; build: 'jspi' | 'asyncify' };
  source: string;
  /** The database Moodle ran on (`--db`). */
  database?: DatabaseSummary;
  /** Everything changed to make Moodle run in php-wasm (never hidden). */
  adjustments: { rule: string; moodle?: string; detail: string }[];
}

export interface DatabaseSummary {
  /** `postgres`: Moodle's PostgreSQL driver on PGlite; `sqlite`: moodle-plugin-check's driver. */
  kind: 'postgres' | 'sqlite';
  /** e.g. "PostgreSQL 18.7 (PGlite 0.5.17, in-process)". */
  engine: string;
  /** Whether Moodle supports this database (PostgreSQL: yes; SQLite: no). */
  supported: boolean;
  /** What an unsupported database means for the verdict. */
  note?: string;
}

/** The JSON contract (docs/json-report.md). Additive changes only. */
export interface CheckReport {
  tool: { name: string; version: string };
  plugin: PluginSummary;
  moodle: MoodleSummary | null;
  phases: PhaseResult[];
  findings: Finding[];
  summary: { errors: number; warnings: number; notices: number };
  /** Only with --upgrade-from: what the upgrade-path phase ran (issue 6); null when it did not run. */
  upgrade?: UpgradeSummary | null;
  /** What `--blueprint` ran (issue 4): each step's result; null when no blueprint ran. */
  blueprint?: BlueprintReport | null;
  /** The plugin's PHPUnit suite (phase phpunit, issue 15); absent when the phase did not run. */
  phpunit?: PhpunitSummary;
  /** Phase smoke (issue 16): each page the crawl opened; absent when the phase did not run. */
  smoke?: SmokePageReport[];
}

/** One page of the smoke crawl, with the findings it produced. */
export interface SmokePageReport {
  /** Path and query on the site, as requested. */
  url: string;
  /** Who opened it: `admin`, `student` (enrolled in the crawl's course) or `guest` (not logged in). */
  as: string;
  /** Why the crawl opens it (e.g. "the activity as a student"). */
  why: string;
  /** HTTP status of the final answer (after redirects on the site); null when PHP was stopped. */
  status: number | null;
  redirectedTo?: string;
  ms: number;
  /** Rule, place and message of each finding the page gave (also in `findings`, once). */
  findings: { ruleId: string; severity: string; file?: string; line?: number; message: string }[];
  /** Why a page was not judged (it wants parameters the crawl did not know). */
  note?: string;
}

/** Tests by outcome (each test counts once, by its worst outcome). */
export interface PhpunitCounts {
  tests: number;
  assertions: number;
  failures: number;
  errors: number;
  warnings: number;
  risky: number;
  /** Skipped by the test (markTestSkipped) or by the environment (php-wasm cannot do it). */
  skipped: number;
  /** Skipped because php-wasm cannot do what they need (part of `skipped`). */
  skippedByEnvironment: number;
  incomplete: number;
  /** Tests stopped at the time limit for one test, and tests during which PHP died. */
  timeouts: number;
  crashed: number;
}

/** What the phpunit phase ran and how it ended. */
export interface PhpunitSummary extends PhpunitCounts {
  /** PHPUnit's version, as the tree's composer.lock pins it. */
  version: string;
  /** Components whose testsuite ran: the plugin and its subplugins. */
  components: string[];
  /** Test files (plugin-relative) whose remaining tests did not run, and why. */
  notRun: { file: string; reason: string }[];
  /** PHPUnit's own result line of each run, as it printed it: a cross-check of the counts. */
  phpunitSaid: string[];
  durationMs: number;
  /** The test site: restored from the cache, or initialised (and how long it took). */
  testSite: string;
  /** The five slowest tests. */
  slowest: { test: string; ms: number }[];
}

export interface BlueprintReport {
  /** Where the blueprint came from (file path, "inline JSON", …). */
  source: string;
  steps: StepResult[];
  /** Where the site opens after the blueprint (landingPage / setLandingPage). */
  landingPage: string | null;
}

/** One `if ($oldversion < N)` step of a component's db/upgrade.php between the old and new version. */
export interface UpgradeStep {
  version: number;
  line: number;
  ran: boolean;
  /** Its savepoint was reached (Moodle's upgrade_log). */
  savepoint: boolean;
  /** Time Moodle measured up to this savepoint, when it printed one. */
  seconds: number | null;
}

export interface UpgradeComponent {
  component: string;
  /** Stored version before and after the upgrade (null: not installed). */
  from: string | null;
  to: string | null;
  steps: UpgradeStep[];
}

export interface UpgradeSummary {
  /** The old version: folder, `git:<ref> (<sha>)` or zip. */
  source: string;
  from: { version: number | null; release: string | null };
  to: { version: number | null; release: string | null };
  /** The Moodle release the upgrade ran on. */
  moodle: string;
  components: UpgradeComponent[];
  /** Components whose install.xml was compared; differences found; what a fresh install already showed (null: not measured). */
  schema: { checked: string[]; differences: number; baseline: number | null };
  durationMs: { oldInstall: number; upgrade: number };
}

export function summarize(findings: readonly Finding[]): CheckReport['summary'] {
  const s = { errors: 0, warnings: 0, notices: 0 };
  for (const f of findings) {
    if (f.severity === 'error') s.errors++;
    else if (f.severity === 'warning') s.warnings++;
    else s.notices++;
  }
  return s;
}
