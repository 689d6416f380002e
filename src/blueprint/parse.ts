// Loads a blueprint from any of the forms the Moodle Playground accepts in `?blueprint=`
// (inline JSON, base64/base64url, a data: URL) or from a file, validates it against
// blueprints/blueprint-schema.json, substitutes `{{CONSTANTS}}` and checks `@resource`
// references — so the executor only ever sees a blueprint it can run.
import { lstatSync, statSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import schema from '../../blueprints/blueprint-schema.json' with { type: 'json' };
import { UserError } from '../core/errors.js';
import { readUserFile } from '../core/host-paths.js';
import { siteVfsPath } from './paths.js';
import { FILE_STEP_PATHS } from './steps/files.js';
import { DecodeError, decodeBase64, decodeDataUrl, utf8 } from './encoding.js';
import { jsonErrorIndex, lineColumn } from './json-position.js';
import { describePointer, didYouMean, explainSchemaErrors, sentence } from './schema-errors.js';
import type { Blueprint, LoadedBlueprint } from './types.js';
import { CONTEXT_KEYS, type ContextConstants } from './context.js';

/** Every step name of the format, in the schema's order. */
export const STEP_NAMES: readonly string[] = schema.definitions.step.properties.step.enum;

/** Several problems found at once; `problems` holds one line each. */
export class BlueprintError extends UserError {
  readonly problems: readonly string[];
  constructor(
    readonly source: string,
    problems: readonly string[],
    hint?: string,
  ) {
    problems = problems.map(sentence);
    super(
      problems.length === 1
        ? `${source}: ${problems[0] ?? ''}`
        : `${source}: ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      hint,
    );
    this.problems = problems;
  }
}

let validator: ValidateFunction | undefined;
function validate(data: unknown): ValidateFunction['errors'] {
  // strict off: the schema is also for editors, whose keywords (description, anyOf of
  // `required`) ajv's strict mode would reject. verbose: explainSchemaErrors needs parentSchema.
  validator ??= new Ajv({ allErrors: true, strict: false, verbose: true }).compile(schema);
  return validator(data) ? null : validator.errors;
}

function parseJson(text: string, source: string): unknown {
  const clean = text.replace(/^\uFEFF/, '');
  try {
    return JSON.parse(clean) as unknown;
  } catch {
    const at = jsonErrorIndex(clean);
    const { line, column } = lineColumn(clean, at < 0 ? clean.length : at);
    const found =
      at >= clean.length || at < 0
        ? 'the text ends early'
        : `unexpected ${JSON.stringify(clean[at])}`;
    // JSON.parse's own message quotes the text around the error; a file the user points at by
    // mistake (a credentials file) must not end up in a job log, so only the position is shown.
    throw new UserError(
      `${source}: not valid JSON at line ${line}, column ${column}: ${found}.`,
      'A blueprint is one JSON object; check the brackets, commas and quotes around that place.',
    );
  }
}

interface Decoded {
  text: string;
  source: string;
  baseDir?: string;
}

const BASE64ISH = /^[A-Za-z0-9+/_=\s-]+$/;

/** A blueprint file may carry base64 resources, but not without bound. */
const MAX_BLUEPRINT_BYTES = 64 * 1024 * 1024;

function decodeInput(input: string, cwd: string): Decoded {
  const trimmed = input.trim();
  if (trimmed === '')
    throw new UserError('The blueprint is empty.', 'Give a file, JSON, base64 or a data: URL.');
  if (trimmed.startsWith('{') || trimmed.startsWith('['))
    return { text: trimmed, source: 'inline blueprint JSON' };
  if (/^data:/i.test(trimmed)) {
    try {
      const { bytes } = decodeDataUrl(trimmed);
      return { text: utf8(bytes), source: 'blueprint data: URL' };
    } catch (e) {
      if (e instanceof DecodeError)
        throw new UserError(
          `blueprint data: URL: ${e.message}.`,
          'Expected data:application/json;base64,<base64> or data:application/json,<percent-encoded JSON>.',
        );
      throw e;
    }
  }
  const file = path.resolve(cwd, input);
  if (lstatSync(file, { throwIfNoEntry: false })) {
    try {
      if (statSync(file, { throwIfNoEntry: false })?.isDirectory())
        throw new UserError(`${input}: is a folder, not a blueprint file.`);
      const bytes = readUserFile(file, { shown: input, maxBytes: MAX_BLUEPRINT_BYTES });
      return { text: utf8(bytes), source: input, baseDir: path.dirname(file) };
    } catch (e) {
      if (e instanceof UserError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new UserError(`${input}: cannot read the blueprint: ${code ?? (e as Error).message}.`);
    }
  }
  // Not a file: the Playground's `?blueprint=` forms. A file name that merely does not exist
  // looks like a path (a dot or a slash in a base64-free place), so say that instead.
  if (BASE64ISH.test(trimmed) && !/\.json$/i.test(trimmed)) {
    let text: string;
    try {
      text = utf8(decodeBase64(trimmed));
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      throw new UserError(
        `"${short(trimmed)}" is not a file, and not valid base64 (${e.message}).`,
        'Give a blueprint file, inline JSON, base64/base64url of JSON, or a data: URL.',
      );
    }
    if (!/^\s*[{[]/.test(text))
      throw new UserError(
        `"${short(trimmed)}" is not a file, and its base64 decoding is not JSON.`,
        'Give a blueprint file, inline JSON, base64/base64url of JSON, or a data: URL.',
      );
    return { text, source: 'base64 blueprint' };
  }
  throw new UserError(
    `${input}: cannot read the blueprint: no such file (looked in ${path.dirname(file)}).`,
  );
}

function short(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}…` : s;
}

const CONSTANT = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Replaces `{{KEY}}` in every string value (not in keys, not in `constants` itself). */
function substitute(
  value: unknown,
  constants: Record<string, string>,
  pointer: string,
  problems: string[],
  root: unknown,
): unknown {
  if (typeof value === 'string')
    return value.replace(CONSTANT, (whole, key: string) => {
      if (Object.hasOwn(constants, key)) return constants[key]!;
      const guess = didYouMean(key, Object.keys(constants));
      if ((CONTEXT_KEYS as readonly string[]).includes(key)) {
        problems.push(
          `${describePointer(root, pointer)}: ${whole} is the repository's context (the Playground takes it from ?repo=/?ref=), which is not known here: run in a git checkout with an origin remote (or in the Action), or set it in "constants".`,
        );
        return whole;
      }
      problems.push(
        `${describePointer(root, pointer)}: unknown constant ${whole}${guess ? ` — did you mean {{${guess}}}?` : Object.keys(constants).length ? ` (defined: ${Object.keys(constants).join(', ')})` : ' (the blueprint defines no "constants")'}`,
      );
      return whole;
    });
  if (Array.isArray(value))
    return value.map((v, i) => substitute(v, constants, `${pointer}/${i}`, problems, root));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        pointer === '' && k === 'constants'
          ? v
          : substitute(
              v,
              constants,
              `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`,
              problems,
              root,
            ),
      ]),
    );
  return value;
}

