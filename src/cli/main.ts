import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import pc from 'picocolors';
import { ALL_RULES, rulesFor } from '../pipeline/rules.js';
import { EXIT, UserError } from '../core/errors.js';
import { CLI_SPELLING } from '../core/inputs.js';
import { TOOL } from '../core/version.js';
import { dbOption, parseTimeoutSeconds } from './options.js';
import { terminalProgress } from './progress.js';
import { inertJson, neutralise } from '../core/log-safety.js';
import { runCheck } from '../pipeline/pipeline.js';
import type { DbKind } from '../moodle/site/site.js';
import { addMoodleCommands } from './moodle-commands.js';
import { addBlueprintCommands } from './blueprint-commands.js';
import { addCsCommands, addPhpunitCommands } from './phpunit-commands.js';
import { addServeCommand } from './serve-command.js';
import { parsePhpunitArgs } from '../phpunit/args.js';
import { failsOn, type CheckReport, type FailOn } from '../report/model.js';
import { formatGithub } from '../report/github.js';
import { formatJson } from '../report/json.js';
import { rulesDocs } from '../report/rules-doc.js';
import { formatSarif } from '../report/sarif.js';
import { formatText } from '../report/text.js';

export type Format = 'text' | 'json' | 'github' | 'sarif';

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  color: boolean;
  /** stderr is a terminal: live progress redraws one line (default: plain lines). */
  stderrTty?: boolean;
  columns?: number;
}

const defaultIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  color: pc.isColorSupported && process.stdout.isTTY,
  stderrTty: process.stderr.isTTY,
  ...(process.stderr.columns ? { columns: process.stderr.columns } : {}),
};

function guardedIo(io: Io): Io {
  const keepSgr = io.color;
  return {
    ...io,
    stdout: (s) => {
      io.stdout(neutralise(s, { keepSgr }));
    },
    stderr: (s) => {
      io.stderr(neutralise(s, { keepSgr }));
    },
  };
}

export function exitCodeFor(report: CheckReport, failOn: FailOn): number {
  return failsOn(report.summary, failOn) ? EXIT.findings : EXIT.ok;
}

export function render(report: CheckReport, format: Format, color: boolean): string {
  switch (format) {
    case 'json':
      return inertJson(formatJson(report));
    case 'github':
      return formatGithub(report);
    case 'sarif':
      return inertJson(formatSarif(report, rulesFor(report.findings)));
    case 'text':
      return formatText(report, { color });
  }
}

