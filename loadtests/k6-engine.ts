/**
 * Real k6: found on the PATH, run on the bundled script with `--out json`, and its metric points read back into
 * the same MetricStore the Node runner fills, so both engines give the same report.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { MetricStore, MetricType } from './runner/metrics';

export function k6Version(bin = 'k6'): string | undefined {
  const r = spawnSync(bin, ['version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout.trim().split('\n')[0];
}

export interface K6RunResult {
  exitCode: number;
  /** k6 exits 99 when thresholds are crossed */
  thresholdsFailed: boolean;
}

export async function runK6(bundlePath: string, env: Record<string, string>, jsonOut: string, bin = 'k6'): Promise<K6RunResult> {
  const args = ['run', '--out', `json=${jsonOut}`];
  for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`);
  args.push(bundlePath);
  const child = spawn(bin, args, { stdio: 'inherit' });
  const exitCode = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
  return { exitCode, thresholdsFailed: exitCode === 99 };
}

/** k6's JSON output (one Metric or Point per line) into a MetricStore; times relative to the first point. */
export async function readK6Json(file: string): Promise<{ store: MetricStore; durationMs: number; startedAt: string }> {
  const store = new MetricStore();
  let first: number | undefined;
  let last = 0;
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    const rec = JSON.parse(line) as { type: string; metric: string; data: { type?: string; contains?: string; time?: string; value?: number;
      tags?: Record<string, string> } };
    if (rec.type === 'Metric') {
      store.define(rec.metric, rec.data.type as MetricType, rec.data.contains === 'time');
    } else if (rec.type === 'Point') {
      const t = Date.parse(String(rec.data.time));
      first ??= t;
      last = Math.max(last, t);
      const m = store.metrics.get(rec.metric) ?? store.define(rec.metric, 'trend');
      store.add(m, t - first, Number(rec.data.value), rec.data.tags ?? undefined);
    }
  }
  return { store, durationMs: first === undefined ? 0 : last - first, startedAt: new Date(first ?? Date.now()).toISOString() };
}
