/**
 * Core APIs Moodle allows as a plugin's level-2 namespace (`<component>\<api>\...`), from each
 * branch's `lib/apis.json` (entries with `allowedlevel2`). Our own data, written from Moodle 4.5,
 * 5.0 and 5.2; `apis.json` exists since 4.2 and we assume 4.2–4.4 match 4.5 for the names below.
 * Only APIs with `allowedspread` may be used by a plugin: the others are reserved for the API's
 * own component (a core subsystem, never a plugin).
 */
export interface Level2Api {
  name: string;
  /** The component that owns the API (`core` or `core_<subsystem>`). */
  component: string;
  /** `allowedspread`: other components (plugins) may use it as their level-2 namespace. */
  spread: boolean;
  /** First branch whose apis.json lists it; absent = every branch that has apis.json (4.2+). */
  since?: number;
}

const api = (name: string, component: string, spread: boolean, since?: number): Level2Api => ({
  name,
  component,
  spread,
  ...(since !== undefined ? { since } : {}),
});

export const LEVEL2_APIS: readonly Level2Api[] = [
  api('access', 'core_access', false),
  api('adminpresets', 'core_adminpresets', false),
  api('aiactions', 'core_ai', false),
  api('aimodel', 'core_ai', false, 500),
  api('analytics', 'core_analytics', true),
  api('attribute', 'core', true),
  api('backup', 'core_backup', true),
  api('cache', 'core_cache', true),
  api('check', 'core', true),
  api('completion', 'core_completion', true),
  api('context', 'core', false),
  api('courseformat', 'core_courseformat', true, 500),
  api('customfield', 'core_customfield', true),
  api('ddl', 'core', false),
  api('dml', 'core', false),
  api('event', 'core', true),
  api('exception', 'core', true),
  api('external', 'core', true),
  api('files', 'core_files', false),
  api('form', 'core_form', true),
  api('h5p', 'core_h5p', true),
  api('hook', 'core', true),
  api('lock', 'core', false),
  api('log', 'core', true),
  api('message', 'core_message', true),
  api('navigation', 'core', true),
  api('oauth2', 'core', true),
  api('output', 'core', true),
  api('payment', 'core_payment', true),
  api('privacy', 'core_privacy', true),
  api('question', 'core_question', true),
  api('redactor', 'core_files', false),
  api('reportbuilder', 'core_reportbuilder', true),
  api('route', 'core', true),
  api('router', 'core', true),
  api('search', 'core_search', true),
  api('task', 'core', true),
  api('upgrade', 'core', false),
  api('xapi', 'core_xapi', true),
];

/** The branch apis.json first shipped in. */
export const APIS_SINCE = 402;

/**
 * Level-2 names Moodle itself looks up in plugins although they are not APIs in apis.json:
 * `plugininfo` (subplugin type classes, core_plugin_manager) and `grades` (`\<component>\grades\gradeitems`,
 * core_grades\component_gradeitems).
 */
export const MOODLE_MANDATED_LEVEL2: readonly string[] = ['plugininfo', 'grades'];

/**
 * Whether `component` may use `name` as its level-2 namespace on `branch`: `local`, a name Moodle
 * requires, or an API allowed at level 2 that is the component's own or allowed to spread.
 */
export function isAllowedLevel2(name: string, component: string, branch: number): boolean {
  if (name === 'local' || MOODLE_MANDATED_LEVEL2.includes(name)) return true;
  return LEVEL2_APIS.some(
    (a) =>
      a.name === name &&
      (a.since === undefined || branch >= a.since) &&
      (a.spread || a.component === component),
  );
}
