/** Runs the crash test's orchestrator child (crash-child.ts) until it dies or reports its batch final. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { BatchView } from '../../../orchestrator/domain/types';

const CHILD = path.join(__dirname, 'crash-child.ts');

export interface ChildRun {
  signal: NodeJS.Signals | null;
  code: number | null;
  final?: BatchView;
  /** Failed payments by code and description, when the batch ended. */
  failures?: Record<string, number>;
  /** Every payment's status and error code by reference, when the batch ended. */
  statuses?: Record<string, string>;
  /** Final statuses (with error codes) reads showed during this run, by reference. */
  shown: Map<string, string>;
  lines: string[];
}

/** Runs the child until it dies or reports the batch final (then stops it). */
export function runChild(env: Record<string, string>, timeoutMs: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', CHILD], {
      env: { ...process.env, GPO_LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: ChildRun = { signal: null, code: null, lines: [], shown: new Map() };
    const timer =
      setTimeout(() =>
        { child.kill('SIGKILL'); reject(new Error(`child did not finish within ${timeoutMs} ms: ${run.lines.join('\n')}`)); }, timeoutMs);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('GPO-CHILD ')) return;
      const msg = JSON.parse(line.slice(10)) as { event: string; batch?: BatchView; failures?: Record<string, number>;
        statuses?: Record<string, string> };
      if (msg.event === 'shown') {
        for (const [ref, status] of Object.entries(msg.statuses ?? {})) run.shown.set(ref, status);
        return;
      }
      run.lines.push(line.slice(0, 2000));
      if (msg.event === 'final') {
        run.final = msg.batch;
        run.failures = msg.failures;
        run.statuses = msg.statuses;
        child.kill('SIGTERM');
      }
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      run.code = code;
      run.signal = signal;
      if (code !== null && code !== 0 && !run.final) reject(new Error(`child failed (${code}): ${stderr} ${run.lines.join('\n')}`));
      else resolve(run);
    });
  });
}

