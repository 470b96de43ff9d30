/**
 * The self-contained HTML report: figures and tables as HTML, charts drawn by uPlot from the report's JSON.
 * The chart code (loadtests/report/dist/report-client.js, built by `npm run build`) is inlined: the file opens
 * offline, nothing is fetched. Pure, given the bundle's text.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LoadReport } from './model';

export const REPORT_CLIENT = path.join(__dirname, 'dist', 'report-client.js');

export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'":
  '&#39;' })[c] as string);

/** The chart bundle, or a clear error when the build step has not run. */
export function reportClient(file = REPORT_CLIENT): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new Error(`the load report's chart code is not built (${path.relative(process.cwd(), file)}): run \`npm run build\``);
  }
}

/** JSON safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const ms = (v: number | undefined): string => (v === undefined ? '—' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 2
  : 1)} ms`);

export function renderHtml(r: LoadReport, client = reportClient()): string {
  const h = r.headline;
  const l = h.latency;
  const unit = r.throughputLabel;
  const kindRows = r.latencyByKind.map((k) => `<tr><td>${esc(k.kind)}</td><td>${esc(k.metric)}</td>${['count', 'avg', 'p(50)', 'p(90)',
    'p(95)', 'p(99)', 'max'].map((s) => `<td>${s === 'count' ? k.values[s] ?? 0 : ms(k.values[s])}</td>`).join('')}</tr>`).join('');
  const trendRows = Object.entries(r.metrics).filter(([, m]) => m.type === 'trend').map(([n, m]) =>
    `<tr><td>${esc(n)}</td>${['avg', 'med', 'p(90)', 'p(95)', 'p(99)', 'max', 'count'].map((k) =>
      `<td>${m.values[k] ?? ''}</td>`).join('')}</tr>`).join('');
  const otherRows = Object.entries(r.metrics).filter(([, m]) => m.type !== 'trend').map(([n, m]) =>
    `<tr><td>${esc(n)}</td><td>${esc(m.type)}</td><td class="wrap">${esc(Object.entries(m.values).map(([k, v]) =>
      `${k}=${v}`).join(' '))}</td></tr>`).join('');
  const thresholdRows = r.thresholds.map((t) => `<tr class="${t.ok ? 'ok' : 'bad'}"><td>${t.ok ? '✓'
    : '✗'}</td><td>${esc(t.metric)}</td><td>${esc(t.expression)}</td><td>${t.actual ?? ''}</td></tr>`).join('');
  const errorRows = r.errorsByCode.map((e) => `<tr><td>${esc(e.code)}</td><td>${e.count}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>GPO load report: ${esc(r.profile)} ${esc(r.startedAt)}</title>
<style>
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;color:#1d2533;background:#f3f5f8}
main{max-width:1280px;margin:0 auto;padding:20px 24px 40px}
h1{font-size:22px;margin:0 0 6px}h2{font-size:16px;margin:28px 0 10px}
.card{background:#fff;border:1px solid #dde2ea;border-radius:8px;padding:14px 16px;margin-bottom:14px;min-width:0}
.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px;margin:14px 0}
.figure{background:#fff;border:1px solid #dde2ea;border-left:4px solid #1f5fae;border-radius:8px;padding:10px 14px}
.figure b{display:block;font-size:20px;font-variant-numeric:tabular-nums}.figure span{color:#5f6b7d;font-size:12px}
.pass{border-left-color:#1e7d4f}.fail{border-left-color:#b42318}
.engine{display:inline-block;background:#fff3dc;color:#7a4600;border-radius:6px;padding:2px 10px}
.muted{color:#5f6b7d}
.tables{overflow-x:auto}
table{border-collapse:collapse;font-size:13px;width:100%}
td,th{border-bottom:1px solid #e3e7ee;padding:5px 8px;text-align:right;font-variant-numeric:tabular-nums}
td:first-child,th:first-child{text-align:left}th{color:#5f6b7d;font-weight:600;background:#fafbfc}
td.wrap{text-align:left;word-break:break-all}
.ok td{background:#eef8ee}.bad td{background:#fbeaea}
#gpo-charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,560px),1fr));gap:14px}
.chart{margin:0;background:#fff;border:1px solid #dde2ea;border-radius:8px;padding:12px 12px 6px;min-width:0;overflow:hidden}
.chart figcaption{font-weight:600;margin-bottom:2px}.chart-note{color:#5f6b7d;font-size:12px;margin-bottom:4px}
.plot{width:100%}
pre{white-space:pre-wrap;word-break:break-all;font-size:12px;background:#fff;border:1px solid #dde2ea;border-radius:8px;padding:10px;margin:0}
</style></head><body><main>
<h1>GPO load report: ${esc(r.profile)}</h1>
<p><span class="engine">engine: <b>${esc(r.engine)}</b></span> <span class="muted">script ${esc(r.script)}; started ${esc(r.startedAt)}; ran ${r.durationS} s${r.aborted ? `; aborted: ${esc(r.aborted)}` : ''}</span></p>
<p class="muted">${Object.entries(r.targets).map(([k, v]) => `target ${esc(k)}: <code>${esc(v)}</code>`).join('<br>')}</p>
<div class="figures">
<div class="figure ${r.passed ? 'pass' : 'fail'}"><span>result</span><b>${r.passed ? 'PASSED'
  : 'FAILED'}</b><span>${r.thresholds.filter((t) => t.ok).length}/${r.thresholds.length} thresholds hold</span></div>
<div class="figure"><span>throughput (submission to last final state)</span><b>${h.throughputPerSecond} ${esc(unit)}</b><span>${h.throughputTotal} in ${h.throughputSpanS} s</span></div>
<div class="figure"><span>latency p95 (${esc(r.latencyMetric)})</span><b>${ms(l['p(95)'])}</b><span>p50 ${ms(l['p(50)'])} · p99 ${ms(l['p(99)'])} · max ${ms(l.max)}</span></div>
<div class="figure ${h.failedRequestRate > 0 ? 'fail'
  : 'pass'}"><span>HTTP requests</span><b>${h.requests}</b><span>${h.requestsPerSecond}/s · failed ${(h.failedRequestRate * 100).toFixed(2)} % · ${h.iterations} iterations</span></div>
</div>
<h2>Charts</h2>
<div id="gpo-charts"></div>
<noscript><p>The charts need JavaScript; the figures and tables below do not.</p></noscript>
<h2>Latency per request kind</h2>
<div class="card tables"><table><tr><th>kind</th><th>metric</th><th>count</th><th>avg</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>max</th></tr>${kindRows || '<tr><td colspan="9">no latency samples</td></tr>'}</table></div>
<h2>Errors by code</h2>
<div class="card tables"><table><tr><th>code</th><th>count</th></tr>${errorRows
  || '<tr><td colspan="2">no errors recorded</td></tr>'}</table></div>
<h2>Thresholds</h2>
<div class="card tables"><table><tr><th></th><th>metric</th><th>threshold</th><th>actual</th></tr>${thresholdRows
  || '<tr><td colspan="4">none</td></tr>'}</table></div>
<h2>Trends (ms for time metrics)</h2>
<div class="card tables"><table><tr><th>metric</th><th>avg</th><th>med</th><th>p90</th><th>p95</th><th>p99</th><th>max</th><th>count</th></tr>${trendRows}</table></div>
<h2>Counters, rates, gauges</h2>
<div class="card tables"><table><tr><th>metric</th><th>type</th><th>values</th></tr>${otherRows}</table></div>
<h2>Run settings</h2>
<pre>${esc(JSON.stringify({ env: r.env, scenarios: r.scenarios, notes: r.notes }, null, 2))}</pre>
</main>
<script type="application/json" id="gpo-report-data">${scriptJson(r)}</script>
<script>${client.replace(/<\/script/gi, '<\\/script')}</script>
</body></html>
`;
}
