import { makeFinding, type RuleMeta } from '../../core/rules.js';
import type { Finding } from '../../core/finding.js';
import type { XmlElement } from '../../plugin/xml.js';
import { INSTALL_RULES } from './install-output.js';

/** What happens when Moodle upgrades the plugin from the old version to the new one. */
export const UPGRADE_RULES = {
  exception: {
    id: 'upgrade/exception',
    severity: 'error',
    title: 'An exception was thrown from db/upgrade.php',
    why: 'An uncaught exception stops admin/cli/upgrade.php: every production site that updates the plugin is left half-upgraded, with the admin stuck on the upgrade page.',
    fix: 'Fix the upgrade step at the reported line; run the upgrade from the old version again.',
  },
  ddlFailed: {
    id: 'upgrade/ddl-failed',
    severity: 'error',
    title: 'A schema change in db/upgrade.php failed',
    why: 'The database manager refused or failed a change (a field or table that already exists or does not, a bad definition): the upgrade stops at this step on real sites.',
    fix: 'Guard the change (e.g. if (!$dbman->field_exists($table, $field))) and make the xmldb definition match install.xml.',
  },
  failed: {
    id: 'upgrade/failed',
    severity: 'error',
    title: 'Moodle could not upgrade the plugin',
    why: 'admin/cli/upgrade.php stopped with an error while upgrading from the old version.',
    fix: 'Read Moodle’s message and fix the upgrade code.',
  },
  timeout: {
    id: 'upgrade/timeout',
    severity: 'error',
    title: 'The upgrade did not finish in time',
    why: 'Upgrading from the old version ran longer than the time limit: an endless loop, or far more work than an upgrade step should do.',
    fix: 'Look for a loop in db/upgrade.php; move heavy data work to an ad-hoc task; raise the time limit (`--timeout`, the Action’s `timeout` input) only if the work is real.',
  },
  missingSavepoint: {
    id: 'upgrade/missing-savepoint',
    severity: 'error',
    title: 'An upgrade step ran without reaching its savepoint',
    why: 'Moodle records progress only at savepoints: a step that ran without its own savepoint re-runs after any later failure (adding a field twice fails), and a stored version below version.php means the upgrade did not complete.',
    fix: 'End every if ($oldversion < N) block with the savepoint for N, reachable on every path through the block.',
  },
  versionBackwards: {
    id: 'upgrade/version-backwards',
    severity: 'error',
    title: 'The new version is lower than the old one',
    why: 'Moodle refuses to downgrade a plugin: sites that have the old version installed cannot update to this one (downgrade_exception).',
    fix: 'Make $plugin->version in version.php higher than every released version, e.g. today’s date as YYYYMMDD00.',
  },
  phpError: {
    ...INSTALL_RULES.phpError,
    id: 'upgrade/php-error',
    title: 'A PHP fatal error in the plugin during the upgrade',
  },
  phpWarning: {
    ...INSTALL_RULES.phpWarning,
    id: 'upgrade/php-warning',
    title: 'A PHP warning in the plugin during the upgrade',
  },
  phpNotice: {
    ...INSTALL_RULES.phpNotice,
    id: 'upgrade/php-notice',
    title: 'A PHP notice or deprecation in the plugin during the upgrade',
  },
  debugging: {
    ...INSTALL_RULES.debugging,
    id: 'upgrade/debugging',
    title: 'Moodle debugging() output caused by the plugin during the upgrade',
  },
  crashed: {
    ...INSTALL_RULES.crashed,
    id: 'upgrade/crashed',
    title: 'PHP crashed while upgrading the plugin',
  },
  outOfMemory: {
    ...INSTALL_RULES.outOfMemory,
    id: 'upgrade/out-of-memory',
    title: 'The upgrade ran the PHP runtime out of memory',
  },
  diskQuota: {
    ...INSTALL_RULES.diskQuota,
    id: 'upgrade/disk-quota',
    title: 'The upgrade wrote more data than the disk quota',
  },
  outputLimit: {
    ...INSTALL_RULES.outputLimit,
    id: 'upgrade/output-limit',
    title: 'The upgrade printed far more output than an upgrade should',
  },
} as const satisfies Record<string, RuleMeta>;

const schemaRule = (id: string, title: string, fix: string): RuleMeta => ({
  id: `schema/${id}`,
  severity: 'error',
  title,
  why: 'After upgrading from the old version the database differs from what a fresh install of db/install.xml creates: upgraded sites and new sites then behave differently, and later upgrade steps or queries fail on one of them.',
  fix,
});

