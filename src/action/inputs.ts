// Every input of action.yml and publish/action.yml, parsed once into a frozen, validated config.
// Names live here and nowhere else; action.yml must list the same ones (a test compares them).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { isUrlSpec } from '../moodle/source/plugin-dependencies.js';
import { RULE_IDS } from '../pipeline/rules.js';
import { UserError } from '../core/errors.js';
import type { InputSpelling } from '../core/inputs.js';
import { PathEscapeError, realInside } from '../core/host-paths.js';
import { timeoutSeconds, TIMEOUT_RANGE } from '../core/timeout.js';
import { PHP_VERSIONS } from '../php/runtime-package.js';
import { DB_KINDS, type DbKind } from '../moodle/site/site.js';
import { DEFAULT_DB } from '../pipeline/moodle.js';
import type { FailOn } from '../report/model.js';
import { parsePhpunitArgs } from '../phpunit/args.js';

export const INPUT = {
  pluginPath: 'plugin-path',
  moodle: 'moodle',
  php: 'php',
  db: 'db',
  blueprint: 'blueprint',
  blueprintFile: 'blueprint-file',
  checks: 'checks',
  failOn: 'fail-on',
  upgradeFrom: 'upgrade-from',
  comment: 'comment',
  checkRun: 'check-run',
  extraPlugins: 'extra-plugins',
  playgroundHost: 'playground-host',
  githubToken: 'github-token',
  cache: 'cache',
  timeout: 'timeout',
  phpunit: 'phpunit',
  phpunitArgs: 'phpunit-args',
  smoke: 'smoke',
  codingStyle: 'coding-style',
} as const;

export const OUTPUT = {
  resultJson: 'result-json',
  errors: 'errors',
  warnings: 'warnings',
  previewUrl: 'preview-url',
  matrix: 'matrix',
  junit: 'junit',
} as const;

export const PUBLISH_INPUT = {
  githubToken: 'github-token',
  runId: 'run-id',
  playgroundHost: 'playground-host',
} as const;

/** `moodle: none` — static checks only, like the CLI's --no-moodle. */
export const NO_MOODLE = 'none';

export type { FailOn };

export interface ActionConfig {
  /** As given (relative to the workspace), posix, '' for the repository root. */
  pluginPath: string;
  /** Absolute folder of the plugin. */
  pluginDir: string;
  /** Empty: one run on the default (newest supported) Moodle. */
  moodles: readonly string[];
  /** `moodle: none`. */
  staticOnly: boolean;
  php?: string;
  /** `db`; undefined: the default database (DEFAULT_DB). */
  db?: DbKind;
  /** A file path, inline JSON, base64 or data: URL, passed to the pipeline as-is. */
  blueprint?: string;
  /** Rule ids / `family/*` to switch off on top of the plugin's .moodle-plugin-check.yml. */
  disable: readonly string[];
  /** Undefined: the plugin's own `fail-on`, else `error`. */
  failOn?: FailOn;
  /** Undefined: the PR base commit when the event has one. `none` turns it off. */
  upgradeFrom?: string;
  upgradeFromDisabled: boolean;
  /** `phpunit`: auto (default), true, false. */
  phpunit: 'auto' | 'on' | 'off';
  /** `phpunit-args`, checked. */
  phpunitArgs: readonly string[];
  /** `smoke`: open the plugin's pages after install (default true). */
  smoke: boolean;
  /** `coding-style`: moodle (default), moodle-extra, or false. */
  codingStyle: { enabled: boolean; standard?: 'moodle' | 'moodle-extra' };
  comment: boolean;
  /** `extra-plugins`: one per line, folders and ZIPs (relative to the workspace) or git URLs. */
  extraPlugins: readonly string[];
  /** `check-run`: one check run per Moodle version with every annotation (default true). */
  checkRun: boolean;
  playgroundHost?: string;
  token: string;
  cache: boolean;
  /** `timeout`, in ms; undefined: the pipeline's default. */
  timeoutMs?: number;
}

export type InputReader = (name: string) => string;

const LIST_SPLIT = /[\s,]+/;

