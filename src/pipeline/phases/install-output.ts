import { input } from '../../core/inputs.js';
import type { Finding } from '../../core/finding.js';
import { makeFinding, type RuleMeta } from '../../core/rules.js';
import { describeCrash, type PhpRunLimits } from '../../php/runtime-limits.js';
import { failureSummary } from '../../moodle/site/outcome.js';
import type { UpgradeOutcome } from '../../moodle/site/site.js';
import { formatBytes } from '../../core/format.js';

/** Rules for what Moodle and PHP say while installing or upgrading the plugin. */
export const INSTALL_RULES = {
  failed: {
    id: 'install/failed',
    severity: 'error',
    title: 'Moodle could not install or upgrade the plugin',
    why: 'admin/cli/upgrade.php stopped with an error: on a real site the plugin cannot be installed and the admin is stuck on the upgrade page.',
    fix: 'Read Moodle’s message (and the file and line when given) and fix the install or upgrade code.',
  },
  exception: {
    id: 'install/exception',
    severity: 'error',
    title: 'An exception was thrown from the plugin during install',
    why: 'An uncaught exception in install.xml processing, db/install.php, db/upgrade.php or code they call aborts the installation.',
    fix: 'Fix the code at the reported line; run the install again.',
  },
  phpError: {
    id: 'install/php-error',
    severity: 'error',
    title: 'A PHP fatal error in the plugin during install',
    why: 'PHP stopped the install with a fatal error (or ran out of memory) in the plugin’s code.',
    fix: 'Fix the code at the reported line.',
  },
  phpWarning: {
    id: 'install/php-warning',
    severity: 'warning',
    title: 'A PHP warning in the plugin during install',
    why: 'With debugging on (as in development and CI), warnings print into pages and web service replies; they usually mean a real bug (an undefined variable or index, a wrong argument).',
    fix: 'Fix the code at the reported line.',
  },
  phpNotice: {
    id: 'install/php-notice',
    severity: 'notice',
    title: 'A PHP notice or deprecation in the plugin during install',
    why: 'Deprecations become errors in the next PHP version; notices hide bugs and print into output with debugging on.',
    fix: 'Update the code at the reported line.',
  },
  debugging: {
    id: 'install/debugging',
    severity: 'warning',
    title: 'Moodle debugging() output caused by the plugin during install',
    why: 'Moodle calls debugging() for deprecated APIs and developer mistakes; the call comes from the plugin’s code.',
    fix: 'Follow the message (usually: replace a deprecated function or fix a wrong argument).',
  },
  scssError: {
    id: 'install/scss-error',
    severity: 'error',
    title: 'The theme’s SCSS does not compile',
    why: 'Moodle builds the theme’s CSS at the end of every upgrade; when the SCSS does not compile it falls back to precompiled CSS or none, and the site shows unstyled pages.',
    fix: 'Fix the SCSS at the reported place (an undefined variable or mixin, a bad import path).',
  },
  timeout: {
    id: 'install/timeout',
    severity: 'error',
    title: 'The install did not finish in time',
    why: 'The plugin’s install or upgrade ran longer than the time limit: an endless loop, or far too much work for an install step.',
    fix: 'Look for a loop in db/install.php or db/upgrade.php; raise the time limit (`--timeout`, the Action’s `timeout` input) only if the work is real.',
  },
  crashed: {
    id: 'install/crashed',
    severity: 'error',
    title: 'PHP crashed while installing the plugin',
    why: 'The PHP process itself died while running the plugin’s install or upgrade (a stack overflow from deep or endless recursion, or a crash of the runtime), not with a PHP error: on a real server that is a segmentation fault, a blank page or a 500 error, and the upgrade is left half done.',
    fix: 'Look for recursion without an end (a function, __get, __toString or callback that calls itself) or a huge nested structure; the finding says what stopped PHP and the last output before it.',
  },
  outOfMemory: {
    id: 'install/out-of-memory',
    severity: 'error',
    title: 'The install ran the PHP runtime out of memory',
    why: 'The plugin’s install used memory beyond what PHP’s memory_limit catches (the runtime’s own memory), and PHP was stopped without an error message: on a real server the process is killed by the operating system.',
    fix: 'Do not build huge structures in db/install.php or db/upgrade.php; process data in batches (recordsets) or in an ad-hoc task.',
  },
  diskQuota: {
    id: 'install/disk-quota',
    severity: 'error',
    title: 'The install wrote more data than the disk quota',
    why: 'Each PHP run may write a bounded amount into Moodle’s database, dataroot and temp folders; the plugin’s install or upgrade wrote more, so writes beyond failed with “No space left on device”. On a real site that fills the disk.',
    fix: 'Do not write large files or tables during install or upgrade; create large data lazily, in a scheduled or ad-hoc task.',
  },
  outputLimit: {
    id: 'install/output-limit',
    severity: 'error',
    title: 'The install printed far more output than an install should',
    why: 'Installing a plugin prints a few kilobytes; this one printed more than the output kept per run (its start and end are kept, the middle is counted and dropped, so messages there are not checked). Moodle’s web upgrade sends all of it to the admin’s browser.',
    fix: 'Remove the output (echo, print_r, var_dump, mtrace in loops) from db/install.php, db/upgrade.php and the code they call.',
  },
} as const satisfies Record<string, RuleMeta>;

