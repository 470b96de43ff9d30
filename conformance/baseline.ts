/**
 * The no-regression line: conformance/baseline.json holds, per collection, the keys of the assertions that pass
 * today. A run may pass more (then the baseline is updated with --update-baseline); it may not pass fewer.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CollectionResult } from './results';

export const BASELINE_FILE = path.join(__dirname, 'baseline.json');

export type Baseline = Record<string, { total: number; passing: string[] }>;

export function readBaseline(file = BASELINE_FILE): Baseline {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Baseline) : {};
}

/** The baseline for these results; collections not run keep their old entry unless `replaceAll`. */
export function baselineOf(results: CollectionResult[], previous: Baseline = {}, replaceAll = true): Baseline {
  const out: Baseline = replaceAll ? {} : { ...previous };
  for (const r of results) out[r.id] = { total: r.total, passing: r.assertions.filter((a) => a.status === 'passed').map((a) =>
    a.key).sort() };
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** Every assertion the baseline says passes and now does not, as `collection › key`. */
export function compareToBaseline(results: CollectionResult[], baseline: Baseline): string[] {
  const out: string[] = [];
  for (const r of results) {
    const expected = baseline[r.id];
    if (!expected) continue;
    const passing = new Set(r.assertions.filter((a) => a.status === 'passed').map((a) => a.key));
    for (const key of expected.passing) if (!passing.has(key)) out.push(`${r.id} › ${key}`);
  }
  return out;
}