function list(value: string): string[] {
  return value
    .split(LIST_SPLIT)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function parseBoolean(name: string, raw: string, fallback: boolean): boolean {
  const v = raw.trim().toLowerCase();
  if (v === '') return fallback;
  if (['true', 'on', 'yes', '1'].includes(v)) return true;
  if (['false', 'off', 'no', '0'].includes(v)) return false;
  throw new UserError(
    `Input '${name}' is '${raw}', which is not on or off.`,
    `Set ${name}: true or ${name}: false.`,
  );
}

/** `coding-style`: a standard (moodle, moodle-extra), or on/off; empty: on, the config's standard. */
export function parseCodingStyle(raw: string): {
  enabled: boolean;
  standard?: 'moodle' | 'moodle-extra';
} {
  const v = raw.trim().toLowerCase();
  if (v === 'moodle' || v === 'moodle-extra') return { enabled: true, standard: v };
  try {
    return { enabled: parseBoolean(INPUT.codingStyle, raw, true) };
  } catch {
    throw new UserError(
      `Input '${INPUT.codingStyle}' is '${raw}', which is not a standard nor on or off.`,
      `Set ${INPUT.codingStyle}: moodle, moodle-extra, or false.`,
    );
  }
}

/** The longest timeout a Node timer holds (~24.8 days); setTimeout fires at once for longer. */
/** A timeout input in seconds, in ms; empty: undefined (the default applies). */
export function parseTimeout(name: string, raw: string): number | undefined {
  if (raw.trim() === '') return undefined;
  const seconds = timeoutSeconds(raw);
  if (seconds === undefined)
    throw new UserError(
      `Input '${name}' is '${raw}', which is not a number of seconds from ${TIMEOUT_RANGE}.`,
      `Set ${name}: 900 (the default), or leave it empty.`,
    );
  return seconds * 1000;
}

const MOODLE_SHAPE = /^\d+\.\d+(\.\d+)?$/;

function parseMoodle(raw: string, workspace: string): { moodles: string[]; staticOnly: boolean } {
  const entries = list(raw);
  if (entries.length === 1 && entries[0]!.toLowerCase() === NO_MOODLE)
    return { moodles: [], staticOnly: true };
  for (const m of entries) {
    if (m.toLowerCase() === NO_MOODLE)
      throw new UserError(
        `Input 'moodle' mixes '${NO_MOODLE}' with Moodle versions.`,
        `Use moodle: ${NO_MOODLE} alone for static checks only, or a list such as 4.5, 5.0.`,
      );
    const isPath = /[/\\]/.test(m) || m.startsWith('.');
    if (isPath) {
      if (!existsSync(path.resolve(workspace, m)))
        throw new UserError(
          `Input 'moodle' names the folder '${m}', which does not exist.`,
          'Check out the Moodle tree first, or use a branch such as 4.5.',
        );
    } else if (!MOODLE_SHAPE.test(m)) {
      throw new UserError(
        `Input 'moodle' has '${m}', which is not a Moodle branch, release or folder.`,
        `Use a branch (4.5, 5.0), a release (4.5.7), a folder (./moodle), a list of them, or ${NO_MOODLE}.`,
      );
    }
  }
  const unique = [...new Set(entries)];
  return { moodles: unique, staticOnly: false };
}

/** Families a `checks` list can name: every rule's family except the tool's own crash reports. */
export function ruleFamilies(ids: ReadonlySet<string> = RULE_IDS): string[] {
  return [...new Set([...ids].map((id) => id.split('/')[0]!))].filter((f) => f !== 'tool').sort();
}

/**
 * `checks`: `-family`, `-family/*` or `-family/rule` switch off; plain `family` entries mean
 * "only these families". Mapped onto the .moodle-plugin-check.yml `disable` mechanism.
 */
export function parseChecks(raw: string, ids: ReadonlySet<string> = RULE_IDS): string[] {
  const families = ruleFamilies(ids);
  const disable: string[] = [];
  const only: string[] = [];
  for (const entry of list(raw)) {
    if (entry === 'all') continue;
    const off = entry.startsWith('-') || entry.startsWith('!');
    const name = off ? entry.slice(1) : entry;
    const [family = '', rule] = name.split('/');
    const bad = (why: string): UserError =>
      new UserError(
        `Input 'checks' has '${entry}': ${why}.`,
        `Write families to run (e.g. version, db) or ones to skip with a minus (-files, -lang/duplicate-key). Families: ${families.join(', ')}.`,
      );
    if (!families.includes(family)) throw bad(`'${family}' is not a check family`);
    if (rule !== undefined && rule !== '*') {
      if (!off) throw bad('only whole families can be selected; a single rule can only be skipped');
      if (!ids.has(name)) throw bad(`'${name}' is not a rule of moodle-plugin-check`);
      disable.push(name);
    } else if (off) disable.push(`${family}/*`);
    else only.push(family);
  }
  if (only.length > 0) for (const f of families) if (!only.includes(f)) disable.push(`${f}/*`);
  return [...new Set(disable)];
}

function parseFailOn(raw: string): FailOn | undefined {
  const v = raw.trim();
  if (v === '') return undefined;
  if (v === 'error' || v === 'warning' || v === 'never') return v;
  throw new UserError(
    `Input 'fail-on' is '${raw}'.`,
    'Use fail-on: error (default), warning, or never.',
  );
}

export function parseHost(name: string, raw: string): string | undefined {
  const v = raw.trim();
  if (v === '') return undefined;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new UserError(
      `Input '${name}' is '${raw}', which is not a URL.`,
      'Use an https:// address such as https://ateeducacion.github.io/moodle-playground/.',
    );
  }
  const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1';
  if (url.protocol !== 'https:' && !(local && url.protocol === 'http:'))
    throw new UserError(
      `Input '${name}' must be an https:// URL, not '${raw}'.`,
      'Reviewers open this link in a browser; use the https address of the Playground.',
    );
  return url.toString();
}

