// Over 400 lines: the runtime choice, the landing pages and the encoding are one contract with the
// Playground's source; the runtime table with playgroundRuntime() is the part to move out first.
//
// The "Preview in Moodle Playground" link: a blueprint that installs the pull request's plugin,
// pinned to the head commit, on a Moodle the plugin supports and the Playground ships, opening a
// page that shows the plugin; encoded into the Playground's `?blueprint=` parameter.
//
// How the Playground installs it (ateeducacion/moodle-playground, src/blueprint/steps/
// moodle-plugins.js): it downloads the ZIP (through its CORS proxy), strips the archive's one
// common top folder and writes the rest to the plugin type's folder. So the plugin must be at
// the repository root, and its type must be one the Playground knows; otherwise we say why
// instead of handing out a link that boots a Moodle without the plugin.
import { UserError } from '../core/errors.js';
import { BRANCHES, branchName, isBranchShaped } from '../plugin/branches.js';
import { encodeBase64Url } from './encoding.js';
import type { Blueprint, BlueprintStep } from './types.js';

/**
 * The public Moodle Playground. Source: the project's README ("Live demo",
 * https://github.com/ateeducacion/moodle-playground/blob/main/README.md). The companion PR
 * preview action (ateeducacion/action-moodle-playground-pr-preview, action.yml input
 * `playground-host`) defaults to https://moodle-playground.com; either works as `host`.
 */
export const DEFAULT_PLAYGROUND_HOST = 'https://ateeducacion.github.io/moodle-playground/';
export const DEFAULT_MAX_URL_LENGTH = 8000;

/** Plugin types the Playground's installMoodlePlugin can place (its PLUGIN_TYPE_DIRS). */
export const PLAYGROUND_PLUGIN_TYPES: ReadonlySet<string> = new Set(
  (
    'mod block local theme auth enrol filter format report tool editor atto tiny qtype ' +
    'qbehaviour gradeexport gradeimport gradereport repository plagiarism availability ' +
    'calendartype message profilefield datafield assignsubmission assignfeedback booktool ' +
    'quizaccess ltisource workshopform workshopallocation workshopeval contenttype customfield ' +
    'media paygw qbank search aiprovider aiplacement'
  ).split(' '),
);

/**
 * The Moodle runtimes the Playground ships: its MOODLE_BRANCHES in
 * ateeducacion/moodle-playground src/shared/version-resolver.js (as of ADR-0032, October 2026,
 * when 5.3 became its default). `moodle` is the resolver's version key, the one spelling besides
 * the branch name that it resolves: anything else ("4.5.7", "4.1") silently boots the default
 * branch, so the link names only these. `branch` is Moodle's branch number; `dev` is main
 * (6.0dev), numbered past every stable branch. `php` is what the resolver accepts for it, exactly.
 */
export const PLAYGROUND_RUNTIMES: readonly PlaygroundRuntime[] = [
  { moodle: '4.4', branch: 404, php: ['8.1', '8.2', '8.3'] },
  { moodle: '4.5', branch: 405, php: ['8.1', '8.2', '8.3'] },
  { moodle: '5.0', branch: 500, php: ['8.2', '8.3', '8.4'] },
  { moodle: '5.1', branch: 501, php: ['8.2', '8.3', '8.4'] },
  { moodle: '5.2', branch: 502, php: ['8.2', '8.3', '8.4'] },
  { moodle: '5.3', branch: 503, php: ['8.3', '8.4'] },
  { moodle: 'dev', branch: 600, php: ['8.2', '8.3', '8.4', '8.5'] },
];
/** The resolver's DEFAULT_PHP_VERSION: its pick when asked for no PHP the branch has. */
const PLAYGROUND_DEFAULT_PHP = '8.3';
/** Its DEFAULT_MOODLE_BRANCH (5.3): what the link starts from when nothing was checked. */
const PLAYGROUND_DEFAULT_BRANCH = 503;

