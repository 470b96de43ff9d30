/**
 * GET /v1/batches as a list: the nedb store's query (filters, order, pages, on disk and after a reopen) and the
 * route's rules (statuses, dates, page bounds), plus the payments' error-code filter and the failures summary.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type { BatchRecord } from '../../orchestrator/domain/model';
import { BatchStatus } from '../../orchestrator/domain/types';
import { NedbStore } from '../../orchestrator/store/nedb';
import { failWhen } from '../intake/fake-service';
import { batchBody, startNative, type NativeHarness } from './helpers';

function record(i: number, status: BatchStatus, createdAt: string, source: BatchRecord['source'] = 'native'): BatchRecord {
  return {
    _id: `b-${i}`, source, sourceKey: `k-${i}`, sourceIdx: `${source}:k-${i}`, requestHash: 'h', status, currency: 'USD', rail:
      'mojaloop-sdk',
    totalCount: 1, totalAmount: '1', sliceCount: 0, createdAt, updatedAt: createdAt,
  };
}

describe('GET /v1/batches: the list', () => {
  describe('the nedb store', () => {
    const dirs: string[] = [];
    after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

    async function filled(store: NedbStore): Promise<void> {
      await store.open();
      const statuses = [BatchStatus.COMPLETED, BatchStatus.PROCESSING, BatchStatus.FAILED, BatchStatus.COMPLETED, BatchStatus.CANCELLED];
      for (const [i, st] of statuses.entries()) await store.createBatch(record(i, st, `2026-05-0${i + 1}T10:00:00.000Z`, i === 4 ? 'pil'
        : 'native'), [], []);
    }

    it('answers newest first, filtered by statuses, source and [from, to), with the total of every page', async () => {
      const store = new NedbStore({ inMemory: true });
      await filled(store);
      const all = await store.listBatches({ offset: 0, limit: 10 });
      assert.equal(all.total, 5);
      assert.deepEqual(all.items.map((b) => b._id), ['b-4', 'b-3', 'b-2', 'b-1', 'b-0']);
      const done = await store.listBatches({ statuses: [BatchStatus.COMPLETED, BatchStatus.FAILED], offset: 0, limit: 10 });
      assert.deepEqual(done.items.map((b) => b._id), ['b-3', 'b-2', 'b-0']);
      const window = await store.listBatches({ from: '2026-05-02T00:00:00.000Z', to: '2026-05-04T10:00:00.000Z', offset: 0, limit: 10 });
      assert.deepEqual(window.items.map((b) => b._id), ['b-2', 'b-1'], 'from inclusive, to exclusive');
      const pil = await store.listBatches({ source: 'pil', offset: 0, limit: 10 });
      assert.deepEqual(pil.items.map((b) => b._id), ['b-4']);
      const page2 = await store.listBatches({ offset: 2, limit: 2 });
      assert.deepEqual({ total: page2.total, ids: page2.items.map((b) => b._id) }, { total: 5, ids: ['b-2', 'b-1'] });
    });

    it('reads the same list from its data files after a reopen', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'gpo-list-'));
      dirs.push(dir);
      const first = new NedbStore({ dataDir: dir });
      await filled(first);
      await first.updateBatch('b-1', { status: BatchStatus.COMPLETED });
      await first.close();
      const again = new NedbStore({ dataDir: dir });
      await again.open();
      const done = await again.listBatches({ statuses: [BatchStatus.COMPLETED], offset: 0, limit: 10 });
      assert.deepEqual(done.items.map((b) => b._id), ['b-3', 'b-1', 'b-0']);
      await again.close();
    });
  });

  describe('the route', () => {
    let h: NativeHarness;
    afterEach(async () => { await h?.stop(); });

    it('pages the batches newest first and filters them by status (comma list or repeated) and creation time', async () => {
      h = await startNative({ service: { outcome: failWhen(/02$/) } });
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await request(h.url).post('/v1/batches').set('idempotency-key', `list-${i}`).send(batchBody(i + 1));
        ids.push(res.body.id);
      }
      await h.service.settle(ids[2]);
      const page = await request(h.url).get('/v1/batches?limit=2').expect(200);
      assert.equal(page.body.total, 3);
      assert.equal(page.body.limit, 2);
      assert.equal(page.body.items.length, 2);
      assert.equal(page.body.items[0].source, 'native');
      const settled = await request(h.url).get('/v1/batches?status=PARTIALLY_COMPLETED,COMPLETED').expect(200);
      assert.deepEqual(settled.body.items.map((b: { id: string }) => b.id), [ids[2]]);
      const repeated = await request(h.url).get('/v1/batches?status=PARTIALLY_COMPLETED&status=RECEIVED').expect(200);
      assert.equal(repeated.body.total, 3);
      const later = await request(h.url).get(`/v1/batches?to=${encodeURIComponent('2000-01-01')}`).expect(200);
      assert.equal(later.body.total, 0);
    });

    it('refuses a bad filter with the field and a code, in the native error format', async () => {
      h = await startNative();
      for (const [query, field, code] of [
        ['status=DONE', 'status', 'NOT_ALLOWED'],
        ['from=yesterday', 'from', 'INVALID_FORMAT'],
        ['limit=501', 'limit', 'OUT_OF_RANGE'],
        ['offset=-1', 'offset', 'OUT_OF_RANGE'],
        ['source=fax', 'source', 'NOT_ALLOWED'],
        ['colour=red', 'colour', 'UNKNOWN_FIELD'],
      ] as const) {
        const res = await request(h.url).get(`/v1/batches?${query}`);
        assert.equal(res.status, 400, query);
        assert.equal(res.body.errorCode, 'VALIDATION_FAILED', query);
        assert.deepEqual(res.body.errors.map((e: { field: string; code: string }) => [e.field, e.code]), [[field, code]], query);
      }
    });

    it('filters payments by error code and sums the failures by code', async () => {
      h = await startNative({ service: { outcome: failWhen(/0[13]$/, '5104', 'Payee rejected') } });
      const res = await request(h.url).post('/v1/batches').set('idempotency-key', 'codes').send(batchBody(5));
      await h.service.settle(res.body.id);
      const failed = await request(h.url).get(`/v1/batches/${res.body.id}/payments?errorCode=5104`).expect(200);
      assert.deepEqual(failed.body.items.map((p: { position: number }) => p.position), [1, 3]);
      const failures = await request(h.url).get(`/v1/batches/${res.body.id}/failures`).expect(200);
      assert.deepEqual(failures.body, { batchId: res.body.id, currency: 'USD', items:
        [{ errorCode: '5104', errorDescription: 'Payee rejected', statuses: ['FAILED'], count: 2, amount: '21' }] });
      const bad = await request(h.url).get(`/v1/batches/${res.body.id}/payments?errorCode=a%20b`);
      assert.equal(bad.status, 400);
      assert.equal(bad.body.errors[0].field, 'errorCode');
      const missing = await request(h.url).get('/v1/batches/00000000-0000-4000-8000-0000000000ff/failures');
      assert.equal(missing.status, 404);
    });
  });
});