/**
 * A path input must stay inside the checkout, also through symbolic links: the repository's
 * content comes from the pull request, and a link could lead the run to the runner's files.
 */
function inWorkspace(name: string, value: string, workspace: string): void {
  try {
    realInside(workspace, value, `Input '${name}' ('${value}')`, 'the repository');
  } catch (e) {
    if (e instanceof PathEscapeError)
      throw new UserError(
        `Input '${name}' is '${value}', which leads outside the repository (through '..', an absolute path or a symbolic link).`,
        'Give a path inside the repository, to a real file or folder rather than a link.',
      );
    throw e;
  }
}

function parsePluginPath(raw: string, workspace: string): { rel: string; dir: string } {
  const v = raw.trim().replace(/\\/g, '/');
  if (path.isAbsolute(v) || v.split('/').includes('..'))
    throw new UserError(
      `Input 'plugin-path' is '${raw}': it must be a folder inside the repository.`,
      'Use a relative path such as . or mod/example.',
    );
  const rel = path.posix.normalize(v === '' ? '.' : v).replace(/\/$/, '');
  const dir = path.resolve(workspace, rel);
  inWorkspace(INPUT.pluginPath, rel, workspace);
  if (!existsSync(path.join(dir, 'version.php')))
    throw new UserError(
      `Input 'plugin-path' is '${rel}', and ${path.posix.join(rel, 'version.php')} does not exist.`,
      'Point plugin-path at the folder with the plugin’s version.php, and run actions/checkout first.',
    );
  return { rel: rel === '.' ? '' : rel, dir };
}

/** A folder or zip named relative to the repository root; anything else is a git ref, as given. */
function upgradePath(value: string, workspace: string): string {
  const abs = path.resolve(workspace, value);
  if (!existsSync(abs)) return value;
  inWorkspace(INPUT.upgradeFrom, value, workspace);
  return abs;
}