export interface PlaygroundRuntime {
  moodle: string;
  branch: number;
  php: readonly string[];
}

export interface RuntimeRequest {
  /** Branch numbers the plugin supports (Plugin.targetBranches()); omitted = not known, any fits. */
  supported?: readonly number[];
  /** The Moodle that was checked: a branch label ('4.5'), a release ('4.5.7'), MOODLE_405_STABLE. */
  checkedMoodle?: string;
  /** The PHP that was checked ('8.3', '8.3.14'). */
  checkedPhp?: string;
}

export type RuntimeChoice =
  /** `differs` says why this is not what was checked; absent when it is (or nothing was). */
  | { moodle: string; php: string; differs?: string }
  /** Why no runtime of the Playground fits the plugin. */
  | { none: string };

/**
 * The runtime a preview should ask for. The Playground carries on when a plugin refuses to
 * install, so a Moodle the plugin does not support would give a link that "works" and shows
 * nothing of it: only branches the plugin supports count. Of those, the checked branch, else the
 * nearest in release order (ties to the newer); PHP as the Playground itself falls back: the
 * checked one if the branch has it, else 8.3, else the branch's first. `dev` is a moving target,
 * so it is the last resort, for a plugin whose range lies past every stable branch it ships.
 */
export function playgroundRuntime(r: RuntimeRequest): RuntimeChoice {
  const fits = fittingRuntimes(r.supported);
  if (fits.length === 0)
    return {
      none: `the plugin supports Moodle ${rangeName(r.supported ?? [])}, and the Playground runs none of them (it has Moodle ${PLAYGROUND_RUNTIMES.map((rt) => rt.moodle).join(', ')})`,
    };
  const wanted =
    r.checkedMoodle === undefined ? PLAYGROUND_DEFAULT_BRANCH : branchOf(r.checkedMoodle);
  const runtime = nearest(fits, wanted ?? PLAYGROUND_DEFAULT_BRANCH);
  const checkedPhp = /^\d+\.\d+/.exec(r.checkedPhp ?? '')?.[0];
  const php =
    checkedPhp && runtime.php.includes(checkedPhp)
      ? checkedPhp
      : runtime.php.includes(PLAYGROUND_DEFAULT_PHP)
        ? PLAYGROUND_DEFAULT_PHP
        : runtime.php[0]!;
  const reasons = [
    r.checkedMoodle === undefined ? undefined : moodleReason(r.checkedMoodle, wanted, runtime),
    checkedPhp && checkedPhp !== php
      ? `the Playground's Moodle ${runtime.moodle} has PHP ${span(runtime.php)} only`
      : undefined,
  ].filter((s): s is string => s !== undefined);
  return {
    moodle: runtime.moodle,
    php,
    ...(reasons.length ? { differs: reasons.join('; ') } : {}),
  };
}

function fittingRuntimes(supported: readonly number[] | undefined): PlaygroundRuntime[] {
  if (!supported) return [...PLAYGROUND_RUNTIMES];
  const stable = PLAYGROUND_RUNTIMES.filter((rt) => rt.moodle !== 'dev');
  const fits = stable.filter((rt) => supported.includes(rt.branch));
  if (fits.length > 0) return fits;
  const newest = Math.max(...stable.map((rt) => rt.branch));
  return supported.some((b) => b > newest)
    ? PLAYGROUND_RUNTIMES.filter((rt) => rt.moodle === 'dev')
    : [];
}

/** '4.5', '4.5.7', '4.5.x', MOODLE_405_STABLE, dev or main as a branch number; undefined if none. */
function branchOf(label: string): number | undefined {
  const named = /^MOODLE_(\d+)_STABLE$/.exec(label);
  if (named) return Number(named[1]);
  if (label === 'dev' || label === 'main') return PLAYGROUND_RUNTIMES.at(-1)!.branch;
  const v = /^(\d+)\.(\d+)(\.|$)/.exec(label);
  if (!v) return undefined;
  const [major, minor] = [Number(v[1]), Number(v[2])];
  // Moodle numbers 3.9 as 39 but 3.10 as 310 and 4.0 as 400.
  const branch = major >= 4 || minor >= 10 ? major * 100 + minor : major * 10 + minor;
  return isBranchShaped(branch) ? branch : undefined;
}