/** Inline data (base64, data: URLs) must decode: better at validation than mid-run. */
function checkInlineData(d: unknown, where: string, problems: string[]): void {
  if (!d || typeof d !== 'object') return;
  const desc = d as { base64?: unknown; 'data-url'?: unknown };
  try {
    if (typeof desc.base64 === 'string') decodeBase64(desc.base64);
    if (typeof desc['data-url'] === 'string') decodeDataUrl(desc['data-url']);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    const what = typeof desc.base64 === 'string' ? 'base64 is invalid:' : 'the data: URL';
    problems.push(`${where}: ${what} ${e.message}`);
  }
}

/** `@name` in any `data` field must name a resource; inline data must decode. */
function checkReferences(bp: Blueprint, problems: string[]): void {
  const defined = Object.keys(bp.resources ?? {});
  for (const [name, d] of Object.entries(bp.resources ?? {}))
    checkInlineData(d, `resources/${name}`, problems);
  const walk = (v: unknown, pointer: string): void => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        walk(x, `${pointer}/${i}`);
      });
    } else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        if (k === 'data' && typeof x === 'string' && x.startsWith('@')) {
          const name = x.slice(1);
          if (!Object.hasOwn(bp.resources ?? {}, name)) {
            const guess = didYouMean(name, defined);
            problems.push(
              `${describePointer(bp, `${pointer}/data`)}: "${x}" names no resource${guess ? ` — did you mean "@${guess}"?` : defined.length ? ` (defined: ${defined.join(', ')})` : ' (the blueprint defines no "resources")'}`,
            );
          }
        } else {
          if (k === 'data') checkInlineData(x, describePointer(bp, `${pointer}/data`), problems);
          walk(x, `${pointer}/${k}`);
        }
      }
  };
  bp.steps.forEach((s, i) => {
    walk(s, `/steps/${i}`);
  });
  checkPaths(bp, problems);
}