/** Reads and validates every input at once; the first bad one is a UserError naming it. */
export function parseInputs(get: InputReader, workspace: string): Readonly<ActionConfig> {
  const { rel, dir } = parsePluginPath(get(INPUT.pluginPath), workspace);
  const { moodles, staticOnly } = parseMoodle(get(INPUT.moodle), workspace);

  const php = get(INPUT.php).trim();
  if (php !== '' && !(PHP_VERSIONS as readonly string[]).includes(php))
    throw new UserError(
      `Input 'php' is '${php}', which this action cannot run.`,
      `Use one of ${PHP_VERSIONS.join(', ')}, or leave it empty for the newest the Moodle branch supports.`,
    );

  const db = get(INPUT.db).trim().toLowerCase();
  if (db !== '' && !(DB_KINDS as readonly string[]).includes(db))
    throw new UserError(
      `Input 'db' is '${db}', which is not a database this action runs.`,
      `Use ${DB_KINDS.join(' or ')}, or leave it empty for the default (${DEFAULT_DB}).`,
    );

  const inline = get(INPUT.blueprint).trim();
  const file = get(INPUT.blueprintFile).trim();
  if (inline !== '' && file !== '')
    throw new UserError(
      "Inputs 'blueprint' and 'blueprint-file' are both set.",
      'Use blueprint for inline JSON/base64/data: URLs, or blueprint-file for a file — not both.',
    );
  let blueprint: string | undefined = inline || undefined;
  if (file !== '') {
    blueprint = path.resolve(workspace, file);
    if (!existsSync(blueprint))
      throw new UserError(
        `Input 'blueprint-file' is '${file}', which does not exist.`,
        'Give the path from the repository root, e.g. .github/blueprint.json.',
      );
    inWorkspace(INPUT.blueprintFile, file, workspace);
  }

  const upgrade = get(INPUT.upgradeFrom).trim();
  const upgradeFromDisabled = upgrade.toLowerCase() === 'none';
  const token = get(INPUT.githubToken).trim();
  const comment = parseBoolean(INPUT.comment, get(INPUT.comment), true);

  const phpunitInput = get(INPUT.phpunit).trim().toLowerCase();
  const phpunit =
    phpunitInput === '' || phpunitInput === 'auto'
      ? 'auto'
      : parseBoolean(INPUT.phpunit, phpunitInput, false)
        ? 'on'
        : 'off';
  let phpunitArgs: string[];
  try {
    phpunitArgs = parsePhpunitArgs(get(INPUT.phpunitArgs));
  } catch (e) {
    throw e instanceof UserError ? e.spelled(ACTION_SPELLING) : e;
  }

  const failOn = parseFailOn(get(INPUT.failOn));
  const timeoutMs = parseTimeout(INPUT.timeout, get(INPUT.timeout));
  const playgroundHost = parseHost(INPUT.playgroundHost, get(INPUT.playgroundHost));

  return Object.freeze({
    pluginPath: rel,
    pluginDir: dir,
    moodles: Object.freeze(moodles),
    staticOnly,
    ...(php !== '' ? { php } : {}),
    ...(db !== '' ? { db: db as DbKind } : {}),
    ...(blueprint !== undefined ? { blueprint } : {}),
    disable: Object.freeze(parseChecks(get(INPUT.checks))),
    ...(failOn ? { failOn } : {}),
    ...(upgrade !== '' && !upgradeFromDisabled
      ? { upgradeFrom: upgradePath(upgrade, workspace) }
      : {}),
    upgradeFromDisabled,
    phpunit,
    phpunitArgs: Object.freeze(phpunitArgs),
    smoke: parseBoolean(INPUT.smoke, get(INPUT.smoke), true),
    codingStyle: parseCodingStyle(get(INPUT.codingStyle)),
    comment,
    checkRun: parseBoolean(INPUT.checkRun, get(INPUT.checkRun), true),
    extraPlugins: Object.freeze(
      get(INPUT.extraPlugins)
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((l) => (isUrlSpec(l) ? l : path.resolve(workspace, l))),
    ),
    ...(playgroundHost ? { playgroundHost } : {}),
    token,
    cache: parseBoolean(INPUT.cache, get(INPUT.cache), true),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
}

/**
 * How the Action names an input in a message (core/inputs.ts): `moodle: 4.5`, `moodle: none` for
 * a static run; what only the command line has (an offline run) is said in words.
 */
export const ACTION_SPELLING: InputSpelling = (name, value) => {
  switch (name) {
    case 'no-moodle':
      return '`moodle: none`';
    case 'extra-plugin':
      return value !== undefined ? `\`extra-plugins: ${value}\`` : 'the `extra-plugins` input';
    case 'offline':
      return 'the command line’s `--offline` (the Action reads Moodle from its cache)';
    default:
      return value !== undefined ? `\`${name}: ${value}\`` : `the \`${name}\` input`;
  }
};