export interface OutputContext {
  /** VFS path of Moodle's root, e.g. /www/moodle. */
  moodleRoot: string;
  /** The plugin's install path relative to the Moodle root, e.g. `mod/board` or `public/mod/board`. */
  pluginPath: string;
  /** The same relative to the web root (what Moodle prints in backtraces), e.g. `mod/board`. */
  pluginWebPath: string;
}

const PHP_MESSAGE =
  /^(?:PHP )?(Fatal error|Parse error|Warning|Notice|Deprecated|Strict Standards|Recoverable fatal error):\s+(.*) in (\/\S+) on line (\d+)\s*$/;
const MOODLE_FRAME = /^(?:!! )?(?:Stack trace: )?\* line (\d+) of (\/\S+): (.*)$/;

export function pluginFile(ctx: OutputContext, vfsOrMoodlePath: string): string | undefined {
  const candidates = [
    `${ctx.moodleRoot}/${ctx.pluginPath}/`,
    `${ctx.moodleRoot}/${ctx.pluginWebPath}/`,
    // Moodle 5.1+ backtraces are relative to the root above public/: `/public/mod/x/…`.
    `/${ctx.pluginPath}/`,
    `/${ctx.pluginWebPath}/`,
  ];
  for (const prefix of candidates) {
    if (vfsOrMoodlePath.startsWith(prefix)) return vfsOrMoodlePath.slice(prefix.length);
  }
  return undefined;
}

function finding(rule: RuleMeta, message: string, file?: string, line?: number): Finding {
  return makeFinding(rule, message, { file, line });
}

/** The rules a PHP and Moodle log is read with (install/* here, smoke/* for pages). */
export interface LogRules {
  phpError: RuleMeta;
  phpWarning: RuleMeta;
  phpNotice: RuleMeta;
  debugging: RuleMeta;
  exception: RuleMeta;
  scssError: RuleMeta;
}

export interface UpgradeRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Findings from one run of admin/cli/upgrade.php: PHP messages and Moodle debugging() and
 * exception backtraces that point into the plugin (output about other components is Moodle's
 * own business), and install/failed when the run failed without a finding that says why.
 */
export function findingsFromUpgrade(
  run: UpgradeRun,
  ctx: OutputContext,
  pluginHas: (rel: string) => boolean,
  rules: LogRules = INSTALL_RULES,
): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  const push = (f: Finding): void => {
    const key = `${f.ruleId}|${f.file ?? ''}|${f.line ?? ''}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(f);
    }
  };
  const lines = `${run.stdout}\n${run.stderr}`.split(/\r?\n/).map((l) => l.trim());
  let exceptionCode: string | undefined;
  let exceptionMessage: string | undefined;
  // An exception thrown while lib/setup.php runs (e.g. by a plugin's lib.php that it includes)
  // comes before Moodle's CLI handler exists: only stdout's `!!! … !!!` form is printed then.
  const stdoutOnly = !/^Default exception handler:/m.test(run.stderr);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const php = PHP_MESSAGE.exec(line);
    if (php) {
      const [, kind, message, where, lineNo] = php;
      const file = pluginFile(ctx, where!);
      if (file === undefined) continue;
      const rule = /fatal|parse/i.test(kind!)
        ? rules.phpError
        : kind === 'Warning'
          ? rules.phpWarning
          : rules.phpNotice;
      push(finding(rule, `PHP ${kind!}: ${message!}`, file, Number(lineNo)));
      continue;
    }
    // CLI upgrades print an uncaught exception twice (stdout `!!! … !!!`, stderr `Default
    // exception handler: …`); the stderr form has the debug info, so it is the one we read.
    const exception =
      /^Default exception handler:\s*(.*?)\s*(?:Debug:\s*(.*))?$/.exec(line) ??
      (stdoutOnly ? /^!!! (.*?) !!!()$/.exec(line) : null);
    const debugging = /^\+\+ (.*) \+\+$/.exec(line);
    const scss = /^Error while compiling SCSS: (.*)$/.exec(debugging?.[1] ?? '');
    if (scss) {
      // scssphp names the file and line when the error is in a file (else it was inline SCSS).
      const at = /(\/\S+\.scss) on line (\d+)/.exec(scss[1]!);
      const file = at ? pluginFile(ctx, at[1]!) : undefined;
      push(
        finding(
          rules.scssError,
          `SCSS did not compile: ${scss[1]!}`,
          file,
          file !== undefined ? Number(at![2]) : undefined,
        ),
      );
      continue;
    }
    // `++ Success (…) ++` ends a plugin; `++ 2024020100: Success (…) ++` is an upgrade savepoint.
    if (!exception && !(debugging && !/^(?:\d{10}(?:\.\d+)?: )?Success \(/.test(debugging[1]!)))
      continue;
    const message = exception
      ? [exception[1], exception[2]].filter(Boolean).join(' — ')
      : debugging![1]!;
    for (let j = i + 1; j < Math.min(lines.length, i + 60); j++) {
      const code = /^Error code: (\S+)/.exec(lines[j]!);
      if (code && exception) exceptionCode = code[1];
      const frame = MOODLE_FRAME.exec(lines[j]!);
      if (!frame) continue;
      const file = pluginFile(ctx, frame[2]!);
      if (file !== undefined) {
        push(
          finding(exception ? rules.exception : rules.debugging, message, file, Number(frame[1])),
        );
        break;
      }
    }
    if (exception) exceptionMessage = message;
  }
  if (run.exitCode !== 0 && !out.some((f) => f.severity === 'error')) {
    const summary = exceptionMessage ?? failureSummary(run.stdout, run.stderr);
    if (exceptionCode === 'ddlxmlfileerror' && pluginHas('db/install.xml')) {
      const at = /line (\d+)/.exec(summary);
      out.push(
        finding(
          INSTALL_RULES.failed,
          `Moodle could not read db/install.xml: ${summary}`,
          'db/install.xml',
          at ? Number(at[1]) : undefined,
        ),
      );
    } else {
      out.push(
        finding(INSTALL_RULES.failed, `The upgrade stopped (exit ${run.exitCode}): ${summary}`),
      );
    }
  }
  return out;
}

