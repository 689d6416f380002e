// The "Preview in Moodle Playground" link: a blueprint that installs the pull request's plugin,
// pinned to the head commit, encoded into the Playground's `?blueprint=` parameter.
//
// How the Playground installs it (ateeducacion/moodle-playground, src/blueprint/steps/
// moodle-plugins.js): it downloads the ZIP (through its CORS proxy), strips the archive's one
// common top folder and writes the rest to the plugin type's folder. So the plugin must be at
// the repository root, and its type must be one the Playground knows; otherwise we say why
// instead of handing out a link that boots a Moodle without the plugin.
import { UserError } from '../core/errors.js';
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
  moodle?: string;
  php?: string;
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
}

function splitComponent(component: string): { type: string; name: string } {
  const m = /^([a-z][a-z0-9]*)_([a-z][a-z0-9_]*)$/.exec(component);
  if (!m)
    throw new UserError(
      `"${component}" is not a Moodle component name (type_name, e.g. mod_board).`,
    );
  return { type: m[1]!, name: m[2]! };
}

function landingFor(type: string, name: string, withCourse: boolean): string {
  if (type === 'mod') return withCourse ? '/course/view.php?id=2' : `/admin/modules.php`;
  if (type === 'theme') return '/theme/index.php';
  if (type === 'block') return '/admin/blocks.php';
  if (type === 'filter') return '/admin/filters.php';
  if (type === 'auth') return '/admin/settings.php?section=manageauths';
  if (type === 'enrol') return '/admin/settings.php?section=manageenrols';
  // The "additional plugins" overview lists the plugin with its settings link, whatever it is.
  return `/admin/plugins.php?contribonly=1#${type}_${name}`;
}

/** The preview blueprint; `full` adds the optional course and activity. */
export function previewBlueprint(
  options: Pick<PreviewOptions, 'repository' | 'ref' | 'component' | 'moodle' | 'php'>,
  full = true,
): Blueprint {
  const { type, name } = splitComponent(options.component);
  const url = `https://github.com/${options.repository}/archive/${options.ref}.zip`;
  const steps: BlueprintStep[] = [
    type === 'theme'
      ? { step: 'installTheme', url, pluginName: name }
      : { step: 'installMoodlePlugin', url, pluginType: type, pluginName: name },
    // Before the optional steps: if the Playground cannot create the activity (its addModule
    // inserts rows directly, which some modules' tables refuse), the reviewer is still logged in.
    { step: 'login', username: 'admin' },
  ];
  const withCourse = full && type === 'mod';
  if (type === 'theme' && full) steps.push({ step: 'setConfig', name: 'theme', value: name });
  if (withCourse)
    steps.push(
      { step: 'createCourse', fullname: 'Preview course', shortname: 'PREVIEW' },
      {
        step: 'addModule',
        module: name,
        course: 'PREVIEW',
        section: 1,
        name: `${options.component} preview`,
      },
    );
  const preferredVersions = {
    ...(options.php ? { php: options.php } : {}),
    ...(options.moodle ? { moodle: options.moodle } : {}),
  };
  return {
    ...(Object.keys(preferredVersions).length ? { preferredVersions } : {}),
    landingPage: landingFor(type, name, withCourse),
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

/** Builds the Playground link for a pull request's plugin (see the file comment). */
export function previewLink(options: PreviewOptions): PreviewLink {
  checkInputs(options);
  const host = options.host ?? DEFAULT_PLAYGROUND_HOST;
  const max = options.maxUrlLength ?? DEFAULT_MAX_URL_LENGTH;
  const full = previewBlueprint(options, true);
  const dir = (options.pluginDir ?? '').replace(/^\.\/?/, '').replace(/\/+$/, '');
  const { type } = splitComponent(options.component);
  if (dir !== '')
    return {
      url: '',
      blueprint: full,
      encoding: 'fallback',
      fallbackReason: `the plugin is in "${dir}/" of ${options.repository}, but the Playground installs a GitHub archive from the repository root, so the link would not install it; publish the plugin from its own repository (or a branch with it at the root) for a preview`,
    };
  if (!PLAYGROUND_PLUGIN_TYPES.has(type))
    return {
      url: '',
      blueprint: full,
      encoding: 'fallback',
      fallbackReason: `the Playground cannot install plugins of type "${type}" (its installMoodlePlugin knows ${[...PLAYGROUND_PLUGIN_TYPES].join(', ')})`,
    };
  const encode = (bp: Blueprint): string =>
    withParam(host, 'blueprint', encodeBase64Url(JSON.stringify(bp)));
  const fullUrl = encode(full);
  if (fullUrl.length <= max) return { url: fullUrl, blueprint: full, encoding: 'base64url' };
  const minimal = previewBlueprint(options, false);
  const minimalUrl = encode(minimal);
  if (minimalUrl.length <= max)
    return {
      url: minimalUrl,
      blueprint: minimal,
      encoding: 'base64url',
      fallbackReason: `the full link was ${fullUrl.length} characters (limit ${max}); dropped the optional course and activity steps`,
    };
  if (options.repoBlueprint) {
    const raw = `https://raw.githubusercontent.com/${options.repository}/${options.ref}/${options.repoBlueprint.replace(/^\.?\//, '')}`;
    return {
      url: withParam(host, 'blueprint-url', encodeURIComponent(raw)),
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
