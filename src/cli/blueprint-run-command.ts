// `blueprint run FILE [--plugin DIR] [--moodle X] [--php Y] [--format text|json]`: provisions a
// headless Moodle, installs the plugin when given, runs the blueprint's steps for real and
// prints each step's result. Exit 1 when a step failed.
import { gitContext } from '../blueprint/context.js';
import { Option, type Command } from 'commander';
import { EXIT } from '../core/errors.js';
import { loadBlueprint } from '../blueprint/parse.js';
import { runBlueprintOnSite, type RunOnSiteResult } from '../pipeline/blueprint-run.js';
import type { StepResult } from '../blueprint/types.js';
import { Plugin } from '../plugin/plugin.js';
import type { DbKind } from '../moodle/site/site.js';
import { dbOption, parseTimeoutSeconds, type BlueprintCliIo } from './options.js';

interface RunCliOptions {
  plugin?: string;
  moodle?: string;
  php?: string;
  db?: DbKind;
  format: 'text' | 'json';
  timeout: string;
  offline?: boolean;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export function stepLine(s: StepResult): string {
  const mark = s.status === 'ok' ? '✓' : s.status === 'failed' ? '✗' : '-';
  const text = s.status === 'failed' ? s.error : s.status === 'skipped' ? 'skipped' : s.output;
  const first = (text ?? '').split('\n')[0]?.slice(0, 160) ?? '';
  return `${mark} ${String(s.index).padStart(2)} ${s.step.padEnd(19)} ${seconds(s.durationMs).padStart(7)}  ${first}`;
}

function textReport(source: string, r: RunOnSiteResult): string {
  const lines = [`${source} on Moodle ${r.moodle.release} (PHP ${r.moodle.php})`];
  for (const p of r.phases.filter((x) => x.name !== 'blueprint'))
    lines.push(
      `  ${p.name}: ${p.status} in ${seconds(p.durationMs)}${p.detail ? ` — ${p.detail}` : ''}`,
    );
  lines.push(...r.steps.map(stepLine));
  const failed = r.steps.find((s) => s.status === 'failed');
  const total = r.phases.find((p) => p.name === 'blueprint')?.durationMs ?? 0;
  lines.push(
    failed
      ? `Blueprint failed at step ${failed.index} (${failed.step}): ${failed.error ?? ''}`
      : `Blueprint ran: ${r.steps.length} steps ok in ${seconds(total)}${r.landingPage ? `; landing page ${r.landingPage}` : ''}`,
  );
  return `${lines.join('\n')}\n`;
}

export function addRunCommand(group: Command, io: BlueprintCliIo): void {
  group
    .command('run')
    .description('run a blueprint on a headless Moodle and report each step')
    .argument('<blueprint>', 'a file, inline JSON, base64/base64url JSON, or a data: URL')
    .option('--plugin <dir>', 'install this plugin (as `check` does) before the blueprint runs')
    .option(
      '--moodle <branch|version|dir>',
      'Moodle to run on (default: preferredVersions.moodle, else the newest)',
    )
    .option(
      '--php <version>',
      'PHP version (default: preferredVersions.php, else the newest the Moodle supports)',
    )
    .addOption(dbOption())
    .option('--timeout <seconds>', 'stop each PHP run after this long', '900')
    .option('--offline', 'never download: use Moodle trees and runtimes already in the cache')
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(['text', 'json'])
        .default('text'),
    )
    .action(async (input: string, opts: RunCliOptions) => {
      const timeout = parseTimeoutSeconds('--timeout', opts.timeout);
      const loaded = await loadBlueprint(input, {
        context: gitContext(opts.plugin ?? process.cwd()),
      });
      const result = await runBlueprintOnSite(loaded, {
        ...(opts.plugin !== undefined ? { plugin: Plugin.load(opts.plugin) } : {}),
        ...(opts.moodle !== undefined ? { moodle: opts.moodle } : {}),
        ...(opts.php !== undefined ? { php: opts.php } : {}),
        ...(opts.db !== undefined ? { db: opts.db } : {}),
        ...(opts.offline ? { offline: true } : {}),
        timeoutMs: timeout * 1000,
        log: (line) => {
          io.stderr(`${line}\n`);
        },
      });
      if (opts.format === 'json')
        io.stdout(
          `${JSON.stringify(
            {
              source: loaded.source,
              moodle: result.moodle,
              phases: result.phases,
              landingPage: result.landingPage ?? null,
              steps: result.steps,
            },
            null,
            2,
          )}\n`,
        );
      else io.stdout(textReport(loaded.source, result));
      if (result.failed.length > 0) io.setExitCode(EXIT.findings);
    });
}
