/**
 * Prints what the FSPIOP 2.0 OpenAPI document changes against 1.1 (both as @mojaloop/api-snippets ships them under
 * docs/): paths and operations added or removed, schemas added or removed, and per schema the properties, required
 * lists, enums, patterns, lengths and item limits that differ. docs/conformance/fspiop-2.0.md is written from it.
 *
 *   npx tsx conformance/spec-diff.ts [--from 1.1] [--to 2.0] [--markdown]
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

type Schema = {
  type?: string; $ref?: string; enum?: string[]; pattern?: string; minLength?: number; maxLength?: number;
  minItems?: number; maxItems?: number; required?: string[]; properties?: Record<string, Schema>; items?: Schema;
  allOf?: Schema[]; oneOf?: Schema[]; anyOf?: Schema[]; format?: string; description?: string;
};
type Doc = { paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, Schema>; parameters?: Record<string,
  unknown> } };

const METHODS = ['get', 'put', 'post', 'patch', 'delete'];

export function loadSpec(version: string): Doc {
  const dir = path.join(path.dirname(require.resolve('@mojaloop/api-snippets/package.json')), 'docs');
  return YAML.parse(fs.readFileSync(path.join(dir, `fspiop-rest-v${version}-openapi3-snippets.yaml`), 'utf8'),
    { maxAliasCount: -1 }) as Doc;
}

const refName = (s: Schema | undefined) => (s?.$ref ? s.$ref.split('/').pop() : undefined);
const show = (s: Schema | undefined): string => {
  if (!s) return '—';
  if (s.$ref) return refName(s)!;
  if (s.allOf) return `allOf(${s.allOf.map(show).join(', ')})`;
  if (s.oneOf) return `oneOf(${s.oneOf.map(show).join(', ')})`;
  if (s.type === 'array') return `array<${show(s.items)}>`;
  return s.type ?? 'any';
};

export interface SpecDiff {
  pathsAdded: string[];
  pathsRemoved: string[];
  schemasAdded: string[];
  schemasRemoved: string[];
  changed: Array<{ schema: string; changes: string[] }>;
}

export function diffSpecs(a: Doc, b: Doc): SpecDiff {
  const ops = (d: Doc) => new Set(Object.entries(d.paths).flatMap(([p, o]) =>
    METHODS.filter((m) => m in o).map((m) => `${m.toUpperCase()} ${p}`)));
  const oa = ops(a);
  const ob = ops(b);
  const sa = a.components.schemas;
  const sb = b.components.schemas;
  const changed: SpecDiff['changed'] = [];
  for (const name of Object.keys(sa).filter((n) => n in sb).sort()) {
    const x = sa[name]!;
    const y = sb[name]!;
    const c: string[] = [];
    const cmp = (label: string, u: unknown, v: unknown) => {
      if (JSON.stringify(u) !== JSON.stringify(v)) c.push(`${label}: ${JSON.stringify(u) ?? '—'} → ${JSON.stringify(v) ?? '—'}`);
    };
    cmp('type', x.type, y.type);
    cmp('pattern', x.pattern, y.pattern);
    cmp('minLength', x.minLength, y.minLength);
    cmp('maxLength', x.maxLength, y.maxLength);
    cmp('minItems', x.minItems, y.minItems);
    cmp('maxItems', x.maxItems, y.maxItems);
    cmp('format', x.format, y.format);
    if (JSON.stringify(x.enum) !== JSON.stringify(y.enum)) {
      const ea = new Set(x.enum ?? []);
      const eb = new Set(y.enum ?? []);
      const added = [...eb].filter((e) => !ea.has(e));
      const removed = [...ea].filter((e) => !eb.has(e));
      if (added.length || removed.length) c.push(`enum${added.length ? ` +[${added.join(', ')}]` : ''}${removed.length
        ? ` -[${removed.join(', ')}]` : ''}`);
    }
    const ra = new Set(x.required ?? []);
    const rb = new Set(y.required ?? []);
    const reqAdded = [...rb].filter((r) => !ra.has(r));
    const reqRemoved = [...ra].filter((r) => !rb.has(r));
    if (reqAdded.length) c.push(`now required: ${reqAdded.join(', ')}`);
    if (reqRemoved.length) c.push(`no longer required: ${reqRemoved.join(', ')}`);
    const pa = x.properties ?? {};
    const pb = y.properties ?? {};
    for (const p of Object.keys(pb).filter((k) => !(k in pa))) c.push(`property added: ${p} (${show(pb[p])})`);
    for (const p of Object.keys(pa).filter((k) => !(k in pb))) c.push(`property removed: ${p}`);
    for (const p of Object.keys(pa).filter((k) =>
      k in pb)) if (show(pa[p]) !== show(pb[p])) c.push(`property ${p}: ${show(pa[p])} → ${show(pb[p])}`);
    if (show(x.items) !== show(y.items)) c.push(`items: ${show(x.items)} → ${show(y.items)}`);
    if (c.length) changed.push({ schema: name, changes: c });
  }
  return {
    pathsAdded: [...ob].filter((o) => !oa.has(o)).sort(),
    pathsRemoved: [...oa].filter((o) => !ob.has(o)).sort(),
    schemasAdded: Object.keys(sb).filter((n) => !(n in sa)).sort(),
    schemasRemoved: Object.keys(sa).filter((n) => !(n in sb)).sort(),
    changed,
  };
}

function main(): void {
  const args = process.argv.slice(2);
  const opt = (name: string, def: string) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] ? args[i + 1]! : def;
  };
  const from = opt('--from', '1.1');
  const to = opt('--to', '2.0');
  const d = diffSpecs(loadSpec(from), loadSpec(to));
  const md = args.includes('--markdown');
  const h = (t: string) => console.log(md ? `\n### ${t}\n` : `\n== ${t}`);
  const li = (t: string) => console.log(md ? `- ${t}` : `  ${t}`);
  console.log(`FSPIOP ${from} → ${to} (@mojaloop/api-snippets docs/)`);
  h(`operations added (${d.pathsAdded.length})`);
  d.pathsAdded.forEach((p) => li(`\`${p}\``));
  h(`operations removed (${d.pathsRemoved.length})`);
  d.pathsRemoved.forEach((p) => li(`\`${p}\``));
  h(`schemas added (${d.schemasAdded.length})`);
  li(d.schemasAdded.map((s) => `\`${s}\``).join(', '));
  h(`schemas removed (${d.schemasRemoved.length})`);
  li(d.schemasRemoved.map((s) => `\`${s}\``).join(', '));
  h(`schemas changed (${d.changed.length})`);
  for (const c of d.changed) li(`\`${c.schema}\`: ${c.changes.join('; ')}`);
}

if (require.main === module) main();
