import { strict as assert } from 'node:assert';
import path from 'node:path';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import yargs, { type Argv } from 'yargs';
import { benchCommand } from '../../cli/commands/bench';
import { BenchResult, DEFAULT_SIZES, formatBench, KEEP_MARKER, parseBenchArgs, writeBenchDoc } from '../../loadtests/bench';

describe('npm run bench: options and the benchmarks document', () => {
  it('reads --sizes, --batch-size and --rail-mode, and refuses nonsense', () => {
    const o = parseBenchArgs(['--sizes', '10000,100_000', '--batch-size', '50000', '--rail-mode', 'bulkQuotesTransfers', '--no-write']);
    assert.deepEqual(o.sizes, [10_000, 100_000]);
    assert.equal(o.batchSize, 50_000);
    assert.equal(o.railMode, 'bulkQuotesTransfers');
    assert.equal(o.write, false);
    assert.equal(parseBenchArgs([]).sizes, undefined);
    assert.throws(() => parseBenchArgs(['--sizes', '10k']), /not a positive whole number/);
  });

  it('by default runs the 10,000 and 100,000 cycles and writes the tracked document only with --write', async () => {
    assert.deepEqual(DEFAULT_SIZES, [10_000, 100_000]);
    assert.equal(parseBenchArgs([]).write, false);
    assert.equal(parseBenchArgs(['--write']).write, true);
    // What `npm run bench` (gpo bench) passes on when given no flags.
    const parsed = await (benchCommand.builder as (y: Argv) => Argv)(yargs([])).parseAsync();
    assert.equal(parsed.sizes, '10000,100000');
    assert.equal(parsed.write, false);
  });

  it('writes the machine, every cycle and the baseline, and keeps the notes below the marker', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gpo-bench-doc-'));
    try {
      const file = path.join(dir, 'benchmarks.md');
      writeFileSync(file, `old text\n${KEEP_MARKER}\n## Load runs\nkept note\n`);
      const r: BenchResult = {
        date: '2026-01-01T00:00:00.000Z', railMode: 'bulkTransactions', batchSize: 100_000,
        machine: { cpus: 2, cpuModel: 'Test CPU', memoryGb: 24, node: 'v20.0.0', os: 'Linux' },
        baseline: { flows: 0, flowErrors: 0, flowsPerSecond: 0, flowP95Ms: 0, bulkItems: 20_000, bulkErrors: 0, bulkItemsPerSecond: 5000,
          bulkP95Ms: 400, peakRssMb: 300 },
        cycles: [
          { payments: 10_000, batches: 1, completed: 10_000, failed: 0, submitS: 0.2, firstFinalS: 0.5, allFinalS: 2, paymentsPerSecond:
            5000, peakRssMb: 400, ledgerCommitted: 10_000, scaling: 1, ratioToSimulators: 1, worldPeakRssMb: 900, orchestratorCpuS: 1,
            worldCpuS: 10, orchestratorCpuUsPerPayment: 100, worldCpuUsPerPayment: 1000 },
          { payments: 100_000, batches: 1, completed: 0, failed: 0, submitS: 0, firstFinalS: 0, allFinalS: 0, paymentsPerSecond: 0,
            peakRssMb: 500, ledgerCommitted: 0, error: 'not all final after 10 s' },
        ],
      };
      writeBenchDoc(r, file);
      const doc = readFileSync(file, 'utf8');
      assert.doesNotMatch(doc, /old text/);
      assert.match(doc, /2 x Test CPU/);
      assert.match(doc, /\| 10,000 \| 1 \| 2\.00 \| \*\*5,000\*\* \|/);
      assert.match(doc, /100,000 \| failed: not all final after 10 s/);
      assert.match(doc, /\*\*5,000 items\/s\*\*/);
      assert.ok(doc.endsWith(`${KEEP_MARKER}\n## Load runs\nkept note\n`));
      assert.match(formatBench(r), /10000\s+\|\s+2\.00 \|\s+5000/);
      // CPU per payment on each side, beside payments/s.
      assert.match(doc, /\| 900 \| 1 \/ 10 \| 100 \/ 1000 \| 1 \| 1 \|/);
      assert.match(formatBench(r), /1\/10 \|\s+100\/1000 \|/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
