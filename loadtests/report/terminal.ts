/** The terminal summary of a load run. Pure: returns the text. */
import type { LoadReport } from './model';

const fmtMs = (v: number | undefined): string => (v === undefined ? '-' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 2
  : 1)} ms`);
const fmtN = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(2));

export function formatSummary(r: LoadReport, files: string[] = []): string {
  const L: string[] = [];
  L.push(`engine: ${r.engine}`);
  L.push(`profile: ${r.profile} (script ${r.script}), started ${r.startedAt}, ran ${r.durationS} s`);
  for (const [k, v] of Object.entries(r.targets)) L.push(`target ${k}: ${v}`);
  const h = r.headline;
  L.push('');
  L.push(`throughput: ${h.throughputTotal} ${r.throughputLabel.replace('/s',
    '')} in ${h.throughputSpanS} s = ${h.throughputPerSecond} ${r.throughputLabel}`);
  const l = h.latency;
  L.push(`latency (${r.latencyMetric}): p50 ${fmtMs(l['p(50)'])}  p90 ${fmtMs(l['p(90)'])}  p95 ${fmtMs(l['p(95)'])}  p99 ` +
    `${fmtMs(l['p(99)'])}  max ${fmtMs(l.max)}  (n=${l.count ?? 0})`);
  L.push(`requests: ${h.requests} (${h.requestsPerSecond}/s), failed ${(h.failedRequestRate * 100).toFixed(2)} %; iterations ` +
    `${h.iterations}`);
  L.push(`errors by code: ${r.errorsByCode.length ? r.errorsByCode.map((e) => `${e.code} x${e.count}`).join(', ') : 'none'}`);
  if (r.checks.length) L.push(`checks: ${r.checks.map((c) => `${c.fails ? '✗' : '✓'} ${c.name} ${c.passes}/${c.passes
    + c.fails}`).join('; ')}`);
  L.push('');
  L.push('metrics:');
  for (const [name, m] of Object.entries(r.metrics).sort(([a], [b]) => a.localeCompare(b))) {
    const v = m.values;
    const show = m.type === 'trend'
      ? ['avg', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'].map((k) => `${k}=${m.contains === 'time' ? fmtMs(v[k]) : fmtN(v[k]
        ?? 0)}`).join(' ') + ` count=${v.count}`
      : m.type === 'rate' ? `rate=${((v.rate ?? 0) * 100).toFixed(2)}% (${v.passes}/${(v.passes ?? 0) + (v.fails ?? 0)})`
        : m.type === 'counter' ? `count=${fmtN(v.count ?? 0)} rate=${fmtN(v.rate ?? 0)}/s`
          : `value=${fmtN(v.value ?? 0)} min=${fmtN(v.min ?? 0)} max=${fmtN(v.max ?? 0)}`;
    L.push(`  ${name.padEnd(32)} ${show}`);
  }
  L.push('');
  L.push('thresholds:');
  if (!r.thresholds.length) L.push('  (none)');
  for (const t of r.thresholds) L.push(`  ${t.ok ? '✓' : '✗'} ${t.metric}: ${t.expression}${t.actual === undefined ? ''
    : ` (actual ${fmtN(t.actual)})`}`);
  for (const n of r.notes ?? []) L.push(`note: ${n}`);
  if (r.aborted) L.push(`aborted: ${r.aborted}`);
  L.push(`result: ${r.passed ? 'PASSED' : 'FAILED'}${r.passed ? '' : r.thresholds.some((t) => !t.ok) ? ' (thresholds crossed)'
    : ''}  [engine: ${r.engine}]`);
  for (const f of files) L.push(`report: ${f}`);
  return L.join('\n');
}
