/**
 * Readiness follows the rail: /health/ready answers 503 NOT_READY (and gpo_rail_reachable 0) while the payer DFSP is
 * stopped, READY (1) again once it is back on its port; /health/live stays OK throughout.
 */
import { strict as assert } from 'node:assert';
import { request } from 'undici';
import { startOrchestrator, type RunningOrchestrator } from '../../orchestrator';
import { startPayerDfsp, type RunningPayerDfsp } from '../../simulators/payer-dfsp';
import { tmpDataDir } from '../support/tmp';

interface Ready {
  status: number;
  body: { status: string; checks: { store: string; rail: { reachable: boolean; url: string; reason?: string } } };
}

async function ready(url: string): Promise<Ready> {
  const res = await request(`${url}/health/ready`);
  return { status: res.statusCode, body: (await res.body.json()) as Ready['body'] };
}

async function reachableGauge(url: string): Promise<string | undefined> {
  const text = await (await request(`${url}/metrics`)).body.text();
  return /^gpo_rail_reachable\{rail="mojaloop-sdk"\} (\d)$/m.exec(text)?.[1];
}

/** Asks until readiness says `status` (the probe result is kept for a second), failing after 10 s. */
async function until(url: string, status: string): Promise<Ready> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await ready(url);
    if (r.body.status === status) return r;
    if (Date.now() > deadline) throw new Error(`readiness stayed ${JSON.stringify(r.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('orchestrator readiness follows the rail', function () {
  this.timeout(30_000);
  const dir = tmpDataDir('gpo-ready-');
  let payer: RunningPayerDfsp | undefined;
  let orch: RunningOrchestrator | undefined;
  after(async () => {
    await orch?.stop();
    await payer?.stop();
    dir.remove();
  });

  it('turns NOT_READY (503) when the payer DFSP stops and READY again when it is back', async () => {
    payer = await startPayerDfsp({ port: 0, inboundPort: 0, host: '127.0.0.1' });
    const port = payer.port;
    orch = await startOrchestrator({ port: 0, host: '127.0.0.1', dataDir: dir.path, sdkUrl: payer.outboundUrl });

    const up = await until(orch.url, 'READY');
    assert.equal(up.status, 200);
    assert.deepEqual({ store: up.body.checks.store, reachable: up.body.checks.rail.reachable }, { store: 'open', reachable: true });
    assert.equal(await reachableGauge(orch.url), '1');

    await payer.stop();
    payer = undefined;
    const down = await until(orch.url, 'NOT_READY');
    assert.equal(down.status, 503);
    assert.equal(down.body.checks.rail.reachable, false);
    assert.equal(down.body.checks.rail.reason, 'ECONNREFUSED');
    assert.equal(await reachableGauge(orch.url), '0');
    assert.equal((await request(`${orch.url}/health/live`)).statusCode, 200);

    payer = await startPayerDfsp({ port, inboundPort: 0, host: '127.0.0.1' });
    const back = await until(orch.url, 'READY');
    assert.equal(back.status, 200);
    assert.equal(await reachableGauge(orch.url), '1');
  });
});
