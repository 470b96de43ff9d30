/** Expand scenario paths and globs (`scenarios/*.yaml`, `scenarios/**\/*.yaml`) when the shell has not. */
import { readdirSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';

function toRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function walk(dir: string, parts: string[], out: string[]): void {
  if (parts.length === 0) { out.push(dir); return; }
  const [head, ...rest] = parts;
  if (head === '**') {
    walk(dir, rest, out);
    for (const e of safeList(dir)) if (statSync(path.join(dir, e)).isDirectory()) walk(path.join(dir, e), parts, out);
    return;
  }
  if (!/[*?]/.test(head)) {
    const next = path.join(dir, head);
    if (existsSync(next)) walk(next, rest, out);
    return;
  }
  const re = toRegExp(head);
  for (const e of safeList(dir).sort()) if (re.test(e)) walk(path.join(dir, e), rest, out);
}

function safeList(dir: string): string[] {
  try { return readdirSync(dir); } catch { return []; }
}

export function expandScenarioPaths(patterns: string[]): { files: string[]; unmatched: string[] } {
  const files: string[] = [];
  const unmatched: string[] = [];
  for (const p of patterns) {
    if (!/[*?]/.test(p)) {
      if (existsSync(p) && statSync(p).isDirectory()) {
        const inDir = safeList(p).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(p, f));
        if (inDir.length) files.push(...inDir); else unmatched.push(p);
      } else if (existsSync(p)) files.push(p);
      else unmatched.push(p);
      continue;
    }
    const abs = path.isAbsolute(p);
    const parts = p.split('/').filter((x, i) => x !== '' || i === 0);
    const found: string[] = [];
    walk(abs ? '/' : '.', abs ? parts.slice(1) : parts, found);
    const yaml = found.filter((f) => statSync(f).isFile());
    if (yaml.length) files.push(...yaml.map((f) => path.normalize(f))); else unmatched.push(p);
  }
  return { files: [...new Set(files)], unmatched };
}
