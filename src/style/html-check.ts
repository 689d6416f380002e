// Is a rendered template well-formed HTML? A template is a fragment — an <li>, a <tr>, an
// <option> — so it is judged as one: the HTML parser's own errors (parse5: duplicate attributes,
// bad characters, a self-closed <div/>…) and elements that are not closed, closed twice or closed
// out of order. What the element may contain is not judged: that is what made moodle-plugin-ci's
// validator (vnu on the fragment wrapped in <body>) report a list item template as an error.
import { parseFragment } from 'parse5';
import { SAXParser, type EndTag, type StartTag } from 'parse5-sax-parser';

export interface HtmlProblem {
  line: number;
  column: number;
  message: string;
}

const VOID = new Set(
  'area base br col embed hr img input link meta param source track wbr keygen'.split(' '),
);

/** Elements whose end tag HTML lets the parser imply (and html, head, body). */
const OPTIONAL_END = new Set(
  'li dt dd p rb rt rtc rp optgroup option colgroup caption thead tbody tfoot tr td th html head body'.split(
    ' ',
  ),
);

/** A start tag of one of these closes an open <p> (HTML's "close a p element"). */
const CLOSES_P = new Set(
  'address article aside blockquote details dialog div dl fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr main menu nav ol p pre search section table ul'.split(
    ' ',
  ),
);

/** Start tag → the open elements it closes implicitly, up to (not past) the scope elements. */
const IMPLIED: Record<string, { closes: string[]; scope: string[] }> = {
  li: { closes: ['li', 'p'], scope: ['ul', 'ol', 'menu'] },
  dt: { closes: ['dt', 'dd', 'p'], scope: ['dl'] },
  dd: { closes: ['dt', 'dd', 'p'], scope: ['dl'] },
  tr: { closes: ['tr', 'td', 'th'], scope: ['table', 'thead', 'tbody', 'tfoot'] },
  td: { closes: ['td', 'th'], scope: ['tr', 'table'] },
  th: { closes: ['td', 'th'], scope: ['tr', 'table'] },
  thead: {
    closes: ['thead', 'tbody', 'tfoot', 'tr', 'td', 'th', 'caption', 'colgroup'],
    scope: ['table'],
  },
  tbody: {
    closes: ['thead', 'tbody', 'tfoot', 'tr', 'td', 'th', 'caption', 'colgroup'],
    scope: ['table'],
  },
  tfoot: {
    closes: ['thead', 'tbody', 'tfoot', 'tr', 'td', 'th', 'caption', 'colgroup'],
    scope: ['table'],
  },
  option: { closes: ['option'], scope: ['select', 'datalist', 'optgroup'] },
  optgroup: { closes: ['option', 'optgroup'], scope: ['select'] },
  rt: { closes: ['rt', 'rp'], scope: ['ruby'] },
  rp: { closes: ['rt', 'rp'], scope: ['ruby'] },
};

interface Open {
  name: string;
  line: number;
  column: number;
  /** Inside <svg> or <math>: XML rules, a self-closing tag is closed. */
  foreign: boolean;
}

/** The problems of an HTML fragment, in document order. An empty list: well-formed. */
export function checkHtmlFragment(html: string): HtmlProblem[] {
  const problems: HtmlProblem[] = [];
  parseFragment(html, {
    sourceCodeLocationInfo: true,
    onParseError: (e) => {
      problems.push({
        line: e.startLine,
        column: e.startCol,
        message: `HTML parse error: ${e.code}`,
      });
    },
  });
  const stack: Open[] = [];
  const popTo = (i: number, why: string, at: { line: number; column: number }): void => {
    for (let j = stack.length - 1; j > i; j--) {
      const o = stack[j]!;
      if (!OPTIONAL_END.has(o.name) && !o.foreign)
        problems.push({
          line: o.line,
          column: o.column,
          message: `<${o.name}> (line ${o.line}) is not closed before ${why} at line ${at.line}`,
        });
    }
    stack.length = Math.max(i, 0);
  };
  const sax = new SAXParser({ sourceCodeLocationInfo: true });
  sax.on('startTag', (t: StartTag) => {
    const at = {
      line: t.sourceCodeLocation?.startLine ?? 1,
      column: t.sourceCodeLocation?.startCol ?? 1,
    };
    const name = t.tagName;
    const foreign =
      stack.some((o) => o.name === 'svg' || o.name === 'math') || name === 'svg' || name === 'math';
    if (!foreign) {
      const implied = IMPLIED[name];
      if (implied) {
        for (let i = stack.length - 1; i >= 0; i--) {
          const o = stack[i]!;
          if (implied.scope.includes(o.name)) break;
          if (implied.closes.includes(o.name)) {
            stack.length = i;
            break;
          }
        }
      } else if (CLOSES_P.has(name)) {
        const i = stack.findLastIndex((o) => o.name === 'p');
        if (i >= 0 && stack.slice(i + 1).every((o) => OPTIONAL_END.has(o.name))) stack.length = i;
      }
    }
    if (VOID.has(name) && !foreign) return;
    if (t.selfClosing && foreign) return;
    // A self-closed non-void HTML element is parse5's error already; it stays open, as in a browser.
    stack.push({ name, ...at, foreign });
  });
  sax.on('endTag', (t: EndTag) => {
    const at = {
      line: t.sourceCodeLocation?.startLine ?? 1,
      column: t.sourceCodeLocation?.startCol ?? 1,
    };
    const name = t.tagName;
    if (VOID.has(name)) {
      problems.push({
        ...at,
        message: `</${name}>: <${name}> is a void element and has no end tag`,
      });
      return;
    }
    const i = stack.findLastIndex((o) => o.name === name);
    if (i < 0) {
      problems.push({ ...at, message: `</${name}> closes nothing: no <${name}> is open` });
      return;
    }
    popTo(i, `</${name}>`, at);
  });
  sax.end(html);
  const endLine = html.split('\n').length;
  popTo(-1, 'the end of the template', { line: endLine, column: 1 });
  // The parser's errors and ours, by position.
  return problems.sort((a, b) => a.line - b.line || a.column - b.column);
}
