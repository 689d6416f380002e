// The db/ folder: install.xml, upgrade.php's entry point, and the PHP registries Moodle reads at
// install and upgrade (access, messages, services, tasks, events).
import { allFunctions, children, position, type PhpNode } from '../plugin/php.js';
import type { Plugin } from '../plugin/plugin.js';
import { ACCESS_RULES, checkAccess, checkMessages } from './db-access.js';
import { checkInstallXml, INSTALL_XML_RULES } from './db-install-xml.js';
import { checkEvents, checkServices, checkTasks, REGISTRY_RULES } from './db-registries.js';
import type { CheckContext, CheckFamily, RuleMeta } from './types.js';

const UPGRADE_RULES: readonly RuleMeta[] = [
  {
    id: 'db/upgrade-function-missing',
    severity: 'error',
    title: 'db/upgrade.php does not define the upgrade function',
    why: 'When the version number goes up, Moodle requires db/upgrade.php and calls xmldb_<component>_upgrade() (xmldb_<name>_upgrade() for activity modules) unconditionally; without it the upgrade dies with "Call to undefined function".',
    fix: 'Define function xmldb_<component>_upgrade($oldversion) (mod: xmldb_<name>_upgrade) in db/upgrade.php, returning true.',
  },
  {
    id: 'db/upgrade-function-signature',
    severity: 'warning',
    title: 'Upgrade function has the wrong parameters',
    why: 'Moodle calls the upgrade function with one argument, the installed version; a function without that parameter cannot guard its steps with $oldversion, and extra required parameters make the call fail.',
    fix: 'Declare it as function xmldb_<component>_upgrade($oldversion).',
  },
];

/** The name Moodle's upgrade_plugins*() builds for this plugin's upgrade function. */
export function upgradeFunctionName(plugin: Plugin): string | undefined {
  if (!plugin.component || !plugin.name) return undefined;
  return plugin.type === 'mod'
    ? `xmldb_${plugin.name}_upgrade`
    : `xmldb_${plugin.component}_upgrade`;
}

/** The upgrade function's node in db/upgrade.php, wherever it is declared (also inside `if`). */
export function findUpgradeFunction(plugin: Plugin, ast: PhpNode): PhpNode | undefined {
  const name = upgradeFunctionName(plugin);
  return name ? allFunctions(ast).get(name.toLowerCase()) : undefined;
}

function checkUpgradeFunction(ctx: CheckContext): void {
  const file = 'db/upgrade.php';
  const ast = ctx.plugin.php(file)?.ast;
  const expected = upgradeFunctionName(ctx.plugin);
  if (!ast || !expected) return;
  const fn = findUpgradeFunction(ctx.plugin, ast);
  if (!fn) {
    const others = [...allFunctions(ast).keys()].filter((n) => /^xmldb_.*_upgrade$/.test(n));
    ctx.report(
      'db/upgrade-function-missing',
      { file, line: 1 },
      `db/upgrade.php does not define ${expected}()${others.length > 0 ? ` (it defines ${others.join(', ')}())` : ''}; Moodle calls it on every upgrade.`,
      `Rename or add: function ${expected}($oldversion) { ... return true; }`,
    );
    return;
  }
  const params = children(fn, 'arguments');
  const required = params.filter((p) => p.value === null || p.value === undefined);
  if (params.length === 0 || required.length > 1) {
    ctx.report(
      'db/upgrade-function-signature',
      { file, ...position(fn) },
      `${expected}() takes ${params.length === 0 ? 'no parameters' : `${required.length} required parameters`}; Moodle passes exactly one, $oldversion.`,
    );
  }
}

export const dbFamily: CheckFamily = {
  family: 'db',
  rules: [...INSTALL_XML_RULES, ...UPGRADE_RULES, ...ACCESS_RULES, ...REGISTRY_RULES],
  run(ctx) {
    checkInstallXml(ctx);
    checkUpgradeFunction(ctx);
    checkAccess(ctx);
    checkMessages(ctx);
    checkServices(ctx);
    checkTasks(ctx);
    checkEvents(ctx);
  },
};