/** Closest in release order (4.5 and 5.0 are neighbours), ties to the newer. */
function nearest(fits: readonly PlaygroundRuntime[], wanted: number): PlaygroundRuntime {
  const rank = (b: number): number => BRANCHES.filter((x) => x.branch < b).length;
  const distance = (rt: PlaygroundRuntime): number => Math.abs(rank(rt.branch) - rank(wanted));
  return [...fits].sort((a, b) => distance(a) - distance(b) || b.branch - a.branch)[0]!;
}

function moodleReason(
  label: string,
  wanted: number | undefined,
  runtime: PlaygroundRuntime,
): string | undefined {
  if (wanted === undefined) return `"${label}" is not a Moodle version the Playground knows`;
  if (wanted === runtime.branch) return undefined;
  const shipped = PLAYGROUND_RUNTIMES.find((rt) => rt.branch === wanted);
  if (!shipped) return `the Playground has no Moodle ${branchName(wanted)}`;
  return shipped.moodle === 'dev'
    ? 'the preview keeps to a stable Moodle while the plugin supports one'
    : `the plugin does not support Moodle ${shipped.moodle}`;
}

function rangeName(branches: readonly number[]): string {
  const names = [...branches].sort((a, b) => a - b).map(branchName);
  return names.length === 0 ? '(no branch we know)' : span(names);
}

function span(list: readonly string[]): string {
  return list.length > 1 ? `${list[0]}–${list.at(-1)}` : (list[0] ?? '');
}

export interface PreviewOptions {
  host?: string;
  /** PR head repository `owner/name` (the fork, for fork PRs). */
  repository: string;
  /** Head commit sha. */
  ref: string;
  /** The plugin's folder inside the repository ('' or '.' = the root). */
  pluginDir?: string;
  /** Frankenstyle component, e.g. mod_board. */
  component: string;
  /** Branch numbers the plugin supports; omitted = not known (any runtime fits). */
  supported?: readonly number[];
  /** The Moodle and PHP that were checked (or asked for); the link runs the nearest that fits. */
  moodle?: string;
  php?: string;
  /** Whether the plugin has a file (relative to its root), for the landing page; omitted = unknown. */
  hasFile?: (rel: string) => boolean;
  maxUrlLength?: number;
  /** Path, inside the repository, of a blueprint the repo ships (used by the fallback). */
  repoBlueprint?: string;
}

export interface PreviewLink {
  /** The link; '' when no working link can be made (fallbackReason says why). */
  url: string;
  blueprint: Blueprint;
  encoding: 'base64url' | 'fallback';
  fallbackReason?: string;
  /** The Moodle and PHP the link boots; absent when no runtime fits the plugin. */
  runs?: { moodle: string; php: string };
  /** Why that is not what was checked (see playgroundRuntime). */
  differs?: string;
}

function splitComponent(component: string): { type: string; name: string } {
  const m = /^([a-z][a-z0-9]*)_([a-z][a-z0-9_]*)$/.exec(component);
  if (!m)
    throw new UserError(
      `"${component}" is not a Moodle component name (type_name, e.g. mod_board).`,
    );
  return { type: m[1]!, name: m[2]! };
}

/**
 * The settings page Moodle makes of a plugin's settings.php, per type: `{n}` is the plugin's name,
 * `{c}` its component (get_settings_section_name() in lib/classes/plugininfo/*.php, the same from
 * 4.4 to 5.2). Local, tool and report plugins name their own page; the component is the convention.
 */
