/** The self-contained HTML report: figures, thresholds and inline SVG charts, no external resources. Pure. */
import type { LoadReport } from './model';
import { barChart, esc, lineChart } from './svg';

export function renderHtml(r: LoadReport): string {
  const pts = r.series.points;
  const unit = r.throughputLabel;
  const throughput = lineChart(`Throughput over time (per ${r.series.bucketS} s interval)`, [
    { name: unit, color: '#2a7a2a', points: pts.map((p) => [p.t, p.throughput]) },
    { name: 'HTTP requests/s', color: '#3b6fb6', points: pts.map((p) => [p.t, p.requests]) },
    { name: 'failed requests/s', color: '#c0392b', points: pts.map((p) => [p.t, p.failed]) },
  ], 'seconds since start', 'per second');
  const latencyOverTime = lineChart(`Latency over time: ${r.latencyMetric}`, [
    { name: 'p50', color: '#3b6fb6', points: pts.filter((p) => p.p50 > 0).map((p) => [p.t, p.p50]) },
    { name: 'p95', color: '#e08e0b', points: pts.filter((p) => p.p95 > 0).map((p) => [p.t, p.p95]) },
    { name: 'p99', color: '#c0392b', points: pts.filter((p) => p.p99 > 0).map((p) => [p.t, p.p99]) },
  ], 'seconds since start', 'ms');
  const l = r.headline.latency;
  const percentiles = barChart(`Latency percentiles: ${r.latencyMetric}`, ['p(50)', 'p(90)', 'p(95)', 'p(99)', 'max']
    .filter((k) => l[k] !== undefined).map((k) => ({ label: k, value: l[k], color: k === 'max' ? '#999' : '#e08e0b' })), 'ms', 'no latency samples');
  const errors = barChart('Errors by code', r.errorsByCode.map((e) => ({ label: e.code, value: e.count, color: '#c0392b' })), '', 'no errors recorded');
  const trendRows = Object.entries(r.metrics).filter(([, m]) => m.type === 'trend').map(([n, m]) =>
    `<tr><td>${esc(n)}</td>${['avg', 'med', 'p(90)', 'p(95)', 'p(99)', 'max', 'count'].map((k) => `<td>${m.values[k] ?? ''}</td>`).join('')}</tr>`).join('');
  const otherRows = Object.entries(r.metrics).filter(([, m]) => m.type !== 'trend').map(([n, m]) =>
    `<tr><td>${esc(n)}</td><td>${esc(m.type)}</td><td>${esc(Object.entries(m.values).map(([k, v]) => `${k}=${v}`).join(' '))}</td></tr>`).join('');
  const thresholdRows = r.thresholds.map((t) => `<tr class="${t.ok ? 'ok' : 'bad'}"><td>${t.ok ? '✓' : '✗'}</td><td>${esc(t.metric)}</td><td>${esc(t.expression)}</td><td>${t.actual ?? ''}</td></tr>`).join('');
  const h = r.headline;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>GPO load report: ${esc(r.profile)} ${esc(r.startedAt)}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#222;max-width:1000px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
.ok td{background:#eef8ee}.bad td{background:#fbeaea}.big{font-size:20px;font-weight:bold}.engine{background:#fff6dd;padding:6px 10px;display:inline-block}
.chart{margin:12px 0}
</style></head><body>
<h1>GPO load report: ${esc(r.profile)}</h1>
<p class="engine">engine: <b>${esc(r.engine)}</b></p>
<p>script ${esc(r.script)}; started ${esc(r.startedAt)}; ran ${r.durationS} s; result <b>${r.passed ? 'PASSED' : 'FAILED'}</b>${r.aborted ? ` (aborted: ${esc(r.aborted)})` : ''}</p>
<p>${Object.entries(r.targets).map(([k, v]) => `target ${esc(k)}: <code>${esc(v)}</code>`).join('<br>')}</p>
<p class="big">${h.throughputTotal} ${esc(unit.replace('/s', ''))} in ${h.throughputSpanS} s = ${h.throughputPerSecond} ${esc(unit)}</p>
<p>latency (${esc(r.latencyMetric)}): p50 ${l['p(50)'] ?? '-'} ms, p90 ${l['p(90)'] ?? '-'} ms, p95 ${l['p(95)'] ?? '-'} ms, p99 ${l['p(99)'] ?? '-'} ms, max ${l.max ?? '-'} ms;
requests ${h.requests} (${h.requestsPerSecond}/s), failed ${(h.failedRequestRate * 100).toFixed(2)} %; iterations ${h.iterations}</p>
<h2>Throughput</h2><div class="chart">${throughput}</div>
<h2>Latency</h2><div class="chart">${latencyOverTime}</div><div class="chart">${percentiles}</div>
<h2>Errors</h2><div class="chart">${errors}</div>
<h2>Thresholds</h2><table><tr><th></th><th>metric</th><th>threshold</th><th>actual</th></tr>${thresholdRows || '<tr><td colspan="4">none</td></tr>'}</table>
<h2>Trends (ms for time metrics)</h2><table><tr><th>metric</th><th>avg</th><th>med</th><th>p90</th><th>p95</th><th>p99</th><th>max</th><th>count</th></tr>${trendRows}</table>
<h2>Counters, rates, gauges</h2><table><tr><th>metric</th><th>type</th><th>values</th></tr>${otherRows}</table>
<h2>Run settings</h2><pre>${esc(JSON.stringify({ env: r.env, scenarios: r.scenarios, notes: r.notes }, null, 2))}</pre>
</body></html>
`;
}
