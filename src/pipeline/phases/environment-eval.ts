import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { makeFinding, type RuleMeta } from '../../core/rules.js';
import type { Finding } from '../../core/finding.js';
import { branchInfo } from '../../plugin/branches.js';
import { evaluate, isPhpArray, parsePhp, assignments } from '../../plugin/php.js';
import type { Plugin } from '../../plugin/plugin.js';
import { childrenNamed } from '../../plugin/xml.js';
import { VERSION_CONSTANTS } from '../../plugin/version-file.js';
import type { MoodleTree } from '../../moodle/source/tree.js';

/** What the plugin declares it needs, judged against the Moodle and PHP of this run. */
export const ENVIRONMENT_EVAL_RULES = {
  requires: {
    id: 'environment/requires-not-met',
    severity: 'error',
    title: 'The target Moodle is older than $plugin->requires',
    why: 'Moodle refuses to install a plugin whose requires is above its own $version.',
    fix: 'Lower $plugin->requires if the plugin really works there, or do not claim this branch in $plugin->supported.',
  },
  supported: {
    id: 'environment/branch-not-supported',
    severity: 'warning',
    title: 'The target Moodle branch is outside $plugin->supported',
    why: 'Moodle installs the plugin but flags it as not supported on this branch (core_plugin_manager::check_explicitly_supported), and the Plugins directory does not offer it for this branch.',
    fix: 'Run on a supported branch (`--moodle`, the Action’s `moodle` input), or extend $plugin->supported once the plugin works there.',
  },
  incompatible: {
    id: 'environment/branch-incompatible',
    severity: 'error',
    title: 'The target Moodle branch is at or above $plugin->incompatible',
    why: 'Moodle refuses to install a plugin on a branch it declares itself incompatible with.',
    fix: 'Run on an older branch (`--moodle`, the Action’s `moodle` input), or raise $plugin->incompatible once the plugin works there.',
  },
  dependency: {
    id: 'environment/dependency-missing',
    severity: 'error',
    title: 'A dependency is missing from the target Moodle or too old',
    why: 'Moodle refuses to install a plugin whose $plugin->dependencies are not installed at the required version.',
    fix: 'Install the dependency first (for a CI run: a blueprint step), or fix the version in $plugin->dependencies.',
  },
  php: {
    id: 'environment/php-version',
    severity: 'error',
    title: 'environment.xml requires a newer PHP than the target Moodle supports',
    why: 'The plugin’s environment.xml asks for a PHP version that no site of this Moodle branch can run, so the environment check fails there.',
    fix: 'Lower the PHP requirement, or stop claiming this Moodle branch in $plugin->supported.',
  },
  notChecked: {
    id: 'environment/not-checked',
    severity: 'notice',
    title: 'A requirement in environment.xml could not be checked here',
    why: 'Custom checks, database vendors and extensions php-wasm does not ship cannot be judged inside this runtime; they are listed so nobody mistakes them for passed.',
    fix: 'Nothing to fix in the plugin; verify these on a real server if they matter.',
  },
} as const satisfies Record<string, RuleMeta>;

export interface RuntimeFacts {
  php: string;
  /** Lower-case names of the extensions loaded in the runtime. */
  extensions: ReadonlySet<string>;
}

export interface EnvironmentResult {
  findings: Finding[];
  /** What was checked and passed, for the phase detail. */
  passed: string[];
}

function finding(rule: RuleMeta, message: string, file = 'version.php', line?: number): Finding {
  return makeFinding(rule, message, { file, line });
}

/** `$plugin->version` of an installed component in the tree, if it is there. */
export function installedVersion(tree: MoodleTree, component: string): number | undefined {
  const [type, ...rest] = component.split('_');
  const name = rest.join('_');
  let types: Record<string, string>;
  try {
    types = (
      JSON.parse(readFileSync(tree.componentsJson, 'utf8')) as {
        plugintypes: Record<string, string>;
      }
    ).plugintypes;
  } catch {
    return undefined;
  }
  const rel = types[type ?? ''];
  if (!rel || !name) return undefined;
  const file = path.join(tree.root, rel, name, 'version.php');
  if (!existsSync(file)) return undefined;
  const ast = parsePhp(readFileSync(file, 'utf8'), file).ast;
  const v = ast
    ? assignments(ast).find(
        (a) => (a.variable === 'plugin' || a.variable === 'module') && a.target === 'version',
      )
    : undefined;
  const value = v ? evaluate(v.value, VERSION_CONSTANTS) : undefined;
  return typeof value === 'number' ? value : 0;
}