const SETTINGS_SECTION: Readonly<Record<string, string>> = Object.fromEntries(
  (
    'mod=modsetting{n} block=blocksetting{n} filter=filtersetting{n} qtype=qtypesetting{n} ' +
    'auth=authsetting{n} enrol=enrolsettings{n} format=formatsetting{n} editor=editorsettings{n} ' +
    'availability=availabilitysetting{n} repository=repositorysettings{n} media=mediasetting{n} ' +
    'message=messagesetting{n} plagiarism=plagiarism{n} paygw=paymentgateway{n} ' +
    'search=searchsetting{n} customfield=customfieldsetting{n} contenttype=contentbanksetting{n} ' +
    'ltisource=ltisourcesetting{n} atto=atto_{n}_settings tiny=tiny_{n}_settings ' +
    'calendartype=calendartype_{n}_settings local={c} tool={c} report={c} qbank={c} ' +
    'aiprovider={c} aiplacement={c} assignsubmission={c} assignfeedback={c}'
  )
    .split(' ')
    .map((entry) => entry.split('=') as [string, string]),
);

/** Where local, tool and report plugins live on the web (their own index.php is their page). */
const OWN_PAGE_DIR: Readonly<Record<string, string>> = {
  local: 'local',
  tool: 'admin/tool',
  report: 'report',
};

/** The admin page listing every plugin of a type, where there is one. */
const TYPE_PAGE: Readonly<Record<string, string>> = {
  mod: '/admin/modules.php',
  block: '/admin/blocks.php',
  filter: '/admin/filters.php',
  qtype: '/admin/qtypes.php',
  auth: '/admin/settings.php?section=manageauths',
  enrol: '/admin/settings.php?section=manageenrols',
};

/**
 * A page of the plugin without content built for it: its own index.php, its settings, its type's
 * list, else the plugins overview. (Not `#additional`: Moodle filters that list in JavaScript from
 * the anchor, and its `contribonly` parameter is gone since 4.4.)
 */
function adminLanding(
  type: string,
  name: string,
  component: string,
  has?: (rel: string) => boolean,
): string {
  const dir = OWN_PAGE_DIR[type];
  if (dir && has?.('index.php')) return `/${dir}/${name}/index.php`;
  const section = SETTINGS_SECTION[type];
  if (section && has?.('settings.php'))
    return `/admin/settings.php?section=${section.replace('{n}', name).replace('{c}', component)}`;
  return TYPE_PAGE[type] ?? '/admin/plugins.php';
}

/**
 * The Playground's runPhpCode runs bare CLI code (steps/request.js), so it loads Moodle itself;
 * config.php is at /www/moodle on every branch, whatever the web root.
 */
function phpStep(...lines: string[]): BlueprintStep {
  const head = ["define('CLI_SCRIPT', true);", "require('/www/moodle/config.php');"];
  return { step: 'runPhpCode', code: [...head, ...lines].join('\n') };
}

const COURSE = 'PREVIEW';

interface Showcase {
  /** Steps that switch the plugin on: kept in the short link too. */
  enable: BlueprintStep[];
  /** Steps that build a course to show it in: dropped from the short link. */
  content: BlueprintStep[];
  /** Where to land with them (without any content to drop, always). */
  landing: string;
}

/** A course with one thing in it, landing on the course: the first a blueprint creates, id 2. */
function inCourse(thing: BlueprintStep): Showcase {
  const course = { step: 'createCourse', fullname: 'Preview course', shortname: COURSE };
  return { enable: [], content: [course, thing], landing: '/course/view.php?id=2' };
}

function addModule(module: string, name: string, intro?: string): BlueprintStep {
  return {
    step: 'addModule',
    module,
    course: COURSE,
    section: 1,
    name,
    ...(intro ? { intro } : {}),
  };
}

