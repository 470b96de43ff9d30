/** A strict XML 1.0 well-formedness check (elements, attributes, entities, comments, declaration), enough for JUnit. */
export interface XmlElement { name: string; attrs: Record<string, string>; children: XmlElement[]; text: string }

const NAME = /^[A-Za-z_][\w.-]*/;

function decode(s: string, at: number): string {
  return s.replace(/&([^;]*);/g, (m, e: string) => {
    const map: Record<string, string> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };
    if (e in map) return map[e];
    if (/^#\d+$/.test(e)) return String.fromCodePoint(Number(e.slice(1)));
    if (/^#x[0-9a-f]+$/i.test(e)) return String.fromCodePoint(parseInt(e.slice(2), 16));
    throw new Error(`bad entity ${m} near ${at}`);
  });
}

export function parseXml(xml: string): XmlElement {
  let i = 0;
  if (xml.startsWith('<?xml')) i = xml.indexOf('?>') + 2;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = lt < 0 ? xml.slice(i) : xml.slice(i, lt);
    if (text.includes('>') && !stack.length) throw new Error(`stray > at ${i}`);
    if (stack.length) stack[stack.length - 1].text += decode(text, i);
    else if (text.trim()) throw new Error(`text outside the root at ${i}`);
    if (lt < 0) break;
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(text)) throw new Error(`control character at ${i}`);
    if (xml.startsWith('<!--', lt)) { i = xml.indexOf('-->', lt) + 3; continue; }
    if (xml[lt + 1] === '/') {
      const gt = xml.indexOf('>', lt);
      const name = xml.slice(lt + 2, gt).trim();
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`</${name}> closes <${open?.name}> at ${lt}`);
      i = gt + 1;
      continue;
    }
    let j = lt + 1;
    const m = NAME.exec(xml.slice(j));
    if (!m) throw new Error(`bad tag at ${lt}`);
    const el: XmlElement = { name: m[0], attrs: {}, children: [], text: '' };
    j += m[0].length;
    for (;;) {
      while (/\s/.test(xml[j])) j++;
      if (xml.startsWith('/>', j) || xml[j] === '>') break;
      const a = /^([A-Za-z_][\w.:-]*)="([^"<]*)"/.exec(xml.slice(j));
      if (!a) throw new Error(`bad attribute at ${j}: ${xml.slice(j, j + 30)}`);
      if (a[1] in el.attrs) throw new Error(`duplicate attribute ${a[1]}`);
      el.attrs[a[1]] = decode(a[2], j);
      j += a[0].length;
    }
    if (stack.length) stack[stack.length - 1].children.push(el); else if (root) throw new Error('two roots'); else root = el;
    if (xml.startsWith('/>', j)) i = j + 2; else { stack.push(el); i = j + 1; }
  }
  if (stack.length || !root) throw new Error(`unclosed <${stack[stack.length - 1]?.name}>`);
  return root;
}
