/**
 * The lint rules hold: each import rule of eslint.config.mjs refuses a planted file that breaks the layering, the
 * line-length rule refuses a 141-column line, and the same files written the allowed way pass. `npm test` lints the
 * whole tree before mocha runs (npm run lint); this proves that run could fail.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';

const ROOT = path.join(__dirname, '..', '..');

/** A line of code exactly `n` columns long. */
function lineOf(n: number): string {
  const head = 'export const total = 1; // ';
  return head + 'x'.repeat(n - head.length) + '\n';
}

interface Planted { file: string; code: string; rule: string; says?: RegExp }

const VIOLATIONS: Planted[] = [
  { file: 'orchestrator/engine/planted.ts', code: "import { startSwitch } from '../../simulators/switch';\n",
    rule: 'no-restricted-imports', says: /never imports a simulator/ },
  { file: 'orchestrator/rails/planted.ts', code: "import { Engine } from '../engine/engine';\n",
    rule: 'no-restricted-imports', says: /Rails never import the engine/ },
  { file: 'orchestrator/notify/planted.ts', code: "import { toNativeBatch } from '../intake/native/report';\n",
    rule: 'no-restricted-imports', says: /Notifiers never import an intake/ },
  { file: 'simulators/payee-dfsp/planted.ts', code: "import { runSimulatorBenchmark } from '../bench';\n",
    rule: 'no-restricted-imports', says: /imports a benchmark/ },
  { file: 'orchestrator/intake/planted.ts', code: "import { runBench } from '../../loadtests/bench';\n",
    rule: 'no-restricted-imports', says: /imports a benchmark/ },
  { file: 'shared/planted.ts', code: "import { Engine } from '../orchestrator/engine/engine';\n",
    rule: 'no-restricted-imports', says: /below every component/ },
  { file: 'orchestrator/domain/planted.ts', code: lineOf(141), rule: 'max-len' },
  { file: 'orchestrator/domain/planted-any.ts', code: 'export function f(x: any): number { return x; }\n',
    rule: '@typescript-eslint/no-explicit-any' },
];

const ALLOWED: Planted[] = [
  { file: 'orchestrator/rails/planted.ts', code: "import { mapLimit } from '../../shared/concurrency';\n", rule: '' },
  { file: 'orchestrator/notify/planted.ts', code: "import type { BatchView } from '../domain/types';\n", rule: '' },
  { file: 'simulators/payee-dfsp/planted.ts', code: "import { onboardParticipant } from '../switch/onboard';\n", rule: '' },
  { file: 'simulators/payee-dfsp/bench.ts', code: "import { runSimulatorBenchmark } from '../bench';\n", rule: '' },
  { file: 'test/planted.test.ts', code: "import { startSwitch } from '../simulators/switch';\n", rule: '' },
  { file: 'orchestrator/domain/planted.ts', code: lineOf(140), rule: '' },
];

describe('lint: layering and line rules', function () {
  this.timeout(60_000);
  const eslint = new ESLint({ cwd: ROOT });

  async function problems(p: Planted): Promise<Array<{ ruleId: string | null; message: string }>> {
    const [result] = await eslint.lintText(p.code, { filePath: path.join(ROOT, p.file) });
    return result.messages
      // a planted file's own unused import is not what is being tested
      .filter((m) => m.ruleId !== '@typescript-eslint/no-unused-vars')
      .map((m) => ({ ruleId: m.ruleId, message: m.message }));
  }

  for (const p of VIOLATIONS) {
    it(`refuses ${p.file}: ${p.code.trim().slice(0, 70)}`, async () => {
      const found = await problems(p);
      const hit = found.find((m) => m.ruleId === p.rule);
      assert.ok(hit, `${p.rule} should refuse it; found ${JSON.stringify(found)}`);
      if (p.says) assert.match(hit.message, p.says);
    });
  }

  for (const p of ALLOWED) {
    it(`allows ${p.file}: ${p.code.trim().slice(0, 70)}`, async () => {
      assert.deepEqual(await problems(p), []);
    });
  }
});