export function evaluateEnvironment(
  plugin: Plugin,
  tree: MoodleTree,
  runtime: RuntimeFacts,
  /** Plugins installed before this one (phase dependencies), by component: their versions. */
  installedBefore: ReadonlyMap<string, number> = new Map(),
): EnvironmentResult {
  const findings: Finding[] = [];
  const passed: string[] = [];
  const f = plugin.version.fields;
  const branch = Number(tree.branch);
  const line = (field: keyof typeof f): number | undefined => f[field]?.line;

  const requires = f.requires?.value;
  if (typeof requires === 'number') {
    if (requires > tree.version) {
      findings.push(
        finding(
          ENVIRONMENT_EVAL_RULES.requires,
          `$plugin->requires ${requires} is newer than Moodle ${tree.release} (${tree.version}).`,
          'version.php',
          line('requires'),
        ),
      );
    } else passed.push('requires');
  }
  const supported = f.supported?.value;
  if (supported !== undefined && isPhpArray(supported) && supported.entries.length === 2) {
    const [min, max] = supported.entries.map((e) => e.value);
    if (typeof min === 'number' && typeof max === 'number') {
      if (branch < min || (max !== -1 && branch > max)) {
        findings.push(
          finding(
            ENVIRONMENT_EVAL_RULES.supported,
            `Moodle ${tree.branch} is outside $plugin->supported [${min}, ${max}].`,
            'version.php',
            line('supported'),
          ),
        );
      } else passed.push('supported');
    }
  }
  const incompatible = f.incompatible?.value;
  if (typeof incompatible === 'number' && branch >= incompatible) {
    findings.push(
      finding(
        ENVIRONMENT_EVAL_RULES.incompatible,
        `Moodle ${tree.branch} is at or above $plugin->incompatible ${incompatible}.`,
        'version.php',
        line('incompatible'),
      ),
    );
  }
  const deps = f.dependencies?.value;
  if (deps !== undefined && isPhpArray(deps)) {
    for (const d of deps.entries) {
      if (typeof d.key !== 'string') continue;
      const have = installedBefore.get(d.key) ?? installedVersion(tree, d.key);
      const want = d.value;
      const at = d.node.loc?.start.line;
      if (have === undefined) {
        findings.push(
          finding(
            ENVIRONMENT_EVAL_RULES.dependency,
            `Dependency ${d.key} is not part of Moodle ${tree.release}.`,
            'version.php',
            at,
          ),
        );
      } else if (typeof want === 'number' && have < want) {
        findings.push(
          finding(
            ENVIRONMENT_EVAL_RULES.dependency,
            `Dependency ${d.key} is ${have} in Moodle ${tree.release}; the plugin needs ${want}.`,
            'version.php',
            at,
          ),
        );
      } else passed.push(`dependency ${d.key}`);
    }
  }

  const xml = plugin.xml('environment.xml');
  if (xml && 'root' in xml) {
    const section = childrenNamed(xml.root, 'PLUGIN').find(
      (p) => p.attrs.get('name')?.value === plugin.component,
    );
    const phpMax = branchInfo(branch)?.phpMax;
    for (const php of childrenNamed(section, 'PHP')) {
      const need = php.attrs.get('version')?.value;
      if (need === undefined || php.attrs.get('level')?.value === 'optional') continue;
      if (phpMax !== undefined && Number.parseFloat(need) > Number.parseFloat(phpMax)) {
        findings.push(
          finding(
            ENVIRONMENT_EVAL_RULES.php,
            `environment.xml requires PHP ${need}; Moodle ${tree.branch} supports PHP up to ${phpMax}.`,
            'environment.xml',
            php.line,
          ),
        );
      } else passed.push(`PHP ${need}`);
    }
    const missing: string[] = [];
    for (const ext of childrenNamed(childrenNamed(section, 'PHP_EXTENSIONS')[0], 'PHP_EXTENSION')) {
      const name = ext.attrs.get('name')?.value.toLowerCase();
      if (!name) continue;
      if (runtime.extensions.has(name)) passed.push(`extension ${name}`);
      else missing.push(name);
    }
    if (missing.length > 0) {
      findings.push(
        finding(
          ENVIRONMENT_EVAL_RULES.notChecked,
          `PHP extension(s) ${missing.join(', ')} required by environment.xml are not in php-wasm ${runtime.php}; not checked.`,
          'environment.xml',
        ),
      );
    }
    for (const kind of ['CUSTOM_CHECKS', 'DATABASE', 'PHP_SETTINGS']) {
      const el = childrenNamed(section, kind)[0];
      if (el && el.children.length > 0) {
        findings.push(
          finding(
            ENVIRONMENT_EVAL_RULES.notChecked,
            `environment.xml <${kind}> is not evaluated in this runtime.`,
            'environment.xml',
            el.line,
          ),
        );
      }
    }
  }
  return { findings, passed };
}
