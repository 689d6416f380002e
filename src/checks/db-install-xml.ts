// db/install.xml: what Moodle's XMLDB loader (xmldb_structure/table/field/key/index) and DDL
// generator (sql_generator::getCreateTableSQL and the validateDefinition() methods) refuse.
import type { CheckContext } from './types.js';
import { checkField, NAME_RE, type FieldInfo } from './db-install-xml-field.js';
export { INSTALL_XML_RULES } from './db-install-xml-rules.js';
import { attrPos, childrenNamed, type XmlElement } from '../plugin/xml.js';

const FILE = 'db/install.xml';

type Report = CheckContext['report'];

const KEY_TYPES = new Set(['primary', 'unique', 'foreign', 'foreign-unique']);
const OBJECT_NAME_RE = /^[a-z0-9_ -]+$/i;
const splitFields = (s: string): string[] =>
  s
    .toLowerCase()
    .split(',')
    .map((f) => f.trim());

export function checkInstallXml(ctx: CheckContext): void {
  const parsed = ctx.plugin.xml(FILE);
  if (parsed === undefined) return;
  const report: Report = (id, where, message, hint) => {
    ctx.report(id, { file: FILE, ...where }, message, hint);
  };
  if ('error' in parsed) {
    const { message, line, column } = parsed.error;
    report(
      'db/install-xml-malformed',
      { line, column },
      `db/install.xml is not well-formed: ${message}`,
    );
    return;
  }
  const root = parsed.root;
  if (root.name !== 'XMLDB') {
    report(
      'db/xmldb-structure',
      root,
      `db/install.xml has root element <${root.name}>; XMLDB files start with <XMLDB>.`,
    );
    return;
  }
  for (const attr of ['PATH', 'VERSION', 'COMMENT']) {
    if (!root.attrs.has(attr))
      report('db/xmldb-structure', root, `<XMLDB> has no ${attr} attribute.`);
  }
  checkPath(ctx, root, report);

  const tablesEl = childrenNamed(root, 'TABLES')[0];
  if (!tablesEl) {
    report('db/xmldb-structure', root, '<XMLDB> has no <TABLES> section.');
    return;
  }
  const tables = childrenNamed(tablesEl, 'TABLE');
  const supportsPre43 = ctx.plugin.targetBranches().some((b) => b.branch < 403);
  const tableMax = supportsPre43 ? 28 : 53;
  const fieldMax = supportsPre43 ? 30 : 63;
  const limitNote = supportsPre43
    ? ' (the limit before Moodle 4.3, which this plugin supports)'
    : '';
  const tableFields = new Map<string, Map<string, FieldInfo>>();
  const seenTables = new Set<string>();
  for (const table of tables) {
    const name = table.attrs.get('NAME')?.value.trim();
    if (name === undefined) {
      report('db/xmldb-structure', table, '<TABLE> has no NAME attribute.');
      continue;
    }
    const where = attrPos(table, 'NAME');
    if (seenTables.has(name))
      report('db/duplicate-name', where, `Table "${name}" is defined twice in db/install.xml.`);
    seenTables.add(name);
    if (!NAME_RE.test(name)) {
      report(
        'db/table-name',
        where,
        `Table name "${name}" must be lower-case a-z, 0-9 and _, starting with a letter.`,
      );
    } else if (name.length > tableMax) {
      report(
        'db/table-name',
        where,
        `Table name "${name}" is ${name.length} characters; the limit is ${tableMax}${limitNote}.`,
      );
    }
    if (!table.attrs.has('COMMENT'))
      report('db/xmldb-structure', table, `Table "${name}" has no COMMENT attribute.`);
    tableFields.set(name, checkTable(table, name, fieldMax, limitNote, report));
  }
  // Foreign keys into tables of this same file can be checked against their fields.
  for (const table of tables) {
    for (const key of childrenNamed(childrenNamed(table, 'KEYS')[0], 'KEY')) {
      const reftable = key.attrs.get('REFTABLE')?.value.trim().toLowerCase();
      const reffields = key.attrs.get('REFFIELDS')?.value;
      const target = reftable === undefined ? undefined : tableFields.get(reftable);
      if (!target || reffields === undefined) continue;
      for (const f of splitFields(reffields)) {
        if (f !== '' && !target.has(f)) {
          report(
            'db/foreign-key-reference',
            attrPos(key, 'REFFIELDS'),
            `Key "${key.attrs.get('NAME')?.value ?? ''}" references ${reftable}.${f}, which db/install.xml does not define.`,
          );
        }
      }
    }
  }
}

