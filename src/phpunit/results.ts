// From the events of our results collector (php/phpunit/results.php) to what the report says:
// each test's outcome, the counts, the phpunit/* findings at the plugin's file and line, JUnit XML.
import type { Finding } from '../core/finding.js';
import { makeFinding, type RuleMeta } from '../core/rules.js';
import type { PhpunitCounts } from '../report/model.js';

export type TestStatus =
  | 'passed'
  | 'failure'
  | 'error'
  | 'warning'
  | 'risky'
  | 'skipped'
  | 'incomplete'
  /** Needs what php-wasm cannot do (processes, sockets, sodium box/sign): skipped by environment. */
  | 'environment'
  /** Did not end: stopped at the time limit. */
  | 'timeout'
  /** PHP died in it (a fatal error, out of memory, a crash). */
  | 'crashed';

export interface Frame {
  file: string;
  line: number;
}

export interface Issue {
  status: 'failure' | 'error' | 'warning' | 'risky' | 'skipped' | 'incomplete';
  class?: string;
  message?: string;
  diff?: string;
  frames?: Frame[];
}

export interface TestResult {
  id: string;
  class?: string;
  method?: string;
  /** VFS path of the test file, and the line of the test method. */
  file?: string;
  line?: number;
  status: TestStatus;
  issues: Issue[];
  assertions: number;
  ms: number;
  /** What stopped it (timeout, crash), or the environment reason. */
  note?: string;
}

type Event =
  | { e: 'run'; tests: number; phpunit: string }
  | { e: 'start'; id: string; class?: string; method?: string; file?: string; line?: number }
  | { e: 'end'; id: string; assertions: number; ms: number; issues: Issue[] };

/** Characters XML 1.0 cannot hold, even escaped. */
// eslint-disable-next-line no-control-regex
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g;

/** Tests kept per run: far more than any plugin suite has; past it, events are ignored. */
export const MAX_RESULTS = 100_000;

/** The worst outcome wins: what a test counts as. */
const ORDER: Issue['status'][] = ['error', 'failure', 'warning', 'risky', 'incomplete', 'skipped'];

/**
 * What php-wasm cannot do, by the message it leads to. A test that fails only for one of these is
 * skipped by environment, never passed and never the plugin's failure.
 */
