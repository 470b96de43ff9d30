/**
 * The operator console in a real browser (Debian's Chromium through playwright-core) over a running `gpo up` on
 * free ports: a batch submitted through the API is watched to completion on the page; a fault rule added and
 * switched on from the page makes payments fail with its code; a batch is cancelled from the page; the load
 * report's charts render, one per metric, without horizontal scroll. Every money claim is checked against the
 * payee simulators' ledgers. Screenshots land in ci-output/ (docs/console.md shows them).
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { request } from 'undici';
import { startUp, type Up } from '../../cli/commands/up';
import { runLoad } from '../../loadtests/load';
import { toUnits } from '../../shared/money';
import { hasChromium, launchBrowser, screenshot, scrollsSideways, type Browser } from '../support/browser';
import { tmpDataDir } from '../support/tmp';

interface BatchView { id: string; status: string; totalCount: number; byStatus: Record<string, { count: number; amount: string }> }

async function call<T>(url: string, method = 'GET', body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number;
  body: T }> {
  const res = await request(url, { method: method as 'GET', body: body === undefined ? undefined : JSON.stringify(body), headers:
    { 'content-type': 'application/json', ...headers } });
  const text = await res.body.text();
  return { status: res.statusCode, body: (text ? JSON.parse(text) : undefined) as T };
}

/** Payments committed on every payee ledger (what "paid" means). */
async function committed(up: Up): Promise<number> {
  let n = 0;
  for (const p of Object.values(up.world.payees)) {
    const l = await call<{ totals: Record<string, { committedCount: number }> }>(`${p.url}/admin/ledger`);
    n += Number(l.body.totals.USD?.committedCount ?? 0);
  }
  return n;
}

function payments(n: number, fsps: Array<1 | 2>, base: number, amount = '12.5'): unknown[] {
  return Array.from({ length: n }, (_, i) => ({
    reference: `c-${base}-${i}`, payeeIdType: 'MSISDN', payeeIdValue: `2547${fsps[i % fsps.length]}${String(base + i).padStart(7, '0')}`,
    amount, currency: 'USD',
  }));
}

async function submit(up: Up, key: string, body: unknown): Promise<BatchView> {
  const res = await call<BatchView>(`${up.orchestrator!.url}/v1/batches`, 'POST', body, { 'idempotency-key': key });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body;
}

