import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { orchestratorOptions } from '../../cli/commands/orchestrator';
import { resolveConfig } from '../../orchestrator/config';

describe('gpo orchestrator options', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(path.join(tmpdir(), 'gpo-cli-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('takes flags over the config file over GPO_* variables', () => {
    const file = path.join(dir, 'gpo.yaml');
    writeFileSync(file, 'railMode: transfers\nchunkSize: 500\nfeeLimits: { USD: "2" }\n');
    const opts = orchestratorOptions({ config: file, 'chunk-size': 200, 'fee-limits': 'USD=1.5,KES=30' }, {});
    const cfg = resolveConfig(opts, { GPO_RAIL_CONCURRENCY: '3', GPO_RAIL_MODE: 'bulkQuotesTransfers' });
    assert.equal(cfg.railMode, 'transfers');
    assert.equal(cfg.chunkSize, 200);
    assert.equal(cfg.railConcurrency, 3);
    assert.deepEqual(cfg.feeLimits, { USD: '1.5', KES: '30' });
  });

  it('refuses unknown config keys and invalid values with a clear message', () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ rail: 'mojaloop-sdk', chunksize: 10 }));
    assert.throws(() => orchestratorOptions({ config: file }, {}), /unknown option\(s\) chunksize/);
    assert.throws(() => orchestratorOptions({ rail: 'swift' }, {}), /rail must be mojaloop-sdk or pil/);
    assert.throws(() => orchestratorOptions({ 'fee-limits': 'USD:1' }, {}), /fee limit "USD:1"/);
  });
});
