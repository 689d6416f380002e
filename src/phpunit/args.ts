// `--phpunit-args` (the Action's `phpunit-args`): PHPUnit options passed through to the run.
// Only options that select or order tests, or make PHPUnit stricter, are accepted: nothing that
// writes files, loads code or replaces our configuration.
import { UserError } from '../core/errors.js';
import { input } from '../core/inputs.js';

/** Options that take a value (the next word, or `=value`). */
const WITH_VALUE = new Set([
  '--filter',
  '--testsuite',
  '--exclude-testsuite',
  '--group',
  '--exclude-group',
  '--covers',
  '--uses',
  '--order-by',
  '--random-order-seed',
  '--exclude-filter',
]);
const FLAGS = new Set([
  '--stop-on-defect',
  '--stop-on-error',
  '--stop-on-failure',
  '--stop-on-warning',
  '--stop-on-risky',
  '--stop-on-skipped',
  '--stop-on-incomplete',
  '--fail-on-warning',
  '--fail-on-risky',
  '--fail-on-skipped',
  '--fail-on-incomplete',
  '--fail-on-deprecation',
  '--fail-on-notice',
  '--fail-on-empty-test-suite',
  '--disallow-test-output',
  '--enforce-time-limit',
  '--dont-report-useless-tests',
  '--strict-coverage',
  '--strict-global-state',
  '--testdox',
  '--debug',
  '--reverse-list',
]);

/** Splits like a shell does for words and quotes ("a b", 'a b', a\ b); no expansion. */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: '"' | "'" | undefined;
  let has = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) cur += text.charAt(++i);
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text.charAt(++i);
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur !== '') out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (quote)
    throw new UserError(
      `${input('phpunit-args', text)}: a quote is not closed.`,
      'Close the quote.',
    );
  if (has || cur !== '') out.push(cur);
  return out;
}

/** The words of `--phpunit-args`, checked; anything else is bad input naming the option. */
export function parsePhpunitArgs(text: string | undefined): string[] {
  if (text === undefined || text.trim() === '') return [];
  const words = splitArgs(text);
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const name = w.includes('=') ? w.slice(0, w.indexOf('=')) : w;
    if (WITH_VALUE.has(name)) {
      if (w.includes('=')) out.push(name, w.slice(name.length + 1));
      else {
        const v = words[++i];
        if (v === undefined)
          throw new UserError(
            `${input('phpunit-args', text)}: ${name} needs a value.`,
            `Write ${name} <value>.`,
          );
        out.push(name, v);
      }
    } else if (FLAGS.has(w)) out.push(w);
    else
      throw new UserError(
        `${input('phpunit-args', text)}: ${w} is not accepted.`,
        `Use options that select tests or make PHPUnit stricter: ${[...WITH_VALUE].slice(0, 5).join(', ')}, --stop-on-failure, …; configuration, bootstrap, logging and coverage options are moodle-plugin-check’s (use --junit for JUnit XML).`,
      );
  }
  return out;
}