function checkPath(ctx: CheckContext, root: XmlElement, report: Report): void {
  const path = root.attrs.get('PATH')?.value.trim();
  const info = ctx.plugin.typeInfo;
  const name = ctx.plugin.name;
  if (path === undefined || !info || !name) return;
  const expected = `${info.path}/${name}/db`;
  if (path.replace(/^\/+|\/+$/g, '') !== expected) {
    report(
      'db/xmldb-path',
      attrPos(root, 'PATH'),
      `<XMLDB PATH="${path}"> should be "${expected}".`,
    );
  }
}

function checkTable(
  table: XmlElement,
  tname: string,
  fieldMax: number,
  limitNote: string,
  report: Report,
): Map<string, FieldInfo> {
  const fields = new Map<string, FieldInfo>();
  const fieldsEl = childrenNamed(table, 'FIELDS')[0];
  if (!fieldsEl) report('db/xmldb-structure', table, `Table "${tname}" has no <FIELDS> section.`);
  for (const f of childrenNamed(fieldsEl, 'FIELD')) {
    const info = checkField(f, tname, fieldMax, limitNote, report);
    if (!info) continue;
    if (fields.has(info.name)) {
      report(
        'db/duplicate-name',
        attrPos(f, 'NAME'),
        `Field "${info.name}" is defined twice in table "${tname}".`,
      );
    } else fields.set(info.name, info);
  }

  const keysEl = childrenNamed(table, 'KEYS')[0];
  if (!keysEl) {
    report(
      'db/missing-primary-key',
      table,
      `Table "${tname}" has no <KEYS> section, so it has no primary key.`,
    );
  }
  const keyFieldLists: { fields: string; type: string }[] = [];
  const primaries: XmlElement[] = [];
  const names = new Set<string>();
  const checkName = (el: XmlElement, what: string): void => {
    const n = el.attrs.get('NAME')?.value.trim();
    if (n === undefined) {
      report('db/xmldb-structure', el, `A ${what} in table "${tname}" has no NAME attribute.`);
      return;
    }
    if (!OBJECT_NAME_RE.test(n)) {
      report(
        'db/index-name',
        attrPos(el, 'NAME'),
        `The ${what} name "${n}" in table "${tname}" has invalid characters.`,
      );
    }
    if (names.has(`${what}:${n}`)) {
      report(
        'db/duplicate-name',
        attrPos(el, 'NAME'),
        `The ${what} "${n}" is defined twice in table "${tname}".`,
      );
    }
    names.add(`${what}:${n}`);
  };
  const checkRefs = (el: XmlElement, what: string): string[] | undefined => {
    const raw = el.attrs.get('FIELDS')?.value;
    if (raw === undefined || raw.trim() === '') {
      report('db/xmldb-structure', el, `A ${what} in table "${tname}" has no FIELDS.`);
      return undefined;
    }
    const list = splitFields(raw);
    for (const f of list) {
      if (!fields.has(f)) {
        report(
          'db/unknown-field-reference',
          attrPos(el, 'FIELDS'),
          `The ${what} "${el.attrs.get('NAME')?.value ?? ''}" in table "${tname}" uses field "${f}", which the table does not have.`,
        );
      }
    }
    return list;
  };

  for (const key of childrenNamed(keysEl, 'KEY')) {
    checkName(key, 'key');
    const type = key.attrs.get('TYPE')?.value.trim().toLowerCase();
    if (type === undefined || !KEY_TYPES.has(type)) {
      report(
        'db/xmldb-structure',
        attrPos(key, 'TYPE'),
        `Key "${key.attrs.get('NAME')?.value ?? ''}" in table "${tname}" has ${type === undefined ? 'no TYPE' : `TYPE "${type}"`}; use primary, unique, foreign or foreign-unique.`,
      );
    }
    const isForeign = type === 'foreign' || type === 'foreign-unique';
    for (const attr of ['REFTABLE', 'REFFIELDS']) {
      const has = key.attrs.has(attr) && key.attrs.get(attr)!.value.trim() !== '';
      if (isForeign && !has) {
        report(
          'db/xmldb-structure',
          key,
          `Foreign key "${key.attrs.get('NAME')?.value ?? ''}" has no ${attr}.`,
        );
      } else if (!isForeign && key.attrs.has(attr) && type !== undefined && KEY_TYPES.has(type)) {
        report(
          'db/xmldb-structure',
          attrPos(key, attr),
          `Only foreign keys may have ${attr} (key is ${type}).`,
        );
      }
    }
    const list = checkRefs(key, 'key');
    if (type === 'primary') primaries.push(key);
    if (list && type !== undefined) {
      keyFieldLists.push({ fields: list.join(','), type });
      if (type !== 'primary') checkIndexable(key, list, fields, tname, report);
    }
  }

  const indexesEl = childrenNamed(table, 'INDEXES')[0];
  for (const index of childrenNamed(indexesEl, 'INDEX')) {
    checkName(index, 'index');
    const unique = index.attrs.get('UNIQUE')?.value.trim().toLowerCase();
    if (unique !== 'true' && unique !== 'false') {
      report(
        'db/xmldb-structure',
        attrPos(index, 'UNIQUE'),
        `Index "${index.attrs.get('NAME')?.value ?? ''}" needs UNIQUE="true" or "false".`,
      );
    }
    const list = checkRefs(index, 'index');
    if (!list) continue;
    checkIndexable(index, list, fields, tname, report);
    const clash = keyFieldLists.find((k) => k.fields === list.join(','));
    if (clash) {
      report(
        'db/index-duplicates-key',
        attrPos(index, 'FIELDS'),
        `Index "${index.attrs.get('NAME')?.value ?? ''}" in table "${tname}" covers the same fields (${list.join(', ')}) as a ${clash.type} key.`,
      );
    }
  }

  if (keysEl) checkPrimary(table, tname, fields, primaries, report);
  return fields;
}

