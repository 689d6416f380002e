// `blueprint validate|preview-url` (and `blueprint run`, registered by its own function).
// Each subcommand registers in its own function so they can be added independently.
import { gitContext } from '../blueprint/context.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { EXIT, UserError } from '../core/errors.js';
import { loadBlueprint } from '../blueprint/parse.js';
import { previewLink, DEFAULT_PLAYGROUND_HOST } from '../blueprint/preview.js';
import { Plugin } from '../plugin/plugin.js';
import { addRunCommand } from './blueprint-run-command.js';
import type { BlueprintCliIo } from './options.js';

/** Creates the `blueprint` command group and registers its subcommands. */
export function addBlueprintCommands(program: Command, io: BlueprintCliIo): Command {
  const group = program
    .command('blueprint')
    .description('Moodle Playground blueprints: validate, preview links');
  addValidateCommand(group, io);
  addPreviewUrlCommand(group, io);
  addRunCommand(group, io);
  return group;
}

export function addValidateCommand(group: Command, io: BlueprintCliIo): void {
  group
    .command('validate')
    .description('check a blueprint against the schema, its constants and its @resources')
    .argument('<blueprint>', 'a file, inline JSON, base64/base64url JSON, or a data: URL')
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(['text', 'json'])
        .default('text'),
    )
    .action(async (input: string, opts: { format: 'text' | 'json' }) => {
      // {{REPO}} and the like are the repository's context: sample values where git has none.
      const loaded = await loadBlueprint(input, {
        context: {
          REPO: 'owner/repository',
          OWNER: 'owner',
          REF: '0000000000000000000000000000000000000000',
          BRANCH: 'main',
          ...gitContext(process.cwd()),
        },
      });
      const steps = loaded.blueprint.steps.map((s) => s.step);
      if (opts.format === 'json')
        io.stdout(`${JSON.stringify({ valid: true, source: loaded.source, steps }, null, 2)}\n`);
      else
        io.stdout(
          `${loaded.source}: valid blueprint, ${steps.length} step${steps.length === 1 ? '' : 's'}${steps.length ? `: ${steps.join(', ')}` : ''}.\n`,
        );
    });
}

/** The folder holding `.git`, walking up from `dir`. */
function gitRoot(dir: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (existsSync(path.join(d, '.git'))) return d;
    if (path.dirname(d) === d) return undefined;
  }
}

interface PreviewCliOptions {
  repository?: string;
  ref?: string;
  plugin?: string;
  component?: string;
  host?: string;
  moodle?: string;
  php?: string;
  blueprintPath?: string;
  maxLength: string;
  format: 'text' | 'json';
}

export function addPreviewUrlCommand(group: Command, io: BlueprintCliIo): void {
  group
    .command('preview-url')
    .description('print a Moodle Playground link that installs the plugin at a commit')
    .option('--repository <owner/name>', 'GitHub repository of the pull request head (the fork)')
    .option('--ref <sha>', 'head commit sha to pin the plugin archive to')
    .option('--plugin <dir>', 'plugin folder (its component is read from version.php)')
    .option('--component <type_name>', 'plugin component, instead of --plugin')
    .option('--host <url>', `Playground URL (default ${DEFAULT_PLAYGROUND_HOST})`)
    .option(
      '--moodle <version>',
      'Moodle to preview on, e.g. 4.5 (else the nearest the Playground ships and the plugin supports)',
    )
    .option(
      '--php <version>',
      'PHP to preview on, e.g. 8.3 (if the Playground has it for that Moodle)',
    )
    .option(
      '--blueprint-path <path>',
      'path in the repository of a blueprint to link with ?blueprint-url= when the link is too long',
    )
    .option('--max-length <n>', 'longest URL to produce', '8000')
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(['text', 'json'])
        .default('text'),
    )
    .action((opts: PreviewCliOptions) => {
      if (!opts.repository) throw new UserError('preview-url needs --repository owner/name.');
      if (!opts.ref) throw new UserError('preview-url needs --ref <commit sha>.');
      const maxUrlLength = Number(opts.maxLength);
      if (!Number.isInteger(maxUrlLength) || maxUrlLength < 100)
        throw new UserError(`--max-length ${opts.maxLength} is not a length (an integer >= 100).`);
      let component = opts.component;
      let pluginDir = '';
      let plugin: Plugin | undefined;
      if (opts.plugin) {
        plugin = Plugin.load(opts.plugin);
        component ??= plugin.component;
        if (!component)
          throw new UserError(
            `${opts.plugin}: version.php sets no $plugin->component.`,
            'Set it, or pass --component type_name.',
          );
        const root = gitRoot(opts.plugin);
        if (root)
          pluginDir = path.relative(root, path.resolve(opts.plugin)).split(path.sep).join('/');
      }
      if (!component)
        throw new UserError('preview-url needs --plugin <dir> or --component <type_name>.');
      const link = previewLink({
        repository: opts.repository,
        ref: opts.ref,
        component,
        pluginDir,
        maxUrlLength,
        ...(plugin
          ? {
              supported: plugin.targetBranches().map((b) => b.branch),
              hasFile: (rel: string) => plugin.has(rel),
            }
          : {}),
        ...(opts.host ? { host: opts.host } : {}),
        ...(opts.moodle ? { moodle: opts.moodle } : {}),
        ...(opts.php ? { php: opts.php } : {}),
        ...(opts.blueprintPath ? { repoBlueprint: opts.blueprintPath } : {}),
      });
      if (opts.format === 'json') io.stdout(`${JSON.stringify(link, null, 2)}\n`);
      else if (link.url) io.stdout(`${link.url}\n`);
      if (link.fallbackReason && opts.format === 'text')
        io.stderr(`note: ${link.url ? '' : 'no preview link: '}${link.fallbackReason}\n`);
      if (link.url && link.runs && link.differs && opts.format === 'text')
        io.stderr(
          `note: the preview runs Moodle ${link.runs.moodle} on PHP ${link.runs.php} (${link.differs})\n`,
        );
      // No link is not bad input, but the caller asked for one and did not get it.
      if (!link.url) io.setExitCode(EXIT.findings);
    });
}