/** Differences between the upgraded schema and install.xml (Moodle's check_database_schema()). */
export const SCHEMA_RULES = {
  missingTable: schemaRule(
    'missing-table',
    'A table of install.xml is missing after the upgrade',
    'Create the table in an upgrade step ($dbman->create_table()) with the definition from install.xml.',
  ),
  missingColumn: schemaRule(
    'missing-column',
    'A column of install.xml is missing after the upgrade',
    'Add the field in an upgrade step ($dbman->add_field()) with the definition from install.xml.',
  ),
  extraColumn: schemaRule(
    'extra-column',
    'A column left over after the upgrade that install.xml does not have',
    'Drop the field in an upgrade step ($dbman->drop_field()), or add it back to install.xml.',
  ),
  columnType: schemaRule(
    'column-type',
    'A column has another type than in install.xml',
    'Change the field with $dbman->change_field_type() to the install.xml type.',
  ),
  columnLength: schemaRule(
    'column-length',
    'A column has another length or precision than in install.xml',
    'Change the field with $dbman->change_field_precision() to the install.xml length.',
  ),
  columnNull: schemaRule(
    'column-null',
    'A column’s NOT NULL differs from install.xml',
    'Change the field with $dbman->change_field_notnull() as install.xml says.',
  ),
  columnDefault: schemaRule(
    'column-default',
    'A column’s default differs from install.xml',
    'Change the field with $dbman->change_field_default() to the install.xml default.',
  ),
  missingIndex: schemaRule(
    'missing-index',
    'An index or key of install.xml is missing after the upgrade',
    'Add it in an upgrade step ($dbman->add_index() / add_key()).',
  ),
  extraIndex: schemaRule(
    'extra-index',
    'An index left over after the upgrade that install.xml does not have',
    'Drop it in an upgrade step ($dbman->drop_index()), or add it to install.xml.',
  ),
  drift: schemaRule(
    'drift',
    'The upgraded schema differs from install.xml',
    'Make the upgrade steps produce exactly what install.xml defines.',
  ),
} as const satisfies Record<string, RuleMeta>;

const BY_INSTALL_ID = new Map<string, RuleMeta>([
  [INSTALL_RULES.exception.id, UPGRADE_RULES.exception],
  [INSTALL_RULES.failed.id, UPGRADE_RULES.failed],
  [INSTALL_RULES.phpError.id, UPGRADE_RULES.phpError],
  [INSTALL_RULES.phpWarning.id, UPGRADE_RULES.phpWarning],
  [INSTALL_RULES.phpNotice.id, UPGRADE_RULES.phpNotice],
  [INSTALL_RULES.debugging.id, UPGRADE_RULES.debugging],
  [INSTALL_RULES.timeout.id, UPGRADE_RULES.timeout],
  [INSTALL_RULES.crashed.id, UPGRADE_RULES.crashed],
  [INSTALL_RULES.outOfMemory.id, UPGRADE_RULES.outOfMemory],
  [INSTALL_RULES.diskQuota.id, UPGRADE_RULES.diskQuota],
  [INSTALL_RULES.outputLimit.id, UPGRADE_RULES.outputLimit],
]);

const DDL =
  /ddl|DDL sql execution error|xmldb|field_exists|Field .* (already exists|does not exist)|Table .* (already exists|does not exist)|Index .* already exists/i;

/** install/* findings of an upgrade run, renamed to upgrade/* (DDL errors get their own rule). */
export function asUpgradeFindings(found: readonly Finding[]): Finding[] {
  return found.map((f) => {
    let rule = BY_INSTALL_ID.get(f.ruleId);
    if (!rule) return f;
    if ((rule === UPGRADE_RULES.exception || rule === UPGRADE_RULES.failed) && DDL.test(f.message))
      rule = UPGRADE_RULES.ddlFailed;
    return makeFinding(
      rule,
      f.message.replace('The upgrade stopped', 'The upgrade from the old version stopped'),
      f,
      f.hint,
    );
  });
}

/** `++ 2024010100: Success (0.05 seconds) ++`: Moodle prints one per savepoint in developer mode. */
export function savepointTimes(stdout: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of stdout.matchAll(/^\+\+ (\d{10}(?:\.\d+)?): .*?\(([\d.,]+) \S+\) \+\+\s*$/gm)) {
    out.set(Number(m[1]), Number(m[2]!.replace(',', '.')));
  }
  return out;
}