describe('operator console in a real browser', function () {
  this.timeout(120_000);
  let up: Up;
  let browser: Browser;
  let page: Page;
  const dir = tmpDataDir('gpo-console-');
  const saved: Record<string, string | undefined> = {};

  before(async function () {
    if (!hasChromium()) {
      if (process.env.CI) throw new Error('no Chromium at /usr/bin/chromium: .ci/run installs it with apt-get');
      this.skip();
    }
    // Small chunks, one at a time: a batch stays in progress long enough to be watched and cancelled.
    for (const [k, v] of [['GPO_CHUNK_SIZE', '10'], ['GPO_RAIL_CONCURRENCY', '1'], ['GPO_PER_FSP_CONCURRENCY', '1']]) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    try {
      up = await startUp({ ports: 'random', dataDir: dir.path, seed: 5 });
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
    browser = await launchBrowser();
    page = await browser.page(1366, 900);
    page.on('dialog', (d) => void d.accept());
  });
  after(async () => {
    await browser?.close();
    await up?.stop();
    dir.remove();
  });

  it('is served at /ui and answers a clear 404 for anything else under it', async () => {
    const index = await request(`${up.orchestrator!.url}/ui/`);
    assert.equal(index.statusCode, 200);
    assert.match(await index.body.text(), /GPO operator console/);
    const other = await request(`${up.orchestrator!.url}/ui/../orchestrator/config.ts`);
    await other.body.dump();
    assert.notEqual(other.statusCode, 200);
    const denied = await call<{ errorCode: string }>(`${up.orchestrator!.url}/ui/api/world/payeefsp1/admin/ledger/reset`, 'PUT', {});
    assert.equal(denied.status, 403);
    assert.equal(denied.body.errorCode, 'NOT_ALLOWED');
  });

  it('shows a batch submitted through the API, live, until it completes; its figures match the payee ledgers', async () => {
    const paidBefore = await committed(up);
    await page.goto(`${up.orchestrator!.url}/ui/`);
    await page.waitForSelector('[data-testid=batches]');
    const batch = await submit(up, 'console-watch', { reference: 'pension-cycle-7', currency: 'USD', payments:
      payments(30, [1, 2], 1000) });
    const row = `[data-testid=batch-row][data-batch-id="${batch.id}"]`;
    await page.waitForSelector(row, { timeout: 15_000 });
    await page.waitForSelector(`${row}[data-status=COMPLETED]`, { timeout: 60_000 });
    await screenshot(page, 'console-batches');
    assert.equal(await committed(up) - paidBefore, 30, 'every payment paid once on a payee ledger');

    await page.click(`${row} a`);
    await page.waitForSelector('[data-testid=batch-detail][data-status=COMPLETED]');
    assert.match(await page.textContent('[data-testid=fig-paid]') ?? '', /375\.00\s*USD/);
    assert.match(await page.textContent('[data-testid=fig-paid]') ?? '', /30 payments/);
    assert.match(await page.textContent('[data-testid=reconciled]') ?? '', /✓/);
    const ids = await page.$$eval('[data-testid=transfer-id]', (els) => els.map((e) => e.textContent ?? ''));
    assert.ok(ids.length >= 20 && ids.every((t) => /^[0-9a-f-]{36}$/.test(t)), `Mojaloop transfer ids shown: ${ids.slice(0,
      3).join(', ')}`);
    await screenshot(page, 'console-batch');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-report]')]);
    const csv = readFileSync(await download.path(), 'utf8');
    assert.equal(csv.trim().split('\r\n').length, 31, 'header and one row per payment');
  });

  it('switches on a fault rule on the page: payments to that payee fail with its code; switched off, they pay again', async () => {
    await page.goto(`${up.orchestrator!.url}/ui/#/world`);
    await page.waitForSelector('[data-testid=participant-row]');
    await page.selectOption('[data-testid=add-rule-target]', 'payeefsp1');
    await page.selectOption('[data-testid=add-rule-preset]', 'fail-bulk');
    await page.fill('[data-testid=add-rule-code]', '5104');
    await page.click('[data-testid=add-rule-submit]');
    const rule = '[data-testid=rules][data-server=payeefsp1] [data-testid=rule]';
    await page.waitForSelector(`${rule}[data-enabled=false]`);
    const rulesAt = async () => (await call<{ rules: Array<{ enabled?: boolean;
      action: { errorCode?: string } }> }>(`${up.world.urls.payeefsp1}/admin/rules`)).body.rules;
    assert.deepEqual((await rulesAt()).map((r) => [r.enabled, r.action.errorCode]), [[false, '5104']], 'added switched off');
    await page.click(`${rule} .switch`);
    await page.waitForSelector(`${rule}[data-enabled=true]`);
    assert.equal((await rulesAt())[0].enabled, true, 'switched on at the simulator');
    await screenshot(page, 'console-world');

    const paidBefore = await committed(up);
    const batch = await submit(up, 'console-fault', { reference: 'fault-5104', currency: 'USD', payments: payments(20, [1, 2], 2000) });
    await page.goto(`${up.orchestrator!.url}/ui/#/batches/${batch.id}`);
    await page.waitForSelector('[data-testid=batch-detail][data-status=PARTIALLY_COMPLETED]', { timeout: 60_000 });
    await page.waitForSelector('[data-testid=failure-row][data-code="5104"]');
    assert.match(await page.textContent('[data-testid=failure-row][data-code="5104"]') ?? '', /5104.*10/s);
    await page.fill('[data-testid=payment-error-code]', '5104');
    await page.press('[data-testid=payment-error-code]', 'Enter');
    // a string: the tests are type-checked without the DOM library
    await page.waitForFunction(`(() => {
      const rows = [...document.querySelectorAll('[data-testid=payment-row]')];
      return rows.length === 10 && rows.every((r) => r.getAttribute('data-code') === '5104');
    })()`);
    await screenshot(page, 'console-failures');
    assert.equal(await committed(up) - paidBefore, 10, 'only the payments to payeefsp2 were paid');

    await page.goto(`${up.orchestrator!.url}/ui/#/world`);
    await page.click(`${rule}[data-enabled=true] .switch`);
    await page.waitForSelector(`${rule}[data-enabled=false]`);
    assert.equal((await rulesAt())[0].enabled, false);
  });

  it('cancels a batch in progress from the page: what was not sent is not paid', async () => {
    // Every bulk quote answered 300 ms late: 20 chunks one after another take several seconds.
    for (const fsp of ['payeefsp1', 'payeefsp2']) {
      const put = await call(`${up.world.urls[fsp]}/admin/rules`, 'PUT',
        { rules: [{ id: 'slow', match: { resource: 'bulkQuotes' }, action: { type: 'delay', ms: 300 } }] });
      assert.equal(put.status, 200);
    }
    const paidBefore = await committed(up);
    const batch = await submit(up, 'console-cancel', { reference: 'to-cancel', currency: 'USD', payments:
      payments(200, [1, 2], 3000, '3') });
    await page.goto(`${up.orchestrator!.url}/ui/#/batches/${batch.id}`);
    await page.waitForSelector('[data-testid=cancel]');
    await page.click('[data-testid=cancel]');
    await page.waitForSelector('[data-testid=batch-detail][data-status=CANCELLED]', { timeout: 60_000 });
    await screenshot(page, 'console-cancelled');
    const view = (await call<BatchView>(`${up.orchestrator!.url}/v1/batches/${batch.id}`)).body;
    assert.ok(view.byStatus.CANCELLED.count > 0, 'some payments were cancelled');
    assert.equal(view.byStatus.COMPLETED.count + view.byStatus.FAILED.count + view.byStatus.CANCELLED.count, 200);
    assert.equal(await committed(up) - paidBefore, view.byStatus.COMPLETED.count, 'the payee ledgers hold exactly the completed ones');
    assert.equal(toUnits(view.byStatus.COMPLETED.amount), BigInt(view.byStatus.COMPLETED.count) * toUnits('3'));
    for (const fsp of ['payeefsp1', 'payeefsp2']) await call(`${up.world.urls[fsp]}/admin/rules`, 'PUT', { rules: [] });
  });

  it('notifications: a webhook refused for good becomes a dead letter on the page', async () => {
    // 410 Gone is not retried: the delivery is given up at once.
    const gone = http.createServer((_req, res) => res.writeHead(410).end('gone'));
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    const hook = `http://127.0.0.1:${(gone.address() as AddressInfo).port}/never`;
    after(() => new Promise<void>((r) => gone.close(() => r())));
    const batch = await submit(up, 'console-hook', { currency: 'USD', webhookUrl: hook, payments: payments(2, [2], 4000) });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const page =
        (await call<{ items: Array<{ batchId: string; outcome: string }> }>(`${up.orchestrator!.url}/v1/notifications?outcome=dead`)).body;
      if (page.items.some((e) => e.batchId === batch.id)) break;
      if (Date.now() > deadline) throw new Error('no dead letter for the webhook');
      await new Promise((r) => setTimeout(r, 100));
    }
    await page.goto(`${up.orchestrator!.url}/ui/#/notifications`);
    await page.waitForSelector('[data-testid=notification-row][data-outcome=dead]');
    assert.ok((await page.textContent('[data-testid=notifications]') ?? '').includes(hook));
    assert.match(await page.textContent('[data-testid=notifications]') ?? '', /HTTP 410/);
    await screenshot(page, 'console-notifications');
  });

  it('the load report: one chart per metric, drawn, without horizontal scroll at any width', async () => {
    const out = tmpDataDir('gpo-console-load-');
    try {
      const r = await runLoad({ profile: 'bulk-disbursement', payments: 300, env: { POLL_MS: '50', BATCH_SIZE: '100' }, target:
        up.orchestrator!.url, engine: 'node', outDir: out.path, log: () => undefined });
      const html = r.files.find((f) => f.endsWith('.html'))!;
      assert.doesNotMatch(readFileSync(html, 'utf8'), /<script[^>]+src=|<link[^>]+href=|https?:\/\/cdn/i, 'nothing fetched from anywhere');
      const kinds = r.report.latencyByKind.map((k) => k.kind);
      assert.ok(kinds.includes('POST /v1/batches') && kinds.includes('GET /v1/batches/{id}'), `submit and poll apart: ${kinds.join(', ')}`);
      for (const width of [1280, 760]) {
        const p = await browser.page(width, 900);
        await p.goto(pathToFileURL(html).href);
        await p.waitForSelector('#gpo-charts[data-rendered]');
        const charts = await p.$$eval('#gpo-charts figure.chart', (figs) => figs.map((f) => ({
          id: f.getAttribute('data-chart') ?? '', title: f.querySelector('figcaption')?.textContent ?? '',
          canvas: f.querySelectorAll('canvas').length, width: f.querySelector('canvas')?.getBoundingClientRect().width ?? 0,
          fig: f.getBoundingClientRect().width,
        })));
        const ids = charts.map((c) => c.id);
        for (const id of ['throughput', 'requests', 'vus', 'arrival', 'latency-POST /v1/batches', 'latency-GET /v1/batches/{id}',
          'percentiles']) assert.ok(ids.includes(id), `${id} in ${ids.join(', ')}`);
        assert.equal(new Set(charts.map((c) => c.title)).size, charts.length, 'one chart per metric');
        for (const c of charts) {
          assert.equal(c.canvas, 1, `${c.id} drawn`);
          assert.ok(c.width > 200 && c.width <= c.fig, `${c.id} fits its box (${c.width} of ${c.fig})`);
        }
        assert.equal(await scrollsSideways(p), false, `no horizontal scroll at ${width} px`);
        if (width === 1280) await screenshot(p, 'load-report');
        await p.close();
      }
    } finally {
      out.remove();
    }
  });
});