/**
 * Every site path a step names, and every `vfs` or `bundled` resource, is judged before anything
 * runs: `blueprint validate` and `check` refuse a blueprint that would leave the site.
 */
function checkPaths(bp: Blueprint, problems: string[]): void {
  const sitePath = (p: unknown, field: string): void => {
    if (typeof p !== 'string') return;
    try {
      siteVfsPath(p, field);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      problems.push(e.hint ? `${e.message} ${e.hint}` : e.message);
    }
  };
  const descriptor = (d: unknown, field: string): void => {
    if (!d || typeof d !== 'object' || Array.isArray(d)) return;
    const o = d as Record<string, unknown>;
    if ('vfs' in o) sitePath(o.vfs, `${field}.vfs`);
    if (typeof o.bundled === 'string') {
      const rel = o.bundled.replace(/\\/g, '/');
      if (
        rel.includes('\0') ||
        rel.startsWith('/') ||
        /^[A-Za-z]:/.test(rel) ||
        rel.split('/').includes('..')
      )
        problems.push(
          `${field}.bundled: "${o.bundled}" leaves the blueprint's folder. A bundled resource is a file in the blueprint’s folder or below it.`,
        );
    }
  };
  for (const [name, d] of Object.entries(bp.resources ?? {})) descriptor(d, `resources/${name}`);
  bp.steps.forEach((step, i) => {
    const where = describePointer(bp, `/steps/${i}`);
    for (const key of FILE_STEP_PATHS[step.step] ?? [])
      if (key in step) sitePath(step[key], `${where}.${key}`);
    if (step.step === 'writeFiles' && Array.isArray(step.files))
      (step.files as unknown[]).forEach((f, j) => {
        if (f && typeof f === 'object') {
          sitePath((f as Record<string, unknown>).path, `${where}.files/${j}.path`);
          descriptor((f as Record<string, unknown>).data, `${where}.files/${j}.data`);
        }
      });
    descriptor(step.data, `${where}.data`);
  });
}

/** Validates an already-parsed blueprint object; `source` prefixes every message. */
export function checkBlueprint(
  data: unknown,
  source: string,
  context: ContextConstants = {},
): Blueprint {
  const errors = validate(data);
  if (errors) throw new BlueprintError(source, explainSchemaErrors(errors, data, STEP_NAMES));
  const raw = data as Blueprint;
  const problems: string[] = [];
  // As in the Playground, the repository's context wins over the blueprint's own constants.
  const constants = { ...(raw.constants ?? {}), ...context };
  const bp = substitute(raw, constants, '', problems, raw) as Blueprint;
  if (problems.length > 0) throw new BlueprintError(source, problems);
  // Substituted values must still fit (a constant can turn into a non-URL, say).
  const again = validate(bp);
  if (again)
    throw new BlueprintError(
      source,
      explainSchemaErrors(again, bp, STEP_NAMES).map((p) => `after constants substitution, ${p}`),
    );
  checkReferences(bp, problems);
  if (problems.length > 0) throw new BlueprintError(source, problems);
  return bp;
}

/**
 * Loads a blueprint from a file path (relative to `cwd`), inline JSON, base64/base64url of
 * JSON, or a `data:` URL (base64 or percent-encoded). Bad input throws a UserError (exit 2).
 */
export async function loadBlueprint(
  input: string,
  options: { cwd?: string; context?: ContextConstants } = {},
): Promise<LoadedBlueprint> {
  await Promise.resolve(); // async by contract: a future source (a URL) will need it
  const decoded = decodeInput(input, options.cwd ?? process.cwd());
  const data = parseJson(decoded.text, decoded.source);
  const blueprint = checkBlueprint(data, decoded.source, options.context);
  return {
    blueprint,
    source: decoded.source,
    ...(decoded.baseDir ? { baseDir: decoded.baseDir } : {}),
  };
}
