import assert from 'node:assert/strict';
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { runScenario, ScenarioResult } from '../../scenarios/runner';
import { formatResult } from '../../scenarios/report';
import { loadScenario, parseDuration, stepName } from '../../scenarios/parse';

const dir = path.join(__dirname, '..', '..', 'scenarios');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
/** Worlds running at once in this process (each on its own random ports). */
const AT_ONCE = Number(process.env.GPO_SCENARIOS_AT_ONCE ?? 2);

/**
 * Starts every scenario, AT_ONCE at a time in file order, and hands back each one's result as a promise: the tests
 * below await them in the same order, so each scenario is one test (its progress and its time visible) while the
 * next one already runs beside it.
 */
function runAll(paths: string[]): Map<string, Promise<ScenarioResult>> {
  const out = new Map<string, Promise<ScenarioResult>>();
  const resolvers = new Map<string, (r: ScenarioResult) => void>();
  for (const p of paths) out.set(p, new Promise((resolve) => resolvers.set(p, resolve)));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const p = paths[next++];
      const t0 = Date.now();
      const r = await runScenario(p).catch((err: Error): ScenarioResult =>
        ({ file: p, name: p, ok: false, ms: Date.now() - t0, runs: [{ label: 'run', ok: false, steps: [], mismatches: [], error: err.stack
          ?? err.message, messages: [] }] }));
      resolvers.get(p)!(r);
    }
  };
  for (let i = 0; i < Math.max(1, AT_ONCE); i++) void worker();
  return out;
}

describe('scenario suite (scenarios/*.yaml, each in a fresh world)', () => {
  let results: Map<string, Promise<ScenarioResult>>;

  it('has at least 14 scenarios, all valid, none excused from the ledger checks, each cancel expecting cancellations', () => {
    assert.ok(files.length >= 14, `${files.length} scenarios`);
    for (const f of files) {
      const s = loadScenario(path.join(dir, f));
      for (const [check, on] of Object.entries(s.expect.ledgers ?? {})) assert.notEqual(on, false, `${f} turns ledgers.${check} off`);
      // A cancel that catches nothing must fail the scenario, so the expectation has to ask for some.
      if (s.steps.some((st) => stepName(st) === 'cancel')) assert.ok((s.expect.cancelled?.count ?? s.expect.cancelled?.minCount ?? 0) > 0,
        `${f} cancels but expects no cancelled payments`);
    }
    results = runAll(files.map((f) => path.join(dir, f)));
  });

  for (const f of files) {
    // When this test starts, every earlier scenario has finished, so this one is already running: its own time
    // limit bounds the wait.
    const limit = parseDuration(loadScenario(path.join(dir, f)).timeLimit, 60_000);
    it(f, async function () {
      this.timeout(limit * 2 + 30_000);
      assert.ok(results, 'the scenarios were not started');
      const r = await results.get(path.join(dir, f))!;
      // Until the simulated network and the orchestrator are both in the tree there is nothing to run against.
      if (r.unavailable) this.skip();
      assert.ok(r.ok, formatResult(r));
    });
  }
});
