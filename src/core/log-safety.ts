// Text that reaches a GitHub Actions job log is parsed by the runner for workflow commands: a line
// whose first non-blank characters are `::` (`::add-mask::`, `::stop-commands::`, `::set-output`,
// `::error::`…) and, in the legacy form, `##[` anywhere in a line. PHP output, Moodle's messages,
// file names and finding messages come from the pull request, so every line of them is made inert
// before it is printed: a zero-width space breaks the command prefix without changing what a
// person reads, and terminal escapes (which could hide or rewrite text) are removed.

const ZWSP = '\u200b';

/** CSI and OSC escape sequences (colours, cursor moves, hyperlinks, window titles). */
const ANSI =
  // eslint-disable-next-line no-control-regex
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u009b[0-?]*[ -/]*[@-~]/g;
/** Other control characters, lone ESC included; tab and line feed stay. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;
/** Colour only (SGR), what our own text report adds on a terminal. */
// eslint-disable-next-line no-control-regex
const SGR = /\u001b\[[0-9;]*m/g;
/** Private-use marks standing for a kept colour sequence while the rest is cleaned. */
const KEPT = /\uE000(\d+)\uE001/g;
/** `::` after the blanks .NET's TrimStart removes (JavaScript's \s covers them all). */
const COMMAND_START = /^((?:\s|\uE000\d+\uE001)*):(?=:)/;

export interface NeutraliseOptions {
  /** Keep colour sequences (a terminal's text report); everything else is still removed. */
  keepSgr?: boolean;
}

/** One line or many: every line made inert as a workflow command, escapes and controls gone. */
export function neutralise(text: string, options: NeutraliseOptions = {}): string {
  const kept: string[] = [];
  let t = text.replace(/[\uE000\uE001]/g, '\uFFFD');
  if (options.keepSgr) t = t.replace(SGR, (m) => `\uE000${kept.push(m) - 1}\uE001`);
  t = t
    .replace(ANSI, '')
    .replace(/\r\n?/g, '\n')
    .replace(CONTROL, '\uFFFD')
    .split('\n')
    .map((line) => line.replace(COMMAND_START, `$1:${ZWSP}`).replaceAll('##[', `#${ZWSP}#[`))
    .join('\n');
  return kept.length ? t.replace(KEPT, (_, i: string) => kept[Number(i)] ?? '') : t;
}

/**
 * JSON printed where a job log may read it: `##[` inside a string is written `#\u0023[` (the same
 * JSON value). A line of pretty-printed JSON never starts with `::`.
 */
export function inertJson(json: string): string {
  return json.replaceAll('##[', '#\\u0023[');
}
