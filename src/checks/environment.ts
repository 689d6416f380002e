import { childrenNamed, type XmlElement } from '../plugin/xml.js';
import type { CheckFamily, Location, RuleMeta } from './types.js';

const FILE = 'environment.xml';

/**
 * Moodle reads a plugin's environment.xml with xmlize() (errors ignored, element names
 * case-sensitive) and uses the first `<PLUGIN>` under `<COMPATIBILITY_MATRIX>` only when its
 * `name` equals the component (environment_verify_plugin); otherwise it falls back to `<MOODLE
 * version="x.y">` sections matching the exact Moodle version, and else checks nothing.
 */
export const ENVIRONMENT_RULES: readonly RuleMeta[] = [
  {
    id: 'environment/malformed',
    severity: 'warning',
    title: 'environment.xml is not well-formed',
    why: 'Moodle parses it with xmlize() and ignores parse errors: everything after the first error is silently dropped, so requirements you declared are not checked at install or upgrade.',
    fix: 'Fix the XML (every tag closed, one <COMPATIBILITY_MATRIX> root).',
  },
  {
    id: 'environment/plugin-name',
    severity: 'warning',
    title: 'environment.xml has no <PLUGIN name> for this plugin',
    why: "Moodle applies a plugin's requirements only from the first <PLUGIN> element under <COMPATIBILITY_MATRIX> whose name equals the component. Otherwise the requirements are silently ignored and the plugin installs on servers that lack what it needs.",
    fix: 'Use `<COMPATIBILITY_MATRIX><PLUGIN name="<component>">…</PLUGIN></COMPATIBILITY_MATRIX>` (element names in upper case).',
  },
];

export const environmentFamily: CheckFamily = {
  family: 'environment',
  rules: ENVIRONMENT_RULES,
  run(ctx) {
    const xml = ctx.plugin.xml(FILE);
    const component = ctx.plugin.component;
    if (xml === undefined || !component) return;
    if ('error' in xml) {
      const { line, column, message } = xml.error;
      ctx.report(
        'environment/malformed',
        { file: FILE, line, column },
        `${FILE} is not well-formed XML: ${message}. Moodle silently ignores the requirements after this point.`,
        'Fix the XML.',
      );
      return;
    }
    const hint = `Declare the requirements in <COMPATIBILITY_MATRIX><PLUGIN name="${component}">…</PLUGIN></COMPATIBILITY_MATRIX>.`;
    const root = xml.root;
    const at = (el: XmlElement): Location => ({ file: FILE, line: el.line, column: el.column });
    if (root.name !== 'COMPATIBILITY_MATRIX') {
      ctx.report(
        'environment/plugin-name',
        at(root),
        `${FILE} has root <${root.name}>; Moodle only reads <COMPATIBILITY_MATRIX>, so none of its requirements are checked.`,
        hint,
      );
      return;
    }
    const first = childrenNamed(root, 'PLUGIN')[0];
    if (!first) {
      // The legacy per-version <MOODLE version> form still works (for exactly those versions).
      if (childrenNamed(root, 'MOODLE').length > 0) return;
      ctx.report(
        'environment/plugin-name',
        at(root),
        `${FILE} has no <PLUGIN> element, so Moodle checks none of its requirements.`,
        hint,
      );
      return;
    }
    const name = first.attrs.get('name')?.value;
    if (name === component) return;
    ctx.report(
      'environment/plugin-name',
      at(first),
      name !== undefined
        ? `${FILE}: <PLUGIN name="${name}"> does not name this plugin (${component}), so Moodle ignores its requirements.`
        : `${FILE}: <PLUGIN> has no name attribute, so Moodle ignores its requirements.`,
      `Use <PLUGIN name="${component}">.`,
    );
  },
};
