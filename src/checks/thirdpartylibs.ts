import { existsSync } from 'node:fs';
import path from 'node:path';
import { childText, childrenNamed } from '../plugin/xml.js';
import type { CheckFamily, RuleMeta } from './types.js';

const FILE = 'thirdpartylibs.xml';

export const THIRDPARTYLIBS_RULES: readonly RuleMeta[] = [
  {
    id: 'thirdpartylibs/malformed',
    severity: 'warning',
    title: 'thirdpartylibs.xml is not well-formed',
    why: "Moodle's third-party libraries page, moodle-plugin-ci and the Plugins directory's code checks read this file to know which code is not yours. When it cannot be parsed, none of the libraries are declared: their code gets linted as yours and the credits page omits them.",
    fix: 'Fix the XML: a <libraries> root with one <library> element per bundled library.',
  },
  {
    id: 'thirdpartylibs/missing-field',
    severity: 'warning',
    title: 'A <library> lacks location, name, version or license',
    why: 'Each library needs a location (so tools exclude it), a name and version (so it can be tracked for security updates) and a license (so reviewers can verify it is GPL-compatible).',
    fix: 'Fill in <location>, <name>, <version> and <license> (and <licenseversion> where the license has versions).',
  },
  {
    id: 'thirdpartylibs/location-missing',
    severity: 'warning',
    title: 'A declared library location does not exist',
    why: 'The location is relative to the plugin root. A stale or mistyped location means the real library code is not excluded from linting and the declaration credits code that is not there.',
    fix: 'Correct the <location> (relative to the plugin root, no leading slash) or remove the stale <library>.',
  },
  {
    id: 'thirdpartylibs/license',
    severity: 'warning',
    title: 'Library license is not one we recognise as GPL-compatible',
    why: 'Moodle is GPLv3 and the Plugins directory only accepts plugins whose bundled code is under a GPLv3-compatible license (MIT, BSD, Apache 2.0, LGPL, GPL, MPL 2.0, ISC, public domain, ...). An unrecognised name will be questioned by reviewers.',
    fix: 'Use the usual short license name (e.g. MIT, BSD-3-Clause, Apache-2.0, LGPL-2.1+, GPL-3.0+) and put the version in <licenseversion>.',
  },
  {
    id: 'thirdpartylibs/license-incompatible',
    severity: 'error',
    title: 'Library license is not GPL-compatible',
    why: 'Proprietary, non-commercial and no-derivatives licenses cannot be combined with GPLv3 code; the Moodle Plugins directory does not accept plugins that bundle such code.',
    fix: 'Replace the library with a GPL-compatible one, or stop bundling it (let the site install it separately).',
  },
];

/** License names (with the version appended) that are GPLv3-compatible or that Moodle core itself ships. */
const KNOWN_LICENSES: readonly RegExp[] = [
  /^(the )?mit( license)?\b/,
  /^expat\b/,
  /^x11\b/,
  /^(new |modified |simplified |revised )?bsd\b/,
  /^[0-3][ -]?clause bsd/,
  /^apache( license| software license)?\b/,
  /^asl\b/,
  /^(gnu )?(lesser |library )?(general public license|lgpl|gpl|agpl|affero)/,
  /^[al]?gpl/,
  /^(mozilla public license|mpl)\b/,
  /^isc\b/,
  /^public[ -]?domain/,
  /^(the )?unlicense\b/,
  /^cc0\b/,
  /^(creative commons )?(cc[ -]?)?by([ -]sa)?\b/,
  /^creative commons attribution(( |-)share ?alike)?\b/,
  /^zlib\b/,
  /^(sil[ -]?)?ofl\b/,
  /^sil open font license/,
  /^artistic\b/,
  /^w3c\b/,
  /^python\b/,
  /^psf\b/,
  /^php\b/,
  /^wtfpl\b/,
  /^boost\b/,
  /^bsl\b/,
  /^epl\b/,
  /^eclipse public license/,
  /^cecill\b/,
  /^(the )?json license\b(?!.*evil)/,
];

const INCOMPATIBLE_LICENSES: readonly RegExp[] = [
  /proprietary/,
  /all rights reserved/,
  /\bcommercial\b/,
  /\bnon[ -]?commercial\b/,
  /\bby[ -]?nc\b/,
  /\bby[ -]?nd\b/,
  /\bno[ -]?derivatives?\b/,
  /\bsspl\b/,
  /server side public license/,
  /business source license|\bbusl\b/,
  /good,? not evil/,
];

interface Library {
  location?: unknown;
  name?: unknown;
  version?: unknown;
  license?: unknown;
  licenseversion?: unknown;
}