/** The last plugin Moodle's upgrade started on (`-->local_x`), for messages about a stopped run. */
function lastComponent(stdout: string): string | undefined {
  return [...stdout.matchAll(/^-->(\w+)\s*$/gm)].at(-1)?.[1];
}

/** The last lines a run printed, for a run that stopped without saying why. */
function lastOutput(run: { stdout: string; stderr: string }): string | undefined {
  const lines = `${run.stdout}\n${run.stderr}`
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('[moodle-plugin-check:'));
  const last = lines.slice(-2).join(' ');
  if (last === '') return undefined;
  return last.length > 300 ? `…${last.slice(-300)}` : last;
}

/** install/disk-quota and install/output-limit for what the bounds of a run did. */
export function findingsFromLimits(limits: PhpRunLimits, script: string): Finding[] {
  const out: Finding[] = [];
  if (limits.diskQuotaExceeded) {
    out.push(
      finding(
        INSTALL_RULES.diskQuota,
        `${script} tried to write more than the disk quota of ${formatBytes(limits.diskQuotaBytes)} into Moodle’s database, dataroot and temp folders (${formatBytes(limits.writtenBytes)} written); writes beyond failed with “No space left on device”.`,
      ),
    );
  }
  const dropped = limits.stdoutDroppedBytes + limits.stderrDroppedBytes;
  if (dropped > 0) {
    out.push(
      finding(
        INSTALL_RULES.outputLimit,
        `${script} printed ${formatBytes(dropped)} of output beyond the ${formatBytes(limits.maxOutputBytes)} kept per stream (its first and last ${formatBytes(limits.maxOutputBytes / 2)}); messages in the part dropped were not checked.`,
      ),
    );
  }
  return out;
}

/**
 * Every finding of one upgrade.php run, however it ended: a time-out or a crash first (with the
 * plugin it was installing and its last output), then what the bounds did, then what PHP and
 * Moodle printed (also from a run that was stopped: a warning before the end is still a finding).
 */
export function findingsFromOutcome(
  run: UpgradeOutcome,
  ctx: OutputContext,
  pluginHas: (rel: string) => boolean,
  script = 'admin/cli/upgrade.php',
): Finding[] {
  const out: Finding[] = [];
  if (run.ended !== 'exited') {
    const component = lastComponent(run.stdout);
    const during = component ? ` while installing or upgrading ${component}` : '';
    const last = lastOutput(run);
    const lastSaid = last ? ` Its last output: ${last}` : '';
    if (run.ended === 'timeout') {
      out.push({
        ...finding(
          INSTALL_RULES.timeout,
          `${script} did not finish within ${Math.round(run.timeoutMs / 1000)} s and was stopped${during}.`,
        ),
        hint: `Look for an endless loop in db/install.php or db/upgrade.php, or raise ${input('timeout')}.`,
      });
    } else {
      const rule =
        run.crash === 'out-of-memory' ? INSTALL_RULES.outOfMemory : INSTALL_RULES.crashed;
      out.push(
        finding(
          rule,
          `PHP crashed${during}: ${describeCrash(run.crash)} (${run.detail}), and ${script} was stopped.${lastSaid}`,
        ),
      );
    }
  }
  out.push(...findingsFromLimits(run, script));
  const exitCode = run.ended === 'exited' ? run.exitCode : 0; // a stopped run has its own finding
  out.push(
    ...findingsFromUpgrade({ exitCode, stdout: run.stdout, stderr: run.stderr }, ctx, pluginHas),
  );
  return out;
}