/** How a preview shows the plugin itself, where a type has a way (names are [a-z0-9_]). */
function showcase(type: string, name: string, component: string): Showcase | undefined {
  switch (type) {
    case 'theme':
      return { enable: [{ step: 'setTheme', name }], content: [], landing: '/' };
    case 'mod':
      return inCourse(addModule(name, `${component} preview`));
    case 'block':
      // add_block() with its own region and page pattern needs no theme layout, which the CLI has
      // none of; the same call from 4.4 to 5.3 (lib/blocklib.php).
      return inCourse(
        phpStep(
          '$page = new moodle_page();',
          `$page->set_context(context_course::instance($DB->get_field('course', 'id', ['shortname' => '${COURSE}'], MUST_EXIST)));`,
          "$page->blocks->add_region('side-pre', false);",
          `$page->blocks->add_block('${name}', 'side-pre', 0, false, 'course-view-*');`,
        ),
      );
    case 'filter':
      // What a filter works on is its own business: some of everything, in a label.
      return {
        ...inCourse(
          addModule(
            'label',
            `Text for ${component}`,
            `<p>Text for ${component}: a link to https://moodle.org, the address preview@example.com, the words Moodle, course and activity, an emoticon :-) and maths $$x^2$$.</p>`,
          ),
        ),
        enable: [phpStep(`filter_set_global_state('${name}', TEXTFILTER_ON);`)],
      };
    default:
      return undefined;
  }
}

/** The preview blueprint for a runtime (none: no preferredVersions); `full` adds the content. */
export function previewBlueprint(
  options: Pick<PreviewOptions, 'repository' | 'ref' | 'component' | 'hasFile'>,
  runtime?: { moodle: string; php?: string },
  full = true,
): Blueprint {
  const { type, name } = splitComponent(options.component);
  const url = `https://github.com/${options.repository}/archive/${options.ref}.zip`;
  const show = showcase(type, name, options.component);
  const shown = show !== undefined && (full || show.content.length === 0);
  const steps: BlueprintStep[] = [
    type === 'theme'
      ? { step: 'installTheme', url, pluginName: name }
      : { step: 'installMoodlePlugin', url, pluginType: type, pluginName: name },
    // Before the optional steps: if the Playground cannot create the activity (its addModule
    // inserts rows directly, which some modules' tables refuse), the reviewer is still logged in.
    { step: 'login', username: 'admin' },
    ...(show?.enable ?? []),
    ...(shown ? show.content : []),
  ];
  return {
    ...(runtime ? { preferredVersions: runtime } : {}),
    landingPage: shown
      ? show.landing
      : adminLanding(type, name, options.component, options.hasFile),
    steps,
  };
}

function withParam(host: string, key: string, value: string): string {
  const u = new URL(host);
  // Not URLSearchParams: base64url needs no escaping, and the caller percent-encodes a raw URL.
  return `${u.origin}${u.pathname}${u.search ? `${u.search}&` : '?'}${key}=${value}`;
}

function checkInputs(o: PreviewOptions): void {
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(o.repository))
    throw new UserError(`--repository "${o.repository}" is not owner/name.`);
  if (!/^[0-9a-f]{7,64}$/i.test(o.ref))
    throw new UserError(
      `--ref "${o.ref}" is not a commit sha.`,
      'Pin the preview to the head commit so the link keeps showing what was reviewed.',
    );
  let host: URL;
  try {
    host = new URL(o.host ?? DEFAULT_PLAYGROUND_HOST);
  } catch {
    throw new UserError(`--host "${o.host ?? ''}" is not a URL.`);
  }
  if (host.protocol !== 'https:' && host.protocol !== 'http:')
    throw new UserError(`--host "${o.host ?? ''}" is not an http(s) URL.`);
}

