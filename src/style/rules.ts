// The cs/* rules. Their ids are phpcs's own sniff codes (`cs/moodle.Files.BoilerplateComment.Wrong`),
// so they are made from what phpcs reports; the catalogue holds one entry per severity that stands
// for them all in the docs and the config's family list.
import type { Severity } from '../core/finding.js';

import { CS_FAMILY, type RuleMeta } from '../core/rules.js';

const WHY =
  'The Plugins directory’s prechecker and moodle-plugin-ci run PHP_CodeSniffer with Moodle’s moodle standard (moodlehq/moodle-cs) and show every error and warning it reports; reviewers ask for them to be fixed before approval.';
const FIX =
  'Fix the code as the message says; fixable ones can be fixed by phpcbf with the same standard. A plugin ruleset (.phpcs.xml, phpcs.xml, .phpcs.xml.dist, phpcs.xml.dist at the plugin root) is honoured, so a sniff can be excluded there; or disable cs/<code> or cs/* in .moodle-plugin-check.yml.';

/** The catalogue's stand-ins: what every cs/* finding of that severity is. */
export const CS_RULES: readonly RuleMeta[] = [
  {
    id: 'cs/Sniff.Error.Code',
    severity: 'error',
    title: 'A phpcs error of the moodle standard: the rule id is the sniff code (cs/<code>)',
    why: WHY,
    fix: FIX,
  },
  {
    id: 'cs/Sniff.Warning.Code',
    severity: 'warning',
    title: 'A phpcs warning of the moodle standard: the rule id is the sniff code (cs/<code>)',
    why: WHY,
    fix: FIX,
  },
];

/** The rule of one sniff code at the severity phpcs gave it. */
export function csRule(source: string, severity: Severity): RuleMeta {
  return {
    id: `${CS_FAMILY}/${source}`,
    severity,
    title: `phpcs: ${source}`,
    why: WHY,
    fix: FIX,
  };
}