const ENVIRONMENT: { re: RegExp; why: string }[] = [
  {
    re: /running programs is disabled|proc_open|shell_exec\(\)|exec\(\) has been disabled|Call to undefined function (?:proc_open|pcntl_\w+|posix_\w+)/i,
    why: 'runs a program or a separate PHP process (php-wasm cannot start processes)',
  },
  {
    re: /sodium_crypto_(?:box|sign|kx|aead|pwhash)|Call to undefined function sodium_/i,
    why: 'needs sodium’s box/sign functions (php-wasm has no sodium extension)',
  },
  {
    re: /Class "(?:Intl\w+|NumberFormatter|Collator|Normalizer|Locale|ResourceBundle|Transliterator|Spoofchecker)" not found|Call to undefined function (?:intl\w*|grapheme_\w+|idn_to_\w+|normalizer_\w+|numfmt_\w+|collator_\w+|datefmt_\w+|locale_\w+|transliterator_\w+|msgfmt_\w+|resourcebundle_\w+)\(/,
    why: 'needs the intl extension (php-wasm has none)',
  },
  {
    re: /Call to undefined function (?:socket_\w+|stream_socket_\w+|fsockopen)|Could not resolve host|Failed to connect to|Connection refused|getaddrinfo/i,
    why: 'opens a network connection (php-wasm has no network here)',
  },
];

/** What php-wasm lacks that a message shows (a missing intl class, a disabled process), if anything. */
export function environmentWhy(message: string): string | undefined {
  return ENVIRONMENT.find(({ re }) => re.test(message))?.why;
}

export function environmentReason(issues: readonly Issue[]): string | undefined {
  const bad = issues.filter((i) => i.status === 'error' || i.status === 'failure');
  if (bad.length === 0) return undefined;
  for (const { re, why } of ENVIRONMENT)
    if (bad.every((i) => re.test(`${i.class ?? ''} ${i.message ?? ''}`))) return why;
  return undefined;
}

/** Collects events as they come; knows which test is running when PHP stops. */
export class ResultCollector {
  readonly results: TestResult[] = [];
  phpunitVersion: string | undefined;
  /** Tests PHPUnit said the first run would have (after --filter), when it said it. */
  planned: number | undefined;
  /** Tests the latest PHPUnit run planned (after --filter). */
  lastPlanned: number | undefined;
  private running: TestResult | undefined;

  push(text: string): void {
    // The code under test can send events too; a flood is not kept.
    if (this.results.length >= MAX_RESULTS) return;
    let ev: Event;
    try {
      ev = JSON.parse(text) as Event;
    } catch {
      return; // not ours: the collector only sends JSON
    }
    if (ev.e === 'run') {
      this.phpunitVersion ??= ev.phpunit;
      this.planned ??= ev.tests;
      this.lastPlanned = ev.tests;
    } else if (ev.e === 'start') {
      this.running = {
        id: ev.id,
        ...(ev.class !== undefined ? { class: ev.class } : {}),
        ...(ev.method !== undefined ? { method: ev.method } : {}),
        ...(ev.file !== undefined ? { file: ev.file } : {}),
        ...(ev.line !== undefined ? { line: ev.line } : {}),
        status: 'passed',
        issues: [],
        assertions: 0,
        ms: 0,
      };
    } else {
      const r =
        this.running?.id === ev.id
          ? this.running
          : { id: ev.id, status: 'passed' as const, issues: [], assertions: 0, ms: 0 };
      this.running = undefined;
      r.issues = ev.issues;
      r.assertions = ev.assertions;
      r.ms = ev.ms;
      const worst = ORDER.find((s) => r.issues.some((i) => i.status === s));
      r.status = worst ?? 'passed';
      const env = environmentReason(r.issues);
      if (env !== undefined) {
        r.status = 'environment';
        r.note = env;
      }
      this.results.push(r);
    }
  }

  /** Tests the latest run planned, if it said (read after the run; events set it meanwhile). */
  plannedLastRun(): number | undefined {
    return this.lastPlanned;
  }

  /** The test that had started and not ended when PHP stopped (then it is recorded as `status`). */
  stopRunning(status: 'timeout' | 'crashed', note: string, ms: number): TestResult | undefined {
    const r = this.running;
    this.running = undefined;
    if (!r) return undefined;
    r.status = status;
    r.note = note;
    r.ms = ms;
    this.results.push(r);
    return r;
  }
}

export function countResults(results: readonly TestResult[]): PhpunitCounts {
  const n = (s: TestStatus): number => results.filter((r) => r.status === s).length;
  return {
    tests: results.length,
    assertions: results.reduce((a, r) => a + r.assertions, 0),
    failures: n('failure'),
    errors: n('error'),
    warnings: n('warning'),
    risky: n('risky'),
    skipped: n('skipped') + n('environment'),
    incomplete: n('incomplete'),
    skippedByEnvironment: n('environment'),
    timeouts: n('timeout'),
    crashed: n('crashed'),
  };
}

export const PHPUNIT_RULES = {
  failure: {
    id: 'phpunit/failure',
    severity: 'error',
    title: 'A PHPUnit test of the plugin fails',
    why: 'An assertion of the plugin’s own test suite does not hold on this Moodle: the code does not do what its test says (or the test is out of date).',
    fix: 'Read the message and the diff; fix the code or the test at the reported line.',
  },
  error: {
    id: 'phpunit/error',
    severity: 'error',
    title: 'A PHPUnit test of the plugin ends with an error',
    why: 'The test threw an exception or hit a PHP error (with Moodle’s test settings, warnings and notices are errors): the code path it tests is broken on this Moodle.',
    fix: 'Fix the code at the reported line (where it was thrown), or the test.',
  },
  warning: {
    id: 'phpunit/warning',
    severity: 'warning',
    title: 'A PHPUnit test of the plugin ends with a warning',
    why: 'PHPUnit (or PHP) warned during the test: a deprecated PHPUnit API, a data provider problem, or a PHP warning; Moodle’s CI fails on warnings.',
    fix: 'Follow the message.',
  },
  risky: {
    id: 'phpunit/risky',
    severity: 'warning',
    title: 'A PHPUnit test of the plugin is risky',
    why: 'PHPUnit flags the test as risky (it printed output, left a transaction or buffer open, changed global state…): it may pass for the wrong reason.',
    fix: 'Follow the message: remove the output, use the expectOutput* methods, close what the test opens.',
  },
  timeout: {
    id: 'phpunit/timeout',
    severity: 'error',
    title: 'A PHPUnit test did not end within the time limit',
    why: 'The test ran past the limit for one test (it loops, or waits for something that never comes); it was stopped and the suite went on with the next test file.',
    fix: 'Find the loop or wait in the test or the code it calls; raise the limit with the timeout setting if the test is only slow.',
  },
  crashed: {
    id: 'phpunit/crashed',
    severity: 'error',
    title: 'PHP died during a PHPUnit test',
    why: 'A fatal error (out of memory, a call to an undefined function, a type error outside a try) ended PHPUnit during this test; the suite went on with the next test file.',
    fix: 'Fix the code at the reported line; PHP’s message is in the finding.',
  },
  notRun: {
    id: 'phpunit/not-run',
    severity: 'warning',
    title: 'Part of the PHPUnit suite did not run',
    why: 'The run stopped (a test that never ended or crashed PHP) before these tests; they are neither passed nor failed.',
    fix: 'Fix the test that stopped the run, then run again.',
  },
  interrupted: {
    id: 'phpunit/interrupted',
    severity: 'error',
    title: 'PHPUnit stopped between two tests',
    why: 'An error inside PHPUnit (often from a destructor of something a test left open, such as a recordset) or a fatal error outside a test ended the run; the tests after it did not run until the next test file.',
    fix: 'Read the message; close what the test before it opens (recordsets, transactions, files).',
  },
  initFailed: {
    id: 'phpunit/init-failed',
    severity: 'error',
    title: 'Moodle’s PHPUnit test site could not be set up with the plugin',
    why: 'Installing the plugin into the PHPUnit test site failed, so none of its tests can run (a real `init.php` would fail the same way).',
    fix: 'Read Moodle’s message; it is usually the same problem the install phase reports.',
  },
  runFailed: {
    id: 'phpunit/run-failed',
    severity: 'error',
    title: 'PHPUnit could not run the plugin’s suite',
    why: 'PHPUnit stopped before running a test (a bootstrap or configuration error, a syntax error in a test file): none of the plugin’s tests ran.',
    fix: 'Read PHPUnit’s message in the finding.',
  },
  environment: {
    id: 'phpunit/skipped-by-environment',
    severity: 'notice',
    title: 'A PHPUnit test was skipped: it needs what php-wasm cannot do',
    why: 'The test starts a process, opens a network connection or uses sodium box/sign, which php-wasm cannot do; it is counted as skipped, not passed. Run it natively to cover it.',
    fix: 'Nothing to fix in the plugin; guard such tests with markTestSkipped() if they cannot run everywhere.',
  },
} as const satisfies Record<string, RuleMeta>;

export interface Locator {
  /** Plugin-relative posix path of a VFS path inside the plugin, else undefined. */
  toPlugin(vfsPath: string): string | undefined;
}

/** The place a finding points to: the first frame inside the plugin (assertion or throw). */
function place(
  r: TestResult,
  issue: Issue | undefined,
  at: Locator,
): { file?: string; line?: number } {
  for (const f of issue?.frames ?? []) {
    const rel = at.toPlugin(f.file);
    if (rel !== undefined && f.line > 0) return { file: rel, line: f.line };
  }
  const rel = r.file !== undefined ? at.toPlugin(r.file) : undefined;
  return rel !== undefined ? { file: rel, ...(r.line !== undefined ? { line: r.line } : {}) } : {};
}

const cut = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max)}…` : s);

/** Findings: one per failing, erroring, warning, risky, stopped or environment-skipped test. */
export function resultFindings(results: readonly TestResult[], at: Locator): Finding[] {
  const out: Finding[] = [];
  for (const r of results) {
    const name = r.id;
    if (r.status === 'timeout' || r.status === 'crashed') {
      const rule = r.status === 'timeout' ? PHPUNIT_RULES.timeout : PHPUNIT_RULES.crashed;
      out.push(makeFinding(rule, `${name}: ${r.note ?? r.status}`, place(r, r.issues[0], at)));
      continue;
    }
    if (r.status === 'environment') {
      out.push(
        makeFinding(
          PHPUNIT_RULES.environment,
          `${name}: ${r.note ?? ''}: ${cut(r.issues[0]?.message ?? '', 300)}`,
          place(r, undefined, at),
        ),
      );
      continue;
    }
    for (const issue of r.issues) {
      const rule =
        issue.status === 'failure'
          ? PHPUNIT_RULES.failure
          : issue.status === 'error'
            ? PHPUNIT_RULES.error
            : issue.status === 'warning'
              ? PHPUNIT_RULES.warning
              : issue.status === 'risky'
                ? PHPUNIT_RULES.risky
                : undefined;
      if (!rule) continue;
      const diff = issue.diff ? `\n${cut(issue.diff.trim(), 1200)}` : '';
      out.push(
        makeFinding(
          rule,
          `${name}: ${cut((issue.message ?? '').trim(), 1500)}${diff}`,
          place(r, issue, at),
        ),
      );
    }
  }
  return out;
}

const xmlText = (s: string): string =>
  s
    .replace(XML_INVALID, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

/** JUnit XML as PHPUnit's --log-junit writes it (one testsuite per test class). */
export function junitXml(results: readonly TestResult[], suiteName: string, at: Locator): string {
  const byClass = new Map<string, TestResult[]>();
  for (const r of results) {
    const cls = r.class ?? r.id.split('::')[0] ?? r.id;
    (byClass.get(cls) ?? byClass.set(cls, []).get(cls)!).push(r);
  }
  const all = countResults(results);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<testsuites>',
    `  <testsuite name="${xmlText(suiteName)}" tests="${all.tests}" assertions="${all.assertions}" errors="${all.errors + all.timeouts + all.crashed}" failures="${all.failures}" skipped="${all.skipped + all.incomplete}" time="${(results.reduce((a, r) => a + r.ms, 0) / 1000).toFixed(6)}">`,
  ];
  for (const [cls, tests] of byClass) {
    const c = countResults(tests);
    const file = tests[0]?.file !== undefined ? (at.toPlugin(tests[0].file) ?? tests[0].file) : '';
    lines.push(
      `    <testsuite name="${xmlText(cls)}" file="${xmlText(file)}" tests="${c.tests}" assertions="${c.assertions}" errors="${c.errors + c.timeouts + c.crashed}" failures="${c.failures}" skipped="${c.skipped + c.incomplete}" time="${(tests.reduce((a, r) => a + r.ms, 0) / 1000).toFixed(6)}">`,
    );
    for (const r of tests) {
      const name = r.id.includes('::') ? r.id.slice(r.id.indexOf('::') + 2) : r.id;
      const open = `      <testcase name="${xmlText(name)}" class="${xmlText(cls)}" classname="${xmlText(cls.replace(/\\/g, '.'))}" file="${xmlText(file)}"${r.line !== undefined ? ` line="${r.line}"` : ''} assertions="${r.assertions}" time="${(r.ms / 1000).toFixed(6)}"`;
      const body: string[] = [];
      const issue =
        r.issues.find((i) => i.status === 'error' || i.status === 'failure') ?? r.issues[0];
      const text = xmlText(
        `${r.id}\n${issue?.message ?? r.note ?? ''}${issue?.diff ? `\n${issue.diff}` : ''}\n\n${(issue?.frames ?? []).map((f) => `${f.file}:${f.line}`).join('\n')}`,
      );
      if (r.status === 'failure')
        body.push(
          `        <failure type="${xmlText(issue?.class ?? 'PHPUnit\\Framework\\ExpectationFailedException')}">${text}</failure>`,
        );
      else if (r.status === 'error' || r.status === 'timeout' || r.status === 'crashed')
        body.push(
          `        <error type="${xmlText(r.status === 'error' ? (issue?.class ?? 'Error') : `moodle-plugin-check.${r.status}`)}">${text}</error>`,
        );
      else if (r.status === 'warning' || r.status === 'risky')
        body.push(`        <system-out>${text}</system-out>`);
      else if (r.status === 'skipped' || r.status === 'incomplete' || r.status === 'environment')
        body.push('        <skipped/>');
      lines.push(
        body.length === 0 ? `${open}/>` : `${open}>\n${body.join('\n')}\n      </testcase>`,
      );
    }
    lines.push('    </testsuite>');
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