/** Runs the CLI and resolves to the process exit code; never calls process.exit itself. */
export async function main(argv: readonly string[], rawIo: Io = defaultIo): Promise<number> {
  // Reports, progress and errors carry text from the plugin (file names, PHP and Moodle output);
  // a CI job log would read workflow commands in it. Only --format github's own annotations,
  // already escaped, go out raw.
  const io = guardedIo(rawIo);
  let code: number = EXIT.ok;
  const program = new Command('moodle-plugin-check')
    .description(
      'Checks a Moodle plugin: metadata lint now; a real headless Moodle install is coming.',
    )
    .version(TOOL.version)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  program
    .command('check')
    .description('check the plugin in a folder (default: the current folder)')
    .argument('[plugin-dir]', 'the folder with the plugin’s version.php', '.')
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(['text', 'json', 'github', 'sarif'])
        .default('text'),
    )
    .option(
      '-o, --output <file>',
      'write the report in --format to this file; a text summary still goes to stdout',
    )
    .addOption(
      new Option('--fail-on <level>', 'exit 1 when findings at or above this level exist').choices([
        'error',
        'warning',
        'never',
      ]),
    )
    .option(
      '--moodle <branch|version|dir>',
      'Moodle to install the plugin on: 4.1, 4.5, 5.0, 5.1, 5.2, a release such as 4.5.7, or a folder (default: the newest branch the plugin supports)',
    )
    .option('--no-moodle', 'static checks only: no Moodle is provisioned')
    .option(
      '--php <version>',
      'PHP version for the Moodle run (default: the newest the Moodle branch supports)',
    )
    .addOption(dbOption())
    .option(
      '--timeout <seconds>',
      'stop each PHP run (Moodle install, plugin upgrade) after this long',
      '900',
    )
    .option('--offline', 'never download: use Moodle trees and runtimes already in the cache')
    .option(
      '--blueprint <file|json|base64|data-url>',
      'after installing the plugin, run this Moodle Playground blueprint on the site (phase blueprint)',
    )
    .option(
      '--upgrade-from <dir|git-ref|zip>',
      'also install this old version of the plugin (a folder, a .zip, or a git ref of the checkout) and upgrade it to the new one (phase upgrade-path)',
    )
    .option(
      '--phpunit',
      'run the plugin’s PHPUnit suite (phase phpunit); by default it runs when the plugin has tests/**/*_test.php',
    )
    .option('--no-phpunit', 'do not run the plugin’s PHPUnit suite')
    .option(
      '--phpunit-args <args>',
      'PHPUnit options for the suite, e.g. "--filter test_view" or "--testsuite mod_board_testsuite"',
    )
    .option(
      '--no-smoke',
      'do not open the plugin’s pages after install (phase smoke: its settings, an instance, a block, the theme… as admin and student)',
    )
    .option(
      '--extra-plugin <dir|zip|git-url[@ref]>',
      'install this plugin before the plugin under test (repeatable); $plugin->dependencies not given here come from the Moodle Plugins directory',
      (value: string, list: string[]) => [...list, value],
      [] as string[],
    )
    .option(
      '--no-cs',
      'do not run PHP_CodeSniffer with Moodle’s standard (phase coding-style, cs/* rules; on by default, needs no Moodle)',
    )
    .option(
      '--no-prechecks',
      'do not run the rest of the prechecker’s families: phpdoc (moodlecheck), templates (mustache), javascript (ESLint) and css (stylelint)',
    )
    .addOption(
      new Option(
        '--cs-standard <standard>',
        'the coding-style standard: moodle (the Plugins directory’s) or moodle-extra; default the config’s cs-standard, else moodle',
      ).choices(['moodle', 'moodle-extra']),
    )
    .option('--junit <file>', 'write the PHPUnit results as JUnit XML to this file')
    .action(
      async (
        dir: string,
        opts: {
          phpunit?: boolean;
          phpunitArgs?: string;
          smoke: boolean;
          cs: boolean;
          prechecks: boolean;
          csStandard?: 'moodle' | 'moodle-extra';
          extraPlugin: string[];
          junit?: string;
          format: Format;
          output?: string;
          failOn?: FailOn;
          moodle?: string | boolean;
          php?: string;
          db?: DbKind;
          timeout: string;
          offline?: boolean;
          upgradeFrom?: string;
          blueprint?: string;
        },
      ) => {
        const timeout = parseTimeoutSeconds('--timeout', opts.timeout);
        const progress = terminalProgress({
          write: rawIo.stderr,
          tty: rawIo.stderrTty === true,
          color: rawIo.stderrTty === true && pc.isColorSupported,
          ...(rawIo.columns ? { columns: rawIo.columns } : {}),
        });
        const { report, config, junit } = await runCheck({
          pluginDir: dir,
          moodle: opts.moodle !== false,
          moodleOptions: {
            ...(typeof opts.moodle === 'string' ? { spec: opts.moodle } : {}),
            ...(opts.php !== undefined ? { php: opts.php } : {}),
            ...(opts.db !== undefined ? { db: opts.db } : {}),
            timeoutMs: timeout * 1000,
            ...(opts.offline ? { offline: true } : {}),
          },
          ...(opts.upgradeFrom !== undefined ? { upgradeFrom: opts.upgradeFrom } : {}),
          ...(opts.blueprint !== undefined ? { blueprint: opts.blueprint } : {}),
          phpunit: {
            mode: opts.phpunit === undefined ? 'auto' : opts.phpunit ? 'on' : 'off',
            args: parsePhpunitArgs(opts.phpunitArgs),
          },
          smoke: opts.smoke,
          prechecks: opts.prechecks,
          codingStyle: {
            enabled: opts.cs,
            ...(opts.csStandard !== undefined ? { standard: opts.csStandard } : {}),
          },
          ...(opts.extraPlugin.length ? { extraPlugins: opts.extraPlugin } : {}),
          progress,
        }).finally(() => {
          progress.stop();
        });
        const failOn = opts.failOn ?? config.failOn ?? 'error';
        const out = render(report, opts.format, opts.format === 'text' && !opts.output && io.color);
        if (opts.output) {
          mkdirSync(path.dirname(path.resolve(opts.output)), { recursive: true });
          writeFileSync(opts.output, out);
          io.stdout(formatText(report, { color: io.color }));
        } else if (opts.format === 'github') {
          rawIo.stdout(out);
        } else {
          io.stdout(out);
        }
        if (opts.junit !== undefined) {
          mkdirSync(path.dirname(path.resolve(opts.junit)), { recursive: true });
          // No suite ran: an empty report says so rather than a stale file passing for results.
          writeFileSync(
            opts.junit,
            junit ?? '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites/>\n',
          );
        }
        code = exitCodeFor(report, failOn);
      },
    );

  addMoodleCommands(program, io.stdout);
  addPhpunitCommands(program, io.stdout);
  addCsCommands(program, io.stdout);
  addServeCommand(program, io);
  addBlueprintCommands(program, { ...io, setExitCode: (c) => (code = c) });

  program
    .command('rules')
    .description('list every rule with its severity')
    .option('--docs <dir>', 'write the Markdown rule pages into this folder instead')
    .action((opts: { docs?: string }) => {
      if (opts.docs) {
        mkdirSync(opts.docs, { recursive: true });
        for (const [name, text] of rulesDocs(ALL_RULES))
          writeFileSync(path.join(opts.docs, name), text);
        return;
      }
      const width = Math.max(...ALL_RULES.map((r) => r.id.length)) + 2;
      for (const r of ALL_RULES)
        io.stdout(`${r.id.padEnd(width)}${r.severity.padEnd(9)}${r.title}\n`);
    });

  try {
    await program.parseAsync(['node', 'moodle-plugin-check', ...argv]);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return e.exitCode === 0 ? EXIT.ok : EXIT.userError;
    }
    if (e instanceof UserError) {
      const { message, hint } = e.spelled(CLI_SPELLING);
      io.stderr(`moodle-plugin-check: ${message}\n${hint ? `  ${hint}\n` : ''}`);
      return EXIT.userError;
    }
    const err = e as Error;
    io.stderr(`moodle-plugin-check: internal error: ${err.message}\n`);
    if (process.env.RUNNER_DEBUG === '1' || process.env.DEBUG) io.stderr(`${err.stack ?? ''}\n`);
    else io.stderr('  Set DEBUG=1 for the stack trace, and please report it.\n');
    return EXIT.internal;
  }
}