function checkPrimary(
  table: XmlElement,
  tname: string,
  fields: Map<string, FieldInfo>,
  primaries: XmlElement[],
  report: Report,
): void {
  if (primaries.length > 1) {
    report(
      'db/missing-primary-key',
      primaries[1]!,
      `Table "${tname}" has more than one primary key.`,
    );
    return;
  }
  const sequences = [...fields.values()].filter((f) => f.sequence);
  const pk = primaries[0];
  const pkFields = pk ? splitFields(pk.attrs.get('FIELDS')?.value ?? '') : [];
  let refused = false;
  for (const s of sequences) {
    if (pkFields[0] !== s.name) {
      refused = true;
      report(
        'db/missing-primary-key',
        pk ?? table,
        `Table "${tname}": SEQUENCE field "${s.name}" is not the primary key, so Moodle's DDL throws ddsequenceerror.`,
      );
    }
  }
  if (sequences.length > 0) {
    if (!refused && (pkFields.join(',') !== 'id' || fields.get('id')?.sequence !== true)) {
      report(
        'db/primary-key-not-id',
        pk ?? table,
        `Table "${tname}" should have the SEQUENCE field "id" as its primary key.`,
      );
    }
    return;
  }
  if (!pk) {
    report(
      'db/primary-key-not-id',
      table,
      `Table "${tname}" has no primary key and no SEQUENCE "id" field.`,
    );
  } else {
    report(
      'db/primary-key-not-id',
      pk,
      `Table "${tname}" has no SEQUENCE "id" field as its primary key.`,
    );
  }
}

function checkIndexable(
  el: XmlElement,
  list: string[],
  fields: Map<string, FieldInfo>,
  tname: string,
  report: Report,
): void {
  let total = 0;
  const where = attrPos(el, 'FIELDS');
  const label = `${el.name === 'KEY' ? 'key' : 'index'} "${el.attrs.get('NAME')?.value ?? ''}" in table "${tname}"`;
  for (const name of list) {
    const f = fields.get(name);
    if (!f) continue;
    if (f.type === 'text' || f.type === 'binary') {
      report(
        'db/index-field',
        where,
        `The ${label} covers ${f.type} field "${name}", which cannot be indexed.`,
      );
      return;
    }
    if (f.type === 'char') {
      const len = f.length ?? 0;
      if (len > 255) {
        report(
          'db/index-field',
          where,
          `The ${label} covers char(${len}) field "${name}"; indexed char fields are limited to 255.`,
        );
        return;
      }
      total += len * 3;
    } else total += f.type === 'number' ? 12 : 8;
  }
  if (total > 999) {
    report(
      'db/index-field',
      where,
      `The ${label} spans about ${total} bytes; Moodle limits composed indexes to 999 bytes.`,
    );
  }
}
