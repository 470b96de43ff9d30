import { strict as assert } from 'node:assert';
import { Pool } from 'undici';
import { spawnWorldProcesses } from '../../loadtests/world';

async function getJson(base: string, p: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const pool = new Pool(base);
  try {
    const r = await pool.request({ method: 'GET', path: p });
    return { status: r.statusCode, body: (await r.body.json()) as Record<string, unknown> };
  } finally {
    await pool.close();
  }
}

describe('simulators/world-process.ts: the world in processes of its own', function () {
  this.timeout(60_000);

  for (const processes of [1, 2] as const) {
    it(`starts in ${processes} process(es), prints its URLs, reports its peak RSS and stops`, async () => {
      const world = await spawnWorldProcesses(processes, 7);
      let stopped = false;
      try {
        const urls = world.info.urls as Record<string, string>;
        for (const k of ['switch', 'als', 'payerOutbound', 'payerInbound', 'pil', 'payeefsp1', 'payeefsp2']) assert.match(urls[k] ?? '',
          /^http:\/\/127\.0\.0\.1:\d+$/, k);
        for (const k of ['switch', 'als', 'payerOutbound', 'payeefsp1']) assert.equal((await getJson(urls[k], '/health')).status, 200, k);
        // the payees and the payer are onboarded on the switch, wherever it runs
        const ep = await getJson(urls.switch, '/participants/payeefsp1/endpoints');
        assert.equal(ep.status, 200);
        assert.ok(JSON.stringify(ep.body).includes(urls.payeefsp1));
        const s = await world.stats();
        assert.ok(s.peakRssMb > 20 && s.peakRssMb >= s.rssMb - 1, JSON.stringify(s));
        const last = await world.stop();
        stopped = true;
        assert.ok(last && last.peakRssMb >= s.peakRssMb - 1);
        await assert.rejects(getJson(urls.switch, '/health'));
      } finally {
        if (!stopped) await world.stop();
      }
    });
  }
});
