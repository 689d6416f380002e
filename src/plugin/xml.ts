import { XMLValidator } from 'fast-xml-parser';
import { lineIndex } from './position.js';

/**
 * A small element tree with source positions, for every XML file a plugin ships (install.xml,
 * thirdpartylibs.xml, environment.xml). fast-xml-parser's validator decides well-formedness but
 * reports no element positions, and every finding needs a line; once a document is known to be
 * well-formed, a tag scanner builds the tree. Text content is kept for elements that have it.
 */
export interface XmlElement {
  name: string;
  attrs: Map<string, XmlAttribute>;
  children: XmlElement[];
  /** Character data directly inside the element (entities decoded, CDATA included), untrimmed. */
  text: string;
  line: number;
  column: number;
}

export interface XmlAttribute {
  value: string;
  line: number;
  column: number;
}

export type XmlParse =
  { root: XmlElement } | { error: { message: string; line: number; column: number } };

const TAG = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/y;
const ATTR = /([^\s=/>]+)\s*=\s*("([^"]*)"|'([^']*)')/g;
const ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};

function decode(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e.startsWith('#x') || e.startsWith('#X'))
      return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? m;
  });
}

export function parseXml(text: string): XmlParse {
  // fast-xml-validator is not a dependency; the validator bundled with the parser is the same code.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    return { error: { message: valid.err.msg, line: valid.err.line, column: valid.err.col } };
  }
  const at = lineIndex(text);
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    if (lt < 0) break;
    const top = stack.at(-1);
    if (top && lt > i) top.text += decode(text.slice(i, lt));
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      i = end < 0 ? text.length : end + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', lt)) {
      const end = text.indexOf(']]>', lt + 9);
      if (top) top.text += text.slice(lt + 9, end < 0 ? text.length : end);
      i = end < 0 ? text.length : end + 3;
      continue;
    }
    if (text.startsWith('<?', lt) || text.startsWith('<!', lt)) {
      const end = text.indexOf('>', lt + 2);
      i = end < 0 ? text.length : end + 1;
      continue;
    }
    TAG.lastIndex = lt;
    const m = TAG.exec(text);
    if (!m) {
      i = lt + 1;
      continue;
    }
    i = TAG.lastIndex;
    const [, closing, name, attrText, selfClosing] = m;
    if (closing) {
      stack.pop();
      continue;
    }
    const el: XmlElement = { name: name!, attrs: new Map(), children: [], text: '', ...at(lt) };
    const attrBase = lt + 1 + name!.length;
    for (const a of (attrText ?? '').matchAll(ATTR)) {
      const raw = a[3] ?? a[4] ?? '';
      el.attrs.set(a[1]!, { value: decode(raw), ...at(attrBase + a.index) });
    }
    const parent = stack.at(-1);
    if (parent) parent.children.push(el);
    else root ??= el;
    if (!selfClosing) stack.push(el);
  }
  return root
    ? { root }
    : { error: { message: 'The document has no root element.', line: 1, column: 1 } };
}

export function childrenNamed(el: XmlElement | undefined, name: string): XmlElement[] {
  return el ? el.children.filter((c) => c.name === name) : [];
}

/** Where an attribute sits, or its element when it is absent. */
export function attrPos(el: XmlElement, name: string): { line: number; column: number } {
  const a = el.attrs.get(name);
  return a ? { line: a.line, column: a.column } : { line: el.line, column: el.column };
}

/** Trimmed text of the first child element with that name, if any. */
export function childText(el: XmlElement | undefined, name: string): string | undefined {
  return childrenNamed(el, name)[0]?.text.trim();
}
