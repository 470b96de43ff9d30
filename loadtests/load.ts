/**
 * One load run, end to end: profile + flags -> bundled script -> engine (real k6 when asked or found, else the
 * Node runner) -> report (terminal summary, JSON, HTML with charts). Used by `gpo load`.
 */
import path from 'node:path';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { UserError } from '../shared/errors';
import { logToFile } from '../shared/logger';
import { ProgressLine, type ProgressSink } from '../shared/progress';
import { DEFAULT_PORTS } from '../shared/server';
import { bundleScript, DEFAULT_DIST_DIR } from './build';
import { k6Version, readK6Json, runK6 } from './k6-engine';
import { LoadFlags, loadProfile, scriptEnv } from './profiles';
import { buildReport, LoadReport } from './report/model';
import { renderHtml } from './report/html';
import { formatSummary } from './report/terminal';
import { NODE_ENGINE, runNodeTest } from './runner';
import type { MetricStore } from './runner/metrics';
import { evaluateThresholds, parseThresholds, ThresholdsConfig } from './runner/thresholds';
import { startInProcessWorld, StartedWorld } from './world';

export const DEFAULT_RESULTS_DIR = path.join(__dirname, 'results');

export type EngineChoice = 'auto' | 'k6' | 'node';

export interface LoadOptions extends LoadFlags {
  profile: string;
  /** Base URL of what the script drives (orchestrator or payer DFSP outbound API); default: `gpo up`'s ports. */
  target?: string;
  engine?: EngineChoice;
  outDir?: string;
  startWorld?: boolean;
  /** Orchestrator options when the world is started here. */
  orchestrator?: Record<string, unknown>;
  k6Bin?: string;
  log?: (line: string) => void;
  /** Write the JSON and HTML files (default true). */
  writeFiles?: boolean;
  /** Where the live progress line goes (gpo load: standard error; a terminal gets it redrawn in place). */
  progress?: ProgressSink;
}

export interface LoadOutcome {
  report: LoadReport;
  summary: string;
  files: string[];
  /** With --start-world: the file the world's and the orchestrator's log lines went to. */
  worldLog?: string;
  /** 0 passed; 99 thresholds crossed (as k6); 1 other failure */
  exitCode: number;
}

export function defaultTarget(kind: 'orchestrator' | 'payerOutbound'): string {
  return kind === 'orchestrator' ? `http://127.0.0.1:${DEFAULT_PORTS.orchestrator}` : `http://127.0.0.1:${DEFAULT_PORTS.payerOutbound}`;
}

function stamp(d = new Date()): string {
  return d.toISOString().replace(/[:.]/g, '-').replace(/Z$/, 'Z');
}

/**
 * The payer DFSP extensions a script needs from the world started for it. fspiop-bulk's MODE=bulkTransactions plays
 * a back office that cannot receive reports (k6 takes no callbacks): it needs the report in the answer (or GET) and
 * quotes accepted by the payer, which the SDK scheme adapter does not offer (it answers 202 and stalls there).
 */
export function payerExtensionsFor(script: string, env: Record<string, string>): Record<string, boolean> | undefined {
  if (script === 'fspiop-bulk' && env.MODE === 'bulkTransactions') {
    return { synchronousBulkTransactions: true, getBulkTransaction: true, bulkAutoAcceptQuote: true };
  }
  return undefined;
}

