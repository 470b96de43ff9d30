/** How scenario results are shown: progress (a bar on a terminal, plain lines otherwise), diffs, JUnit XML, JSON. */
import { fromUnits, sumUnits, toUnits } from '../shared/money';
import { formatProgress, ProgressLine } from '../shared/progress';
import type { ProgressEvent, ReconciliationRow, RunResult, ScenarioResult } from './runner';

export function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' }[c] as string))
    // XML 1.0 cannot carry most control characters, even escaped.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

function fmt(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function formatRunFailure(run: RunResult): string {
  const lines: string[] = [];
  if (run.error) {
    const [first, ...rest] = run.error.split('\n');
    lines.push(`  error: ${first}`, ...rest.map((l) => `         ${l}`));
  }
  if (run.mismatches.length) {
    lines.push('  expected vs actual:');
    for (const m of run.mismatches) {
      lines.push(`    - ${m.path}: expected ${fmt(m.expected)}`);
      lines.push(`      + ${m.path}: actual   ${fmt(m.actual)}`);
      for (const p of m.payments ?? []) lines.push(`        ${p}`);
    }
  }
  const failedStep = run.steps.find((s) => !s.ok);
  if (failedStep) lines.push(`  failed at step "${failedStep.name}" after ${failedStep.ms} ms: ${failedStep.detail ?? ''}`);
  if (run.messages.length) {
    lines.push('  last messages of the payments concerned:');
    for (const m of run.messages) lines.push(`    ${m.length > 400 ? m.slice(0, 400) + '…' : m}`);
  }
  return lines.join('\n');
}

export function formatResult(r: ScenarioResult): string {
  const head = `${r.ok ? 'PASS' : r.unavailable ? 'SKIP' : 'FAIL'} ${r.name === r.file ? r.file
    : `${r.name} (${r.file})`} ${(r.ms / 1000).toFixed(2)} s`;
  if (r.unavailable) return `${head}\n  not run: ${r.unavailable}`;
  const lines = [head];
  for (const run of r.runs) {
    if (r.runs.length > 1 || run.cycleMs !== undefined) lines.push(`  [${run.label}] payments final ${run.cycleMs !== undefined
      ? `${run.cycleMs} ms after the first send` : 'never'}`);
    if (run.steps.length) lines.push('  steps: ' + run.steps.map((s) => `${s.name} ${s.ms} ms${s.ok ? '' : ' ✗'}`).join(', '));
    if (!run.ok) lines.push(formatRunFailure(run));
  }
  if (r.runs.length === 2 && r.runs[0].cycleMs !== undefined && r.runs[1].cycleMs !== undefined) {
    const [a, b] = r.runs;
    lines.push(`  compared: ${a.label} ${a.cycleMs} ms vs ${b.label} ${b.cycleMs} ms (${(a.cycleMs! / Math.max(1,
      b.cycleMs!)).toFixed(1)}x)`);
  }
  return lines.join('\n');
}

export function reconciliationTable(rows: ReconciliationRow[], currency: string): string {
  const header = ['payee FSP', 'OpenG2P paid', 'amount', 'OpenG2P failed', 'ledger credited', 'amount', 'fees', 'match'];
  const body = rows.map((r) => [r.fsp, String(r.openg2pPaid.count), r.openg2pPaid.amount, String(r.openg2pFailed.count),
    String(r.ledgerCredited.count), r.ledgerCredited.amount, r.fees, r.openg2pPaid.count === r.ledgerCredited.count ? 'yes' : 'NO']);
  const add = (k: (r: ReconciliationRow) => string) => fromUnits(sumUnits(rows.map((r) => toUnits(k(r)))));
  const n = (k: (r: ReconciliationRow) => number) => String(rows.reduce((a, r) => a + k(r), 0));
  body.push(['total', n((r) => r.openg2pPaid.count), add((r) => r.openg2pPaid.amount), n((r) => r.openg2pFailed.count),
    n((r) => r.ledgerCredited.count), add((r) => r.ledgerCredited.amount), add((r) => r.fees),
      rows.every((r) => r.openg2pPaid.count === r.ledgerCredited.count) ? 'yes' : 'NO']);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [`amounts in ${currency}`, line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function junitXml(results: ScenarioResult[], suiteName = 'gpo scenarios'): string {
  const failures = results.filter((r) => !r.ok && !r.unavailable).length;
  const skipped = results.filter((r) => r.unavailable).length;
  const time = results.reduce((s, r) => s + r.ms, 0) / 1000;
  const cases = results.map((r) => {
    const attrs = `name="${xmlEscape(r.name)}" classname="${xmlEscape(r.file)}" time="${(r.ms / 1000).toFixed(3)}"`;
    const out = xmlEscape(r.runs.map((run) => `[${run.label}] ` + run.steps.map((s) => `${s.name} ${s.ms} ms${s.detail ? ` (${s.detail})`
      : ''}`).join('\n')).join('\n'));
    if (r.unavailable) return `    <testcase ${attrs}>\n      <skipped message="${xmlEscape(r.unavailable)}"/>\n    </testcase>`;
    if (r.ok) return `    <testcase ${attrs}>\n      <system-out>${out}</system-out>\n    </testcase>`;
    const failed = r.runs.filter((x) => !x.ok);
    const message = failed.map((x) => x.error ?? x.mismatches.map((m) =>
      `${m.path}: expected ${fmt(m.expected)}, got ${fmt(m.actual)}`).join('; ')).join('; ');
    return `    <testcase ${attrs}>\n      <failure message="${xmlEscape(message.slice(0,
      1000))}" type="ScenarioFailure">${xmlEscape(failed.map(formatRunFailure).join('\n'))}</failure>\n      ` +
        `<system-out>${out}</system-out>\n    </testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xmlEscape(suiteName)}" tests="${results.length}" ` +
    `failures="${failures}" errors="0" skipped="${skipped}" time="${time.toFixed(3)}">\n  <testsuite name="${xmlEscape(suiteName)}" ` +
      `tests="${results.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time.toFixed(3)}" ` +
        `timestamp="${new Date().toISOString().slice(0, 19)}">\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`;
}

export function resultsJson(results: ScenarioResult[]): string {
  return JSON.stringify({ passed: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok && !r.unavailable).length,
    skipped: results.filter((r) => r.unavailable).length, results }, null, 2);
}

/**
 * Progress: on a terminal one line redrawn in place (a bar over the scenarios, the current step, and while payments
 * are in flight how many are final, the rate and the ETA); otherwise one plain line per step and, during a long
 * step, a line of payments every 10 s.
 */
export function progressPrinter(out: NodeJS.WriteStream | NodeJS.WritableStream, isTty: boolean,
  totalScenarios: number): (e: ProgressEvent) => void {
  let done = 0;
  const width = 24;
  let bar = '';
  const lines = new Map<string, ProgressLine>();
  return (e) => {
    if (e.type === 'scenario-start') {
      if (!isTty) out.write(`scenario ${e.name === e.file ? e.file : `${e.name} (${e.file})`}\n`);
      lines.set(e.file, new ProgressLine(out, { tty: false }));
    } else if (e.type === 'step') {
      if (isTty) {
        const frac = (done + e.index / Math.max(1, e.total)) / Math.max(1, totalScenarios);
        const filled = Math.round(frac * width);
        bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${totalScenarios} ${e.name.slice(0, 40)}`;
        out.write(`\r\x1b[K${bar}: ${e.step.name} ${e.step.ms} ms`);
      } else {
        out.write(`  ${e.step.ok ? 'ok ' : 'ERR'} ${e.step.name} ${e.step.ms} ms${e.step.detail ? `: ${e.step.detail}` : ''}\n`);
      }
    } else if (e.type === 'payments') {
      if (isTty) out.write(`\r\x1b[K${formatProgress(bar || e.name.slice(0, 40), e.final, e.total, e.elapsedMs)}`);
      else if (e.final < e.total) lines.get(e.file)?.update({ label: '  payments', done: e.final, total: e.total, elapsedMs: e.elapsedMs,
        what: 'final' });
    } else {
      done++;
      lines.delete(e.result.file);
      if (isTty) out.write('\r\x1b[K');
      out.write(formatResult(e.result) + '\n');
    }
  };
}
