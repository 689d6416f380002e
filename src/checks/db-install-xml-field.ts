// One <FIELD> of db/install.xml against xmldb_field's loader and validateDefinition().
import type { CheckContext } from './types.js';
import { attrPos, type XmlElement } from '../plugin/xml.js';

type Report = CheckContext['report'];

export interface FieldInfo {
  name: string;
  type: string;
  length: number | undefined;
  sequence: boolean;
  el: XmlElement;
}

const TYPES = new Set(['int', 'number', 'float', 'char', 'text', 'binary', 'datetime']);
export const NAME_RE = /^[a-z][a-z0-9_]*$/;
const isInt = (s: string): boolean => /^\s*[+-]?\d+(\.0*)?\s*$/.test(s);
const isNumeric = (s: string): boolean => s.trim() !== '' && Number.isFinite(Number(s.trim()));

export function checkField(
  f: XmlElement,
  tname: string,
  fieldMax: number,
  limitNote: string,
  report: Report,
): FieldInfo | undefined {
  const name = f.attrs.get('NAME')?.value.trim();
  if (name === undefined) {
    report('db/xmldb-structure', f, `A <FIELD> in table "${tname}" has no NAME attribute.`);
    return undefined;
  }
  const label = `Field "${tname}.${name}"`;
  if (!NAME_RE.test(name)) {
    report(
      'db/field-name',
      attrPos(f, 'NAME'),
      `${label}: name must be lower-case a-z, 0-9 and _, starting with a letter.`,
    );
  } else if (name.length > fieldMax) {
    report(
      'db/field-name',
      attrPos(f, 'NAME'),
      `${label}: name is ${name.length} characters; the limit is ${fieldMax}${limitNote}.`,
    );
  }
  const rawType = f.attrs.get('TYPE')?.value.trim().toLowerCase();
  if (rawType === undefined) report('db/field-type', f, `${label} has no TYPE attribute.`);
  else if (!TYPES.has(rawType)) {
    report(
      'db/field-type',
      attrPos(f, 'TYPE'),
      `${label} has TYPE="${rawType}"; use int, number, float, char, text or binary.`,
    );
  }
  const type = rawType ?? '';
  for (const attr of ['NOTNULL', 'SEQUENCE']) {
    const v = f.attrs.get(attr)?.value.trim().toLowerCase();
    if (v !== undefined && v !== 'true' && v !== 'false') {
      report(
        'db/xmldb-structure',
        attrPos(f, attr),
        `${label} has ${attr}="${v}"; only "true" or "false" are allowed.`,
      );
    }
  }

  const lengthAttr = f.attrs.get('LENGTH')?.value.trim();
  let length: number | undefined;
  const sized = type === 'int' || type === 'number' || type === 'char';
  if (lengthAttr !== undefined && (sized || type === 'float')) {
    if (!isInt(lengthAttr) || Number(lengthAttr) <= 0) {
      report(
        'db/field-length',
        attrPos(f, 'LENGTH'),
        `${label} has LENGTH="${lengthAttr}"; it must be a positive integer.`,
      );
    } else length = Number(lengthAttr);
  } else if (lengthAttr === undefined && sized) {
    report('db/field-length', f, `${label} is ${type} but has no LENGTH.`);
  }
  const max =
    type === 'char'
      ? 1333
      : type === 'text' || type === 'binary' || type === 'datetime'
        ? Infinity
        : 20;
  if (length !== undefined && length > max) {
    report(
      'db/field-length',
      attrPos(f, 'LENGTH'),
      `${label}: ${type} LENGTH ${length} is over Moodle's limit of ${max}.`,
    );
  }
  const decimals = f.attrs.get('DECIMALS')?.value.trim();
  if (decimals !== undefined && TYPES.has(type)) {
    if (type !== 'number' && type !== 'float') {
      report(
        'db/field-length',
        attrPos(f, 'DECIMALS'),
        `${label} is ${type}; only number and float fields may have DECIMALS.`,
      );
    } else if (!isInt(decimals)) {
      report(
        'db/field-length',
        attrPos(f, 'DECIMALS'),
        `${label} has DECIMALS="${decimals}"; it must be an integer.`,
      );
    } else if (length !== undefined && Number(decimals) >= length) {
      report(
        'db/field-length',
        attrPos(f, 'DECIMALS'),
        `${label}: DECIMALS (${decimals}) must be smaller than LENGTH (${length}).`,
      );
    }
  }
  const def = f.attrs.get('DEFAULT')?.value.trim();
  const badDefault = type === 'int' ? !/^-?\d+$/.test(def ?? '') : !isNumeric(def ?? '');
  if (
    def !== undefined &&
    def !== '' &&
    def !== '0' &&
    (type === 'int' || type === 'number' || type === 'float') &&
    badDefault
  ) {
    report(
      'db/field-default',
      attrPos(f, 'DEFAULT'),
      `${label} is ${type} but DEFAULT="${def}" is not a number.`,
    );
  }
  return {
    name,
    type,
    length,
    sequence: f.attrs.get('SEQUENCE')?.value.trim().toLowerCase() === 'true',
    el: f,
  };
}
