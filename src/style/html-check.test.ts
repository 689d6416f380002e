import { describe, expect, it } from 'vitest';
import { checkHtmlFragment } from './html-check.js';

const messages = (html: string): string[] =>
  checkHtmlFragment(html).map((p) => `${p.line}:${p.column} ${p.message}`);

describe('checkHtmlFragment', () => {
  it('takes fragments as they are: list items, rows, cells, options, implied end tags', () => {
    for (const html of [
      '<li>a</li><li>b',
      '<tr><td>a<td>b</tr>',
      '<ul><li>a<li>b</ul>',
      '<p>x<ul><li>a</li></ul>',
      '<select><option>a<option>b</select>',
      '<img src="x"><br>',
      '<svg><path d="x"/></svg>',
      '<dl><dt>a<dd>b</dl>',
      '<table><thead><tr><th>a<tbody><tr><td>b</table>',
    ])
      expect(messages(html), html).toEqual([]);
  });

  it('finds elements closed out of order, closed twice, left open, and parser errors', () => {
    expect(messages('<div>\n  <span>a\n</div>')).toEqual([
      '2:3 <span> (line 2) is not closed before </div> at line 3',
    ]);
    expect(messages('<div></div></div>')).toEqual(['1:12 </div> closes nothing: no <div> is open']);
    expect(messages('<section><div>')).toEqual([
      '1:1 <section> (line 1) is not closed before the end of the template at line 1',
      '1:10 <div> (line 1) is not closed before the end of the template at line 1',
    ]);
    expect(messages('<a href=>x</a>')).toEqual(['1:9 HTML parse error: missing-attribute-value']);
    expect(messages('<div a="1" a="2"></div>')).toEqual([
      '1:13 HTML parse error: duplicate-attribute',
    ]);
    expect(messages('<br></br>')).toEqual(['1:5 </br>: <br> is a void element and has no end tag']);
  });
});
