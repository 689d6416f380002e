import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import picomatch from 'picomatch';
import { parseDocument } from 'yaml';
import { UserError } from '../core/errors.js';
import { isDynamicRuleId } from '../core/rules.js';
import { readUserFile } from '../core/host-paths.js';

export const CONFIG_FILE = '.moodle-plugin-check.yml';

/** `.moodle-plugin-check.yml` in the plugin repository, validated. */
export interface PluginConfig {
  /** Rule ids (`files/readme`) or whole families (`files/*`) not to report. */
  disable: readonly string[];
  /** Globs, relative to the plugin root, of files no rule reports on. */
  ignore: readonly string[];
  /** The coding-style standard (cs/*): moodle (the default) or moodle-extra. */
  csStandard?: 'moodle' | 'moodle-extra';
  /** Default for --fail-on when the command line does not set it. */
  failOn?: 'error' | 'warning' | 'never';
}

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    disable: {
      type: 'array',
      items: { type: 'string', pattern: '^([a-z0-9-]+/(\\*|[a-z0-9-]+)|cs/[A-Za-z0-9_.]+)$' },
    },
    'cs-standard': { enum: ['moodle', 'moodle-extra'] },
    ignore: { type: 'array', items: { type: 'string', minLength: 1 } },
    'fail-on': { enum: ['error', 'warning', 'never'] },
  },
} as const;

// Compiled on first use: a plugin without a config file never pays for it (~30 ms at start-up).
let compiled: ValidateFunction | undefined;
const validator = (): ValidateFunction =>
  (compiled ??= new Ajv({ allErrors: true }).compile(SCHEMA));

/** A config file is a few lines; anything larger is not one. */
const MAX_CONFIG_BYTES = 256 * 1024;

export const EMPTY_CONFIG: PluginConfig = Object.freeze({ disable: [], ignore: [] });

export function loadPluginConfig(
  pluginRoot: string,
  knownRuleIds: ReadonlySet<string>,
): PluginConfig {
  const file = path.join(pluginRoot, CONFIG_FILE);
  let text: string;
  try {
    text = readUserFile(file, { shown: CONFIG_FILE, maxBytes: MAX_CONFIG_BYTES }).toString('utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_CONFIG;
    if (e instanceof UserError) throw e;
    throw new UserError(
      `${CONFIG_FILE}: cannot read it (${(e as NodeJS.ErrnoException).code ?? 'error'}).`,
    );
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    const line = err.linePos?.[0].line ?? 1;
    throw new UserError(
      `${CONFIG_FILE}:${line}: not valid YAML: ${err.message.split('\n')[0] ?? ''}`,
    );
  }
  const data: unknown = doc.toJS() ?? {};
  const validate = validator();
  if (!validate(data)) {
    const e = validate.errors?.[0];
    const where = e?.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '';
    if (e?.keyword === 'additionalProperties') {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      throw new UserError(
        `${CONFIG_FILE}: unknown key '${key}'.`,
        'Allowed keys: disable (rule ids or family/*), ignore (globs), fail-on (error|warning|never), cs-standard (moodle or moodle-extra).',
      );
    }
    if (e?.keyword === 'pattern') {
      throw new UserError(
        `${CONFIG_FILE}: ${where} is not a rule id.`,
        "Write a rule id such as 'files/readme', or a family such as 'files/*'.",
      );
    }
    throw new UserError(`${CONFIG_FILE}: ${where || 'the file'} ${e?.message ?? 'is invalid'}.`);
  }
  const obj = data as {
    disable?: string[];
    ignore?: string[];
    'fail-on'?: PluginConfig['failOn'];
    'cs-standard'?: PluginConfig['csStandard'];
  };
  const families = new Set([...knownRuleIds].map((id) => id.split('/')[0]));
  for (const id of obj.disable ?? []) {
    const [family, name] = id.split('/');
    const known = name === '*' ? families.has(family) : knownRuleIds.has(id) || isDynamicRuleId(id);
    if (!known) {
      throw new UserError(
        `${CONFIG_FILE}: disable lists '${id}', which is not a rule of moodle-plugin-check.`,
        'See docs/rules.md for the rule ids.',
      );
    }
  }
  return Object.freeze({
    disable: Object.freeze([...(obj.disable ?? [])]),
    ignore: Object.freeze([...(obj.ignore ?? [])]),
    ...(obj['fail-on'] ? { failOn: obj['fail-on'] } : {}),
    ...(obj['cs-standard'] ? { csStandard: obj['cs-standard'] } : {}),
  });
}

export function ruleFilter(config: PluginConfig): (ruleId: string) => boolean {
  const off = new Set(config.disable);
  return (id) => !off.has(id) && !off.has(`${id.split('/')[0] ?? ''}/*`);
}

export function pathFilter(config: PluginConfig): (file: string) => boolean {
  if (config.ignore.length === 0) return () => false;
  return picomatch([...config.ignore], { dot: true });
}
