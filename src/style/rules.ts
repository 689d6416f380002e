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

const PHPDOC_WHY =
  'The Plugins directory’s prechecker and moodle-plugin-ci’s phpdoc command run moodlehq/moodle-local_moodlecheck on every PHP file; its problems are listed under “phpdoc” in the prechecker’s report. (Missing docblocks and the @package, @copyright and @license tags moved from moodlecheck to moodle-cs: they are cs/moodle.Commenting.* findings.)';

const phpdoc = (code: string, title: string, fix: string): RuleMeta => ({
  id: `phpdoc/${code}`,
  severity: 'error',
  title,
  why: PHPDOC_WHY,
  fix,
});

/** moodlecheck v1.3.2's rules, one rule each, under their own codes. */
export const PHPDOC_RULES = {
  noinlinephpdocs: phpdoc(
    'noinlinephpdocs',
    'A comment starts with three or more slashes',
    'Write // comments with two slashes.',
  ),
  functionarguments: phpdoc(
    'functionarguments',
    'A function’s phpdoc does not list its parameters as declared (names, types, order), or its @return has no type',
    'Give one @param <type> $<name> per parameter, in order, with the declared type (a nullable ?T as T|null), and a type on @return.',
  ),
  phpdocsinvalidinlinetag: phpdoc(
    'phpdocsinvalidinlinetag',
    'A phpdoc uses an inline tag phpDocumentor does not know',
    'Inline tags are {@link}, {@see}, {@inheritdoc}… ; write other text without the @.',
  ),
  phpdocsuncurlyinlinetag: phpdoc(
    'phpdocsuncurlyinlinetag',
    'An inline phpdoc tag is not enclosed in curly brackets',
    'Write {@link https://…} or {@see \\some\\class}, with the brackets.',
  ),
  phpdoccontentsinlinetag: phpdoc(
    'phpdoccontentsinlinetag',
    'An inline {@link} has no valid URL, or {@see} no single FQSEN',
    'Give {@link <URL> [description]} or {@see <FQSEN> [description]}.',
  ),
  emptynophpfile: phpdoc(
    'emptynophpfile',
    'A .php file is empty or does not start with <?php',
    'Start the file with <?php, or remove it.',
  ),
  other: phpdoc(
    'other',
    'Another moodlecheck rule (its code is in the message)',
    'See moodlecheck’s message.',
  ),
} as const satisfies Record<string, RuleMeta>;

/** moodlecheck's code → our rule; its code for an empty file is the entity &#x00d8; (Ø). */
export function phpdocRule(source: string): RuleMeta {
  if (source === 'Ø') return PHPDOC_RULES.emptynophpfile;
  return Object.hasOwn(PHPDOC_RULES, source)
    ? PHPDOC_RULES[source as keyof typeof PHPDOC_RULES]
    : PHPDOC_RULES.other;
}

const MUSTACHE_WHY =
  'The Plugins directory’s prechecker and moodle-plugin-ci’s mustache command render every template with its example context (moodle-local_ci’s mustache_lint) and validate the HTML; a template without a usable example cannot be checked, nor previewed in the template library (admin/tool/templatelibrary).';

const mustache = (
  code: string,
  severity: RuleMeta['severity'],
  title: string,
  fix: string,
): RuleMeta => ({ id: `mustache/${code}`, severity, title, why: MUSTACHE_WHY, fix });

export const MUSTACHE_RULES = {
  noExample: mustache(
    'example-missing',
    'warning',
    'The template has no example context (an `Example context (json):` in its @template docs)',
    'Add a {{! @template component/name … Example context (json): { … } }} comment with data that renders the template.',
  ),
  badExample: mustache(
    'example-invalid',
    'error',
    'The template’s example context is not valid JSON',
    'Make the JSON after “Example context (json):” parse (no trailing commas, double quotes).',
  ),
  renderFailed: mustache(
    'render-failed',
    'error',
    'The template does not render with Moodle’s Mustache engine (a syntax error, an unknown partial)',
    'Fix the Mustache syntax, or the name of the partial ({{> component/name}}) so that the template exists.',
  ),
  html: mustache(
    'html-malformed',
    'warning',
    'The HTML the template renders is not well-formed (an element left open, closed twice or out of order, a parser error)',
    'Close every element in the order it was opened. A template may be a fragment (an <li>, a <tr>): that is fine. List a template in templates/.mustachelintignore to skip its HTML check.',
  ),
} as const satisfies Record<string, RuleMeta>;

const JS_WHY =
  'The Plugins directory’s prechecker and moodle-plugin-ci’s eslint command run ESLint with Moodle’s .eslintrc on amd/src; reviewers ask for its errors to be fixed.';
const CSS_WHY =
  'The Plugins directory’s prechecker and moodle-plugin-ci’s stylelint command run stylelint with Moodle’s .stylelintrc on the plugin’s CSS and SCSS.';

/** The catalogue's stand-ins for javascript/<ESLint rule> and css/<stylelint rule>. */
export const LINTER_RULES: readonly RuleMeta[] = [
  {
    id: 'javascript/eslint-rule',
    severity: 'error',
    title:
      'An ESLint problem under Moodle’s .eslintrc: the rule id is javascript/<ESLint rule> (promise/always-return → promise-always-return); parse-error when the module does not parse',
    why: JS_WHY,
    fix: 'Fix the code as ESLint says (eslint --fix fixes many); an `// eslint-disable-next-line <rule>` comment where the rule is wrong for the line.',
  },
  {
    id: 'css/stylelint-rule',
    severity: 'error',
    title:
      'A stylelint problem under Moodle’s .stylelintrc: the rule id is css/<stylelint rule> (csstree/validator → csstree-validator); parse-error when the file does not parse',
    why: CSS_WHY,
    fix: 'Fix the CSS as stylelint says (stylelint --fix fixes many); a `/* stylelint-disable-next-line <rule> */` comment where the rule is wrong for the line.',
  },
];

/** The rule of one linter rule at the severity the linter gave it. */
export function linterRule(
  family: 'javascript' | 'css',
  name: string,
  severity: Severity,
): RuleMeta {
  return {
    id: `${family}/${name}`,
    severity,
    title: `${family === 'javascript' ? 'ESLint' : 'stylelint'}: ${name}`,
    why: family === 'javascript' ? JS_WHY : CSS_WHY,
    fix: (LINTER_RULES[family === 'javascript' ? 0 : 1] as RuleMeta).fix,
  };
}