/** What php/tools/upgrade_report.php prints. */
export interface UpgradeReportData {
  components: Record<string, string | null>;
  maxlogid: number;
  log: {
    id: number;
    type: number;
    plugin: string;
    version: string | null;
    info: string;
    details: string | null;
    time: number;
  }[];
  schema: Record<string, { tables?: Record<string, string[]> | []; error?: string }>;
}

export function parseUpgradeReport(stdout: string): UpgradeReportData | undefined {
  const at = stdout.indexOf('@@MPC-UPGRADE-REPORT@@');
  if (at < 0) return undefined;
  try {
    return JSON.parse(
      stdout.slice(at + '@@MPC-UPGRADE-REPORT@@'.length).trim(),
    ) as UpgradeReportData;
  } catch {
    return undefined;
  }
}

/** One schema difference, still in Moodle's words, with where install.xml defines the thing. */
export interface SchemaDifference {
  table: string;
  message: string;
}

/** check_database_schema()'s errors as a flat list (the PHP side gives {} or [] when none). */
export function schemaDifferences(data: UpgradeReportData, component: string): SchemaDifference[] {
  const tables = data.schema[component]?.tables;
  if (!tables || Array.isArray(tables)) return [];
  return Object.entries(tables).flatMap(([table, errors]) =>
    errors.map((message) => ({ table, message: message.split('\n')[0]!.trim() })),
  );
}

/** Lines of install.xml's TABLE, FIELD, KEY and INDEX elements, by table. */
function xmlLines(
  root: XmlElement | undefined,
): Map<string, { line: number; items: Map<string, number> }> {
  const out = new Map<string, { line: number; items: Map<string, number> }>();
  const tables = root?.children.find((c) => c.name === 'TABLES')?.children ?? [];
  for (const t of tables.filter((c) => c.name === 'TABLE')) {
    const items = new Map<string, number>();
    for (const group of t.children) {
      for (const item of group.children) {
        const name = item.attrs.get('NAME')?.value;
        if (name !== undefined) items.set(`${item.name}:${name.toLowerCase()}`, item.line);
      }
    }
    out.set((t.attrs.get('NAME')?.value ?? '').toLowerCase(), { line: t.line, items });
  }
  return out;
}

/** schema/* findings for the differences, at the install.xml line of the table, field or index. */
export function schemaFindings(
  diffs: readonly SchemaDifference[],
  file: string,
  root: XmlElement | undefined,
): Finding[] {
  const lines = xmlLines(root);
  return diffs.map(({ table, message }) => {
    const t = lines.get(table.toLowerCase());
    const column = /^column '([^']+)'/.exec(message)?.[1];
    const index = /^Missing index '([^']+)'/.exec(message)?.[1];
    let rule: RuleMeta = SCHEMA_RULES.drift;
    if (message === 'table is missing') rule = SCHEMA_RULES.missingTable;
    else if (column && / is missing$/.test(message)) rule = SCHEMA_RULES.missingColumn;
    else if (column && / is not expected/.test(message)) rule = SCHEMA_RULES.extraColumn;
    else if (
      column &&
      /incorrect type|unsupported type|unknown type|is a timestamp|is a datetime/.test(message)
    )
      rule = SCHEMA_RULES.columnType;
    else if (column && / (size|length) is /.test(message)) rule = SCHEMA_RULES.columnLength;
    else if (column && /NOT NULL|allow NULL/.test(message)) rule = SCHEMA_RULES.columnNull;
    else if (column && / has default /.test(message)) rule = SCHEMA_RULES.columnDefault;
    else if (index) rule = SCHEMA_RULES.missingIndex;
    else if (/^Unexpected index/.test(message)) rule = SCHEMA_RULES.extraIndex;
    const item = column
      ? t?.items.get(`FIELD:${column.toLowerCase()}`)
      : index
        ? (t?.items.get(`INDEX:${index.toLowerCase()}`) ??
          t?.items.get(`KEY:${index.toLowerCase()}`))
        : undefined;
    const line = item ?? t?.line;
    return makeFinding(
      rule,
      `Table ${table}${column ? `, column ${column}` : ''}: ${message} (after the upgrade, compared with a fresh install of install.xml).`,
      { file, line },
    );
  });
}
