// Turns ajv's raw errors for blueprints/blueprint-schema.json into one clear line per problem,
// named by the JSON pointer and, inside `steps`, the step's index and name. ajv reports an
// if/then wrapper, every failed branch and every keyword separately; a user wants
// `steps/3 (createCourse): missing required field "shortname"`.
import type { ErrorObject } from 'ajv';

type Json = unknown;

function at(data: Json, pointer: string): Json {
  let cur = data;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, Json>)[key];
  }
  return cur;
}

function typeName(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string')
    return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`;
  if (typeof v === 'number') return `${Number.isInteger(v) ? 'an integer' : 'a number'} (${v})`;
  return `a ${typeof v} (${JSON.stringify(v)})`;
}

export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** The closest name, when it is close enough to be the intended one. */
export function didYouMean(word: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const n of names) {
    const d = n.toLowerCase() === word.toLowerCase() ? 0 : editDistance(word, n);
    if (d < bestD) [best, bestD] = [n, d];
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** `steps/3 (createCourse)` / `steps/3 (createCourse) files/0/data` / `resources/logo`. */
export function describePointer(data: Json, pointer: string): string {
  const m = /^\/steps\/(\d+)(\/.*)?$/.exec(pointer);
  if (m) {
    const step = at(data, `/steps/${m[1]}`);
    const name =
      step && typeof step === 'object' && typeof (step as { step?: unknown }).step === 'string'
        ? ` (${(step as { step: string }).step})`
        : '';
    return `steps/${m[1]}${name}${m[2] ? ` ${m[2].slice(1)}` : ''}`;
  }
  return pointer === '' ? 'the blueprint' : pointer.slice(1);
}

const A_TYPE: Record<string, string> = {
  object: 'an object',
  array: 'an array',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
};

/** Ends a message with one full stop (not after a question mark). */
export const sentence = (s: string): string => (/[.?!]$/.test(s) ? s : `${s}.`);

const RESOURCE_KINDS = 'url, base64, data-url, bundled, vfs, literal';
const isResourceSchema = (s: unknown): boolean =>
  typeof (s as { description?: unknown } | undefined)?.description === 'string' &&
  (s as { description: string }).description.startsWith('Exactly one of: url');

/** One message per problem; needs ajv's `verbose: true` (for parentSchema and data). */
export function explainSchemaErrors(
  errors: readonly ErrorObject[],
  data: Json,
  stepNames: readonly string[],
): string[] {
  const out = new Set<string>();
  const resourceDone = new Set<string>();
  // A malformed descriptor is one problem; errors inside it would only repeat it.
  const broken = errors
    .filter((e) => isResourceSchema(e.parentSchema) && /Properties$/.test(e.keyword))
    .map((e) => `${e.instancePath}/`);
  for (const e of errors) {
    if (broken.some((b) => e.instancePath.startsWith(b))) continue;
    const where = describePointer(data, e.instancePath);
    const parent: Record<string, unknown> | undefined = e.parentSchema;
    const value = at(data, e.instancePath);
    // Wrappers whose real cause is reported by another error of the same batch.
    if (
      e.keyword === 'if' ||
      e.schemaPath.includes('/anyOf/') ||
      e.schemaPath.includes('/propertyNames/') ||
      (e.keyword !== 'propertyNames' && 'propertyName' in e.params)
    )
      continue;
    if (isResourceSchema(parent) && e.keyword !== 'type') {
      if (resourceDone.has(e.instancePath)) continue;
      resourceDone.add(e.instancePath);
      if (e.keyword === 'pattern' || e.keyword === 'minLength') {
        // A field inside a descriptor (e.g. url: "ftp://…") — fall through to the generic case.
      } else {
        const keys =
          value && typeof value === 'object' ? Object.keys(value).map((k) => `"${k}"`) : [];
        out.add(
          `${where}: expected a resource descriptor with exactly one of ${RESOURCE_KINDS}; got ${keys.length ? keys.join(', ') : 'no key'}.`,
        );
        continue;
      }
    }
    switch (e.keyword) {
      case 'enum': {
        const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
        if (/^\/steps\/\d+\/step$/.test(e.instancePath)) {
          const stepWhere = e.instancePath.replace(/\/step$/, '').slice(1);
          if (typeof value !== 'string') {
            out.add(`${stepWhere}: "step" must be a step name string, got ${typeName(value)}.`);
            break;
          }
          const guess = didYouMean(value, stepNames);
          out.add(
            `${stepWhere}: unknown step "${value}"${guess ? ` — did you mean ${guess}?` : ` (known steps: ${stepNames.join(', ')})`}`,
          );
          break;
        }
        out.add(
          `${where}: expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}; got ${typeName(value)}.`,
        );
        break;
      }
      case 'required':
        out.add(
          `${where}: missing required field "${(e.params as { missingProperty: string }).missingProperty}".`,
        );
        break;
      case 'additionalProperties': {
        const key = (e.params as { additionalProperty: string }).additionalProperty;
        const known = Object.keys((parent?.properties as object | undefined) ?? {});
        const guess = didYouMean(key, known);
        const list = known.filter((k) => k !== 'step').join(', ');
        out.add(
          `${where}: unknown field "${key}"${guess ? ` — did you mean "${guess}"?` : list ? ` (allowed: ${list})` : ''}`,
        );
        break;
      }
      case 'type': {
        const t = (e.params as { type: string | string[] }).type;
        const expected = (Array.isArray(t) ? t : [t]).map((x) => A_TYPE[x] ?? x).join(' or ');
        out.add(`${where}: expected ${expected}, got ${typeName(value)}.`);
        break;
      }
      case 'anyOf': {
        const alts = ((parent?.anyOf as { required?: string[] }[] | undefined) ?? [])
          .map((a) => a.required?.map((r) => `"${r}"`).join(' and '))
          .filter(Boolean);
        out.add(
          `${where}: needs ${alts.length ? `one of ${alts.join(' or ')}` : 'a valid value'}.`,
        );
        break;
      }
      case 'pattern': {
        const description = ((parent?.description as string | undefined) ?? '')
          .replace(/\.$/, '')
          .replace(/^[A-Z]/, (c) => c.toLowerCase());
        const shape = e.schemaPath.endsWith('/then/pattern')
          ? '"@name" (a resource reference) or a resource descriptor object'
          : description || `a string matching ${(e.params as { pattern: string }).pattern}`;
        out.add(`${where}: expected ${shape}; got ${typeName(value)}.`);
        break;
      }
      case 'propertyNames':
        out.add(
          `${where}: "${(e.params as { propertyName: string }).propertyName}" is not a valid name (letters, digits, "_"${e.instancePath === '/resources' ? ', "-", "."' : ''}).`,
        );
        break;
      case 'minItems':
        out.add(`${where}: expected at least ${(e.params as { limit: number }).limit} item(s).`);
        break;
      case 'minimum':
        out.add(
          `${where}: expected a number >= ${(e.params as { limit: number }).limit}; got ${typeName(value)}.`,
        );
        break;
      case 'minLength':
        out.add(`${where}: must not be empty.`);
        break;
      default:
        out.add(`${where}: ${e.message ?? 'is invalid'}.`);
    }
  }
  return [...out].map(sentence);
}