export async function runLoad(opts: LoadOptions): Promise<LoadOutcome> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const profile = loadProfile(opts.profile);
  let world: StartedWorld | undefined;
  let target = opts.target;
  const notes: string[] = [];
  const startedAt = stamp();
  const outDir = opts.outDir ?? DEFAULT_RESULTS_DIR;
  // The servers started here log to a file, so their lines never mix with the progress line and the summary.
  const worldLog = opts.startWorld ? path.join(opts.writeFiles === false ? tmpdir() : outDir, `${profile.name}-${startedAt}.log`)
    : undefined;
  const restoreLog = worldLog ? logToFile(worldLog) : undefined;
  try {
    if (opts.startWorld) {
      log(`starting the in-process world (simulators/world.ts)${profile.target === 'orchestrator'
        ? ' and an orchestrator (orchestrator/index.ts)' : ''}...`);
      world = await startInProcessWorld({ orchestrator: opts.orchestrator, simulatorsOnly: profile.target !== 'orchestrator',
        payerExtensions: payerExtensionsFor(profile.script, { ...profile.env, ...(opts.env ?? {}) }) });
      target ??= profile.target === 'orchestrator' ? world.orchestratorUrl : world.payerOutboundUrl;
      notes.push(`the world${profile.target === 'orchestrator' ? ' and the orchestrator'
        : ''} ran in the load generator's own process (--start-world): they share its CPU; their log: ${worldLog}`);
    }
    target ??= defaultTarget(profile.target);
    const env = scriptEnv(profile, opts, target);
    const bundle = await bundleScript(profile.script, DEFAULT_DIST_DIR);

    const choice = opts.engine ?? 'auto';
    const version = choice === 'node' ? undefined : k6Version(opts.k6Bin);
    if (choice === 'k6' && !version) throw new UserError('--engine k6: no k6 on the PATH',
      'install k6 (loadtests/README.md says how), or run the same script with --engine node');
    // k6 runs as a child process, so it can load a world started here (--start-world) as well as a remote one
    const useK6 = !!version;

    let report: LoadReport;
    let exitCode: number;
    // the machine's load before the run: other work on it skews what is measured
    const loadBefore = os.loadavg()[0];
    const meta = {
      profile: profile.name, script: path.relative(process.cwd(), bundle), description: profile.description,
      targets: { [profile.target]: target }, env: redact(env), throughputMetric: profile.throughput.metric,
      throughputLabel: profile.throughput.label, latencyMetric: profile.latency, notes,
    };
    if (useK6) {
      log(`engine: ${version}`);
      const tmp = mkdtempSync(path.join(tmpdir(), 'gpo-k6-out-'));
      try {
        const out = path.join(tmp, 'points.json');
        const r = await runK6(bundle, env, out, opts.k6Bin);
        const { store, durationMs, startedAt } = await readK6Json(out);
        const thresholds = evaluateThresholds(store, parseThresholds(JSON.parse(env.THRESHOLDS) as ThresholdsConfig), durationMs);
        report = buildReport(store, { ...meta, engine: /^k6\b/.test(version) ? version : `k6 ${version}`, startedAt, durationMs, thresholds,
          passed: r.exitCode === 0 });
        exitCode = r.exitCode === 0 ? 0 : r.thresholdsFailed ? 99 : 1;
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    } else {
      log(`engine: ${NODE_ENGINE}`);
      const progress = opts.progress ? new ProgressLine(opts.progress) : undefined;
      const total = Number(profile.payments === 'PAYMENTS' ? env.PAYMENTS : env.ITERATIONS) || undefined;
      const what = profile.throughput.metric === 'gpo_payments_final' ? 'payments final' : `${profile.throughput.label.replace(/\/s$/,
        '')} completed`;
      let last: MetricStore | undefined;
      const show = (store: MetricStore, force = false) => {
        last = store;
        const series = store.metrics.get(profile.throughput.metric);
        progress?.update({ label: `load ${profile.name}`, done: series ? series.v.reduce((a, b) => a + b, 0) : 0, total, what, force });
      };
      const r = await runNodeTest({ bundlePath: bundle, env, log: (l) => { progress?.end(); log(l); }, onTick: progress ? (store) =>
        show(store) : undefined })
        .finally(() => { if (last) show(last, true); progress?.end(true); });
      report = buildReport(r.store, {
        ...meta, engine: NODE_ENGINE, startedAt: r.startedAt, durationMs: r.durationMs, thresholds: r.thresholds,
        passed: r.passed && r.iterationErrors === 0, aborted: r.aborted, scenarios: r.scenarios,
        notes: [...notes, ...(r.iterationErrors ? [`${r.iterationErrors} iterations threw; first: ${r.firstIterationError}`] : [])],
      });
      exitCode = r.passed ? (r.iterationErrors ? 1 : 0) : 99;
    }
    (report.notes ??= []).push(`machine: ${os.cpus().length} cores; load average (1 min) ${loadBefore.toFixed(2)} before the run, ` +
      `${os.loadavg()[0].toFixed(2)} after`);
    const files: string[] = [];
    if (opts.writeFiles !== false) {
      const dir = outDir;
      mkdirSync(dir, { recursive: true });
      const base = path.join(dir, `${profile.name}-${startedAt}`);
      writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
      writeFileSync(`${base}.html`, renderHtml(report));
      files.push(`${base}.json`, `${base}.html`);
    }
    const summary = formatSummary(report, files) + (worldLog ? `\nworld log: ${worldLog}` : '');
    return { report, summary, files, worldLog, exitCode };
  } finally {
    if (world) await world.stop().catch(() => undefined);
    restoreLog?.();
  }
}

/** Thresholds stay; nothing secret is passed today, but keep reports free of anything that looks like a credential. */
function redact(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) out[k] = /token|secret|password|key/i.test(k) ? '***' : v;
  return out;
}
