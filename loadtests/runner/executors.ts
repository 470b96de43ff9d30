/**
 * The k6 executors the runner implements: constant-vus, constant-arrival-rate, shared-iterations and
 * per-vu-iterations. VUs are async workers in one Node process; an iteration is one call of the scenario's exec
 * function, awaited. A VU only starts a new iteration when its previous one ended, as in k6.
 */
import { parseDuration } from './durations';

export type ExecutorName = 'constant-vus' | 'constant-arrival-rate' | 'shared-iterations' | 'per-vu-iterations';
export const EXECUTORS: ExecutorName[] = ['constant-vus', 'constant-arrival-rate', 'shared-iterations', 'per-vu-iterations'];

export interface ScenarioConfig {
  executor: ExecutorName;
  vus?: number;
  duration?: string;
  rate?: number;
  timeUnit?: string;
  preAllocatedVUs?: number;
  maxVUs?: number;
  iterations?: number;
  maxDuration?: string;
  gracefulStop?: string;
  startTime?: string;
  exec?: string;
  env?: Record<string, string>;
  tags?: Record<string, string>;
}

export interface Vu {
  idInTest: number;
  iterations: number;
}

export interface IterationContext {
  vu: Vu;
  iterationInScenario: number;
}

export interface ExecutorHooks {
  /** Runs one iteration; must not throw (the caller records iteration errors). */
  iterate(ctx: IterationContext): Promise<void>;
  newVu(): Vu;
  dropped(): void;
  vusActive(n: number): void;
  /** True once the whole test is aborted (thresholds with abortOnFail, test.abort()). */
  aborted(): boolean;
}

export interface ExecutorOutcome {
  iterationsStarted: number;
  iterationsCompleted: number;
  dropped: number;
  /** Iterations still running when gracefulStop expired; they are no longer waited for. */
  interrupted: number;
  vusUsed: number;
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function validateScenario(name: string, s: ScenarioConfig): void {
  if (!EXECUTORS.includes(s.executor)) throw new Error(`scenario ${name}: executor "${s.executor}" is not supported by the Node runner ` +
    `(supported: ${EXECUTORS.join(', ')}); run it with k6`);
  const positive = (v: unknown, what: string) => {
    if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new Error(`scenario ${name}: ${what} must be a positive number`);
  };
  if (s.executor === 'constant-arrival-rate') {
    positive(s.rate, 'rate');
    positive(s.preAllocatedVUs, 'preAllocatedVUs');
    parseDuration(s.duration, NaN);
  } else {
    positive(s.vus ?? 1, 'vus');
  }
  if (s.executor === 'constant-vus') parseDuration(s.duration, NaN);
  if (s.executor === 'shared-iterations' || s.executor === 'per-vu-iterations') positive(s.iterations ?? 1, 'iterations');
}

/** Waits for the in-flight iterations at most gracefulStop; returns how many were left running. */
async function drain(inFlight: Set<Promise<void>>, gracefulStopMs: number): Promise<number> {
  if (inFlight.size === 0) return 0;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all([...inFlight]), new Promise<void>((r) => { timer = setTimeout(r, gracefulStopMs); })]);
  if (timer) clearTimeout(timer);
  return inFlight.size;
}

export async function runExecutor(s: ScenarioConfig, hooks: ExecutorHooks): Promise<ExecutorOutcome> {
  const gracefulStopMs = parseDuration(s.gracefulStop, 30_000);
  const out: ExecutorOutcome = { iterationsStarted: 0, iterationsCompleted: 0, dropped: 0, interrupted: 0, vusUsed: 0 };
  const inFlight = new Set<Promise<void>>();
  let iterationInScenario = 0;
  const start = (vu: Vu, index: number): Promise<void> => {
    out.iterationsStarted++;
    const p: Promise<void> = hooks.iterate({ vu, iterationInScenario: index }).then(() => {
      vu.iterations++;
      out.iterationsCompleted++;
      inFlight.delete(p);
    });
    inFlight.add(p);
    return p;
  };

  if (s.executor === 'constant-arrival-rate') {
    const durationMs = parseDuration(s.duration, 0);
    const intervalMs = parseDuration(s.timeUnit, 1000) / (s.rate as number);
    const maxVUs = Math.max(s.maxVUs ?? (s.preAllocatedVUs as number), s.preAllocatedVUs as number);
    const free: Vu[] = [];
    for (let i = 0; i < (s.preAllocatedVUs as number); i++) free.push(hooks.newVu());
    let created = free.length;
    hooks.vusActive(created);
    const t0 = performance.now();
    let due = 0;
    while (!hooks.aborted()) {
      const elapsed = performance.now() - t0;
      if (elapsed >= durationMs) break;
      // start every iteration due by now (catches up after timer jitter), then sleep until the next one is due
      const dueNow = Math.min(Math.floor(elapsed / intervalMs) + 1, Math.ceil(durationMs / intervalMs));
      for (; due < dueNow; due++) {
        let vu = free.pop();
        if (!vu && created < maxVUs) {
          vu = hooks.newVu();
          created++;
          hooks.vusActive(created);
        }
        if (!vu) {
          out.dropped++;
          hooks.dropped();
          continue;
        }
        const v = vu;
        void start(v, iterationInScenario++).then(() => { free.push(v); });
      }
      await wait(Math.max(0, due * intervalMs - (performance.now() - t0)));
    }
    out.interrupted = await drain(inFlight, gracefulStopMs);
    out.vusUsed = created;
    return out;
  }

  const vus = s.vus ?? 1;
  const workers: Vu[] = Array.from({ length: vus }, () => hooks.newVu());
  hooks.vusActive(vus);
  out.vusUsed = vus;
  const t0 = performance.now();
  if (s.executor === 'constant-vus') {
    const durationMs = parseDuration(s.duration, 0);
    const stop = () => hooks.aborted() || performance.now() - t0 >= durationMs;
    const loops = workers.map(async (vu) => {
      while (!stop()) await start(vu, iterationInScenario++);
    });
    // The loops end by themselves; those stuck in a long iteration get gracefulStop after the duration.
    await Promise.race([Promise.all(loops), wait(durationMs)]);
    out.interrupted = await drain(inFlight, gracefulStopMs);
    return out;
  }

  const maxDurationMs = parseDuration(s.maxDuration, 600_000);
  const stop = () => hooks.aborted() || performance.now() - t0 >= maxDurationMs;
  const total = s.iterations ?? 1;
  const loops = s.executor === 'shared-iterations'
    ? workers.map(async (vu) => {
      while (!stop() && iterationInScenario < total) await start(vu, iterationInScenario++);
    })
    : workers.map(async (vu) => {
      for (let i = 0; i < total && !stop(); i++) await start(vu, iterationInScenario++);
    });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(loops), new Promise<void>((r) => { timer = setTimeout(r, maxDurationMs); })]);
  if (timer) clearTimeout(timer);
  out.interrupted = await drain(inFlight, gracefulStopMs);
  return out;
}
