/**
 * Every plugin type Moodle 4.1 → 5.2 knows, with its install path (classic layout, relative to the
 * Moodle root; 5.1+ puts the same path under `public/`) and the branches it exists in. Subplugin
 * types of standard plugins name their parent. Our own data, checked against each branch's
 * `lib/components.json` and standard `db/subplugins.json` in the tests; when a Moodle tree is
 * provisioned, its own `components.json` wins.
 */
export interface PluginTypeInfo {
  type: string;
  path: string;
  /** First branch that has the type; absent = older than anything we support. */
  since?: number;
  /** Last branch that has the type; absent = still there. */
  until?: number;
  /** For subplugin types of standard plugins: the parent component. */
  parent?: string;
}

const t = (type: string, path: string, extra: Partial<PluginTypeInfo> = {}): PluginTypeInfo => ({
  type,
  path,
  ...extra,
});

export const PLUGIN_TYPES: readonly PluginTypeInfo[] = [
  t('aiplacement', 'ai/placement', { since: 405 }),
  t('aiprovider', 'ai/provider', { since: 405 }),
  t('antivirus', 'lib/antivirus'),
  t('availability', 'availability/condition'),
  t('qtype', 'question/type'),
  t('mod', 'mod'),
  t('auth', 'auth'),
  t('calendartype', 'calendar/type'),
  t('communication', 'communication/provider', { since: 403 }),
  t('customfield', 'customfield/field'),
  t('enrol', 'enrol'),
  t('message', 'message/output'),
  t('block', 'blocks'),
  t('media', 'media/player'),
  t('filter', 'filter'),
  t('editor', 'lib/editor'),
  t('format', 'course/format'),
  t('dataformat', 'dataformat'),
  t('profilefield', 'user/profile/field'),
  t('report', 'report'),
  t('coursereport', 'course/report'),
  t('gradeexport', 'grade/export'),
  t('gradeimport', 'grade/import'),
  t('gradepenalty', 'grade/penalty', { since: 500 }),
  t('gradereport', 'grade/report'),
  t('gradingform', 'grade/grading/form'),
  t('mlbackend', 'lib/mlbackend'),
  t('mnetservice', 'mnet/service', { until: 405 }),
  t('webservice', 'webservice'),
  t('repository', 'repository'),
  t('portfolio', 'portfolio'),
  t('search', 'search/engine'),
  t('qbank', 'question/bank'),
  t('qbehaviour', 'question/behaviour'),
  t('qformat', 'question/format'),
  t('plagiarism', 'plagiarism'),
  t('tool', 'admin/tool'),
  t('cachestore', 'cache/stores'),
  t('cachelock', 'cache/locks'),
  t('fileconverter', 'files/converter'),
  t('contenttype', 'contentbank/contenttype'),
  t('theme', 'theme'),
  t('local', 'local'),
  t('h5plib', 'h5p/h5plib'),
  t('paygw', 'payment/gateway'),
  t('smsgateway', 'sms/gateway', { since: 405 }),
  // Subplugin types of standard plugins.
  t('atto', 'lib/editor/atto/plugins', { parent: 'editor_atto', until: 405 }),
  t('tiny', 'lib/editor/tiny/plugins', { parent: 'editor_tiny' }),
  t('tinymce', 'lib/editor/tinymce/plugins', { parent: 'editor_tinymce', until: 401 }),
  t('assignfeedback', 'mod/assign/feedback', { parent: 'mod_assign' }),
  t('assignsubmission', 'mod/assign/submission', { parent: 'mod_assign' }),
  t('assignment', 'mod/assignment/type', { parent: 'mod_assignment', until: 401 }),
  t('booktool', 'mod/book/tool', { parent: 'mod_book' }),
  t('datafield', 'mod/data/field', { parent: 'mod_data' }),
  t('datapreset', 'mod/data/preset', { parent: 'mod_data' }),
  t('forumreport', 'mod/forum/report', { parent: 'mod_forum' }),
  t('ltiservice', 'mod/lti/service', { parent: 'mod_lti' }),
  t('ltisource', 'mod/lti/source', { parent: 'mod_lti' }),
  t('quiz', 'mod/quiz/report', { parent: 'mod_quiz' }),
  t('quizaccess', 'mod/quiz/accessrule', { parent: 'mod_quiz' }),
  t('scormreport', 'mod/scorm/report', { parent: 'mod_scorm' }),
  t('workshopallocation', 'mod/workshop/allocation', { parent: 'mod_workshop' }),
  t('workshopeval', 'mod/workshop/eval', { parent: 'mod_workshop' }),
  t('workshopform', 'mod/workshop/form', { parent: 'mod_workshop' }),
  t('logstore', 'admin/tool/log/store', { parent: 'tool_log' }),
  t('bbbext', 'mod/bigbluebuttonbn/extension', { parent: 'mod_bigbluebuttonbn', since: 403 }),
  t('factor', 'admin/tool/mfa/factor', { parent: 'tool_mfa', since: 403 }),
];

const BY_TYPE = new Map(PLUGIN_TYPES.map((p) => [p.type, p]));

export function pluginType(type: string): PluginTypeInfo | undefined {
  return BY_TYPE.get(type);
}

export function typeExistsIn(info: PluginTypeInfo, branch: number): boolean {
  return (
    (info.since === undefined || branch >= info.since) &&
    (info.until === undefined || branch <= info.until)
  );
}

/** Frankenstyle: a type and a name, lower-case letters, digits and underscores, name not starting with a digit. */
export const COMPONENT_RE = /^([a-z][a-z0-9]*)_([a-z][a-z0-9_]*[a-z0-9]|[a-z])$/;

export function splitComponent(component: string): { type: string; name: string } | undefined {
  const m = COMPONENT_RE.exec(component);
  if (!m) return undefined;
  return { type: m[1]!, name: m[2]! };
}

/** Moodle's rule for module names: no underscores, as core_component::is_valid_plugin_name. */
export function isValidPluginName(type: string, name: string): boolean {
  if (type === 'mod') return /^[a-z][a-z0-9]*$/.test(name);
  return /^[a-z](?:[a-z0-9_](?!__))*[a-z0-9]$|^[a-z]$/.test(name);
}