const REQUIRED = ['location', 'name', 'version', 'license'] as const;
const REQUIRED_AND_OPTIONAL = [...REQUIRED, 'licenseversion'] as const;

function value(v: unknown): string {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

export function licenseVerdict(
  license: string,
  version: string,
): 'known' | 'incompatible' | 'unknown' {
  const s = `${license} ${version}`
    .toLowerCase()
    .replace(/[_(),]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (INCOMPATIBLE_LICENSES.some((r) => r.test(s))) return 'incompatible';
  // "MIT OR GPL-2.0", "MIT and Apache": every alternative must be known for the whole to be known.
  const parts = s.split(/\s+(?:or|and|\/|\+)\s+|\s*\/\s*/).filter((p) => p !== '');
  return parts.length > 0 && parts.every((p) => KNOWN_LICENSES.some((r) => r.test(p)))
    ? 'known'
    : 'unknown';
}

export const thirdpartylibsFamily: CheckFamily = {
  family: 'thirdpartylibs',
  rules: THIRDPARTYLIBS_RULES,
  run(ctx) {
    const xml = ctx.plugin.xml(FILE);
    if (xml === undefined) return;
    if ('error' in xml) {
      ctx.report(
        'thirdpartylibs/malformed',
        { file: FILE, line: xml.error.line, column: xml.error.column },
        `${FILE} is not well-formed XML: ${xml.error.message}.`,
        'Fix the XML so that every tag is closed and the file has a single <libraries> root.',
      );
      return;
    }
    if (xml.root.name !== 'libraries') {
      ctx.report(
        'thirdpartylibs/malformed',
        { file: FILE, line: xml.root.line, column: xml.root.column },
        `${FILE} has root <${xml.root.name}> instead of <libraries>, so no library is declared.`,
        'Wrap the <library> elements in a single <libraries> root.',
      );
      return;
    }
    childrenNamed(xml.root, 'library').forEach((el, i) => {
      const where = { file: FILE, line: el.line, column: el.column };
      const lib: Library = Object.fromEntries(
        REQUIRED_AND_OPTIONAL.map((f) => [f, childText(el, f)]),
      );
      const name = value(lib.name);
      const label = name ? `library "${name}"` : `library #${i + 1}`;
      const missing = REQUIRED.filter((f) => value(lib[f]) === '');
      if (missing.length > 0) {
        ctx.report(
          'thirdpartylibs/missing-field',
          where,
          `${FILE}: ${label} has no ${missing.map((f) => `<${f}>`).join(', ')}.`,
          `Fill in ${missing.map((f) => `<${f}>`).join(', ')}.`,
        );
      }
      const location = value(lib.location);
      if (location !== '') checkLocation(location, label, where);
      const license = value(lib.license);
      if (license !== '') {
        const licenseversion = value(lib.licenseversion);
        const shown = licenseversion ? `${license} ${licenseversion}` : license;
        const verdict = licenseVerdict(license, licenseversion);
        if (verdict === 'incompatible') {
          ctx.report(
            'thirdpartylibs/license-incompatible',
            where,
            `${FILE}: ${label} is under "${shown}", which is not compatible with the GPL.`,
            'Replace the library with a GPL-compatible one or stop bundling it.',
          );
        } else if (verdict === 'unknown') {
          ctx.report(
            'thirdpartylibs/license',
            where,
            `${FILE}: ${label} has license "${shown}", which is not a license name we recognise as GPL-compatible.`,
            'Use a standard short name such as MIT, BSD, Apache, LGPL, GPL or MPL, with the version in <licenseversion>.',
          );
        }
      }
    });

    function checkLocation(
      location: string,
      label: string,
      where: { file: string; line: number; column: number },
    ): void {
      const rel = location
        .replace(/\\/g, '/')
        .replace(/^\.?\//, '')
        .replace(/\/+$/, '');
      if (rel === '' || rel === '.') return;
      const escapes = rel.split('/').includes('..');
      let exists = !escapes && (ctx.plugin.has(rel) || ctx.plugin.hasDir(rel));
      // The file walker skips dot-folders (e.g. `.extlib/`); look at the disk for those.
      if (!exists && !escapes && rel.split('/').some((s) => s.startsWith('.'))) {
        exists = existsSync(path.join(ctx.plugin.root, rel));
      }
      if (exists) return;
      ctx.report(
        'thirdpartylibs/location-missing',
        where,
        escapes
          ? `${FILE}: ${label} has location "${location}", which points outside the plugin.`
          : `${FILE}: ${label} has location "${location}", but there is no such file or folder in the plugin.`,
        'Give the path relative to the plugin root, or remove the stale <library>.',
      );
    }
  },
};