/** Why no link would install the plugin, or undefined when one can. */
function installProblem(o: PreviewOptions, type: string): string | undefined {
  const dir = (o.pluginDir ?? '').replace(/^\.\/?/, '').replace(/\/+$/, '');
  if (dir !== '')
    return `the plugin is in "${dir}/" of ${o.repository}, but the Playground installs a GitHub archive from the repository root, so the link would not install it; publish the plugin from its own repository (or a branch with it at the root) for a preview`;
  if (!PLAYGROUND_PLUGIN_TYPES.has(type))
    return `the Playground cannot install plugins of type "${type}" (its installMoodlePlugin knows ${[...PLAYGROUND_PLUGIN_TYPES].join(', ')})`;
  return undefined;
}

/** Builds the Playground link for a pull request's plugin (see the file comment). */
export function previewLink(options: PreviewOptions): PreviewLink {
  checkInputs(options);
  const { type } = splitComponent(options.component);
  const choice = playgroundRuntime({
    ...(options.supported ? { supported: options.supported } : {}),
    ...(options.moodle ? { checkedMoodle: options.moodle } : {}),
    ...(options.php ? { checkedPhp: options.php } : {}),
  });
  const problem = installProblem(options, type);
  if ('none' in choice) return noLink(problem ?? choice.none, previewBlueprint(options));
  // With no PHP asked for, PHP is left to the Playground: its pick is the one `runs` reports.
  const runtime = { moodle: choice.moodle, ...(options.php ? { php: choice.php } : {}) };
  const about = {
    runs: { moodle: choice.moodle, php: choice.php },
    ...(choice.differs ? { differs: choice.differs } : {}),
  };
  const full = previewBlueprint(options, runtime, true);
  if (problem) return { ...noLink(problem, full), ...about };
  const minimal = previewBlueprint(options, runtime, false);
  return { ...fitLink(options, runtime, full, minimal), ...about };
}

function noLink(reason: string, blueprint: Blueprint): PreviewLink {
  return { url: '', blueprint, encoding: 'fallback', fallbackReason: reason };
}

/** The shortest way to hand the Playground the blueprint within the URL limit. */
function fitLink(
  options: PreviewOptions,
  runtime: { moodle: string; php?: string },
  full: Blueprint,
  minimal: Blueprint,
): PreviewLink {
  const host = options.host ?? DEFAULT_PLAYGROUND_HOST;
  const max = options.maxUrlLength ?? DEFAULT_MAX_URL_LENGTH;
  const encode = (bp: Blueprint): string =>
    withParam(host, 'blueprint', encodeBase64Url(JSON.stringify(bp)));
  const fullUrl = encode(full);
  if (fullUrl.length <= max) return { url: fullUrl, blueprint: full, encoding: 'base64url' };
  const minimalUrl = encode(minimal);
  if (minimalUrl.length <= max)
    return {
      url: minimalUrl,
      blueprint: minimal,
      encoding: 'base64url',
      fallbackReason: `the full link was ${fullUrl.length} characters (limit ${max}); dropped the optional steps that build a course to show the plugin in`,
    };
  if (options.repoBlueprint) {
    const raw = `https://raw.githubusercontent.com/${options.repository}/${options.ref}/${options.repoBlueprint.replace(/^\.?\//, '')}`;
    // The repository's blueprint names its own versions; the URL's win over them (main.js).
    const pinned = Object.entries(runtime).reduce((url, [k, v]) => withParam(url, k, v), host);
    return {
      url: withParam(pinned, 'blueprint-url', encodeURIComponent(raw)),
      blueprint: minimal,
      encoding: 'fallback',
      fallbackReason: `the inline link was ${minimalUrl.length} characters (limit ${max}); linked the repository's blueprint ${options.repoBlueprint} at ${options.ref} with ?blueprint-url=`,
    };
  }
  return {
    url: '',
    blueprint: minimal,
    encoding: 'fallback',
    fallbackReason: `the link would be ${minimalUrl.length} characters, over the ${max}-character limit, and the repository ships no blueprint to link with ?blueprint-url=`,
  };
}
