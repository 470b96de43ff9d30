import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseScenario } from '../../scenarios/parse';
import { runScenario } from '../../scenarios/runner';
import { formatResult } from '../../scenarios/report';
import { fakeEnvironment } from './support/fake-environment';

const readme = readFileSync(path.join(__dirname, '..', '..', 'scenarios', 'README.md'), 'utf8');

describe('scenarios/README.md', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gpo-readme-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('its complete example is a valid scenario that runs', async () => {
    const block = /```yaml\n([\s\S]*?)```/.exec(readme);
    assert.ok(block, 'the README has a yaml example');
    const s = parseScenario(block[1], 'README example');
    assert.equal(s.program.paymentManager, 'interop-layer');
    const file = path.join(dir, 'example.yaml');
    writeFileSync(file, block[1]);
    const r = await runScenario(file, { environment: fakeEnvironment() });
    assert.ok(r.ok, formatResult(r));
    assert.ok((r.runs[0].actual?.paid.count ?? 0) > 0);
  });

  it('documents every step and every expectation the schema knows', () => {
    const schema = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'scenarios', 'scenario.schema.json'), 'utf8'));
    for (const step of Object.keys(schema.definitions.step.oneOf[1].properties)) assert.ok(readme.includes(`| \`${step}\``),
      `step ${step}`);
    for (const e of Object.keys(schema.properties.expect.properties)) assert.ok(readme.includes(`\`${e}`) || readme.includes(`ledgers.`),
      `expect ${e}`);
    for (const k of Object.keys(schema.properties)) if (k !== '$schema') assert.ok(readme.includes(`\`${k}\``), `field ${k}`);
  });
});
