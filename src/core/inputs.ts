// The user's inputs, named in messages without knowing who reads them. The CLI spells them as
// flags (`--moodle 4.5`), the Action as inputs (`moodle: 4.5`); lower layers write input('moodle',
// '4.5') and the top layer replaces the reference with its own spelling (renderInputs).

/** Every input a lower layer may name. */
export type InputName =
  | 'moodle'
  | 'php'
  | 'db'
  | 'offline'
  | 'no-moodle'
  | 'upgrade-from'
  | 'extra-plugin'
  | 'blueprint'
  | 'timeout'
  | 'phpunit'
  | 'phpunit-args'
  | 'smoke'
  | 'no-smoke'
  | 'port';

/** How one front end spells an input (with the value the message gives, if any). */
export type InputSpelling = (name: InputName, value?: string) => string;

const OPEN = '\u27e6';
const CLOSE = '\u27e7';
const REFERENCE = /\u27e6([a-z-]+)(?:=([^\u27e7]*))?\u27e7/g;

/** A reference to an input, to be spelled by the CLI or the Action. */
export function input(name: InputName, value?: string): string {
  return `${OPEN}${name}${value !== undefined ? `=${value.replaceAll(CLOSE, '')}` : ''}${CLOSE}`;
}

/** Replaces every input reference in `text` with its spelling. */
export function renderInputs(text: string, spell: InputSpelling): string {
  return text.includes(OPEN)
    ? text.replace(REFERENCE, (_m, name: string, value?: string) => spell(name as InputName, value))
    : text;
}

/** The same for every string inside a JSON-like value (a report), returning a new value. */
export function renderInputsDeep<T>(value: T, spell: InputSpelling): T {
  if (typeof value === 'string') return renderInputs(value, spell) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => renderInputsDeep(v, spell)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderInputsDeep(v, spell);
    return out as T;
  }
  return value;
}

/** The command line's spelling (`--moodle 4.5`, `--no-moodle`): the default of every report. */
export const CLI_SPELLING: InputSpelling = (name, value) =>
  value !== undefined ? `--${name} ${value}` : `--${name}`;
