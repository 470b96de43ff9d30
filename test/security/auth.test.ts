import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hashApiKey, newApiKey } from '../../orchestrator/security/credentials';
import { startHarness, type Harness } from '../orchestrator/support/world';
import { AUDIENCE, call, errorFormat, HS_SECRET, ISSUER, startJwksServer, testKey, token, validRequest, type TestKey } from './support';

type Api = 'native' | 'pil' | 'g2p-connect';
const APIS: Api[] = ['native', 'pil', 'g2p-connect'];

describe('security: northbound authentication and authorisation', function () {
  this.timeout(120_000);
  let h: Harness;
  let rsa: TestKey;
  let ed: TestKey;
  let rotated: TestKey;
  let jwks: Awaited<ReturnType<typeof startJwksServer>>;
  const keyA = newApiKey();
  const keyB = newApiKey();
  const keyReader = newApiKey();
  let jwksFile: string;

  before(async () => {
    rsa = await testKey('rsa-1', 'RS256');
    ed = await testKey('ed-1', 'EdDSA');
    rotated = await testKey('ed-2', 'EdDSA');
    jwks = await startJwksServer([ed.publicJwk]);
    jwksFile = path.join(mkdtempSync(path.join(tmpdir(), 'gpo-jwks-')), 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [rsa.publicJwk] }));
    h = await startHarness({
      auth: {
        mode: 'on',
        apiKeys: [
          { client: 'ministry-a', keyHash: hashApiKey(keyA), programs: ['prog-a'] },
          { client: 'ministry-b', keyHash: hashApiKey(keyB), programs: ['prog-b'] },
          { client: 'auditor-a', keyHash: hashApiKey(keyReader), scopes: ['batches:read'], programs: ['prog-a'] },
        ],
        jwt: { secret: HS_SECRET, jwksFile, jwksUrl: jwks.url, issuer: ISSUER, audience: AUDIENCE, cooldownMs: 0 },
      },
      g2pSignatures: { mode: 'off' },
    });
  });

  after(async () => {
    await h?.stop();
    await jwks?.stop();
  });

  it('refuses a missing, expired, wrongly signed or wrong-audience token and a wrong-scope client, in each API\'s format, storing and ' +
    'paying nothing', async () => {
    const other = await testKey('rsa-unknown', 'RS256');
    const cases: Array<{ name: string; auth?: () => Promise<string>; status: number; code: Record<Api, string> }> = [
      { name: 'no credentials', status: 401, code: { native: 'UNAUTHENTICATED', pil: '3000', 'g2p-connect':
        'NACK err.request.unauthorized' } },
      { name: 'expired', auth: () => token(rsa, { expiresIn: Math.floor(Date.now() / 1000) - 3600 }), status: 401, code:
        { native: 'TOKEN_EXPIRED', pil: '3000', 'g2p-connect': 'NACK err.request.unauthorized' } },
      { name: 'wrongly signed', auth: () => token({ ...other, kid: rsa.kid }), status: 401, code:
        { native: 'INVALID_TOKEN', pil: '3000', 'g2p-connect': 'NACK err.request.unauthorized' } },
      { name: 'wrong audience', auth: () => token(ed, { aud: 'someone-else' }), status: 401, code:
        { native: 'INVALID_TOKEN', pil: '3000', 'g2p-connect': 'NACK err.request.unauthorized' } },
      { name: 'unknown API key', auth: async () => newApiKey(), status: 401, code:
        { native: 'INVALID_API_KEY', pil: '3000', 'g2p-connect': 'NACK err.request.unauthorized' } },
      { name: 'wrong scope', auth: async () => keyReader, status: 403, code:
        { native: 'INSUFFICIENT_SCOPE', pil: '3000', 'g2p-connect': 'NACK err.request.forbidden' } },
      { name: 'token without the submit scope', auth: () => token('HS256', { scope: 'batches:read' }), status: 403, code:
        { native: 'INSUFFICIENT_SCOPE', pil: '3000', 'g2p-connect': 'NACK err.request.forbidden' } },
    ];
    const before = await h.ledgers();
    for (const api of APIS) {
      for (const [i, c] of cases.entries()) {
        const key = `refused-${api}-${i}`;
        const r = validRequest(api, key);
        const a = await call(h.orch.url, r.method, r.path, { body: r.body, headers: r.headers, auth: c.auth ? await c.auth() : undefined });
        assert.equal(a.status, c.status, `${api} ${c.name}: ${a.text}`);
        assert.equal(errorFormat(api, a), c.code[api], `${api} ${c.name}`);
        const source = api === 'native' ? 'native' : api;
        assert.equal(await h.orch.service.findBatchBySourceKey(source, key), undefined, `${api} ${c.name} stored a batch`);
      }
    }
    const after = await h.ledgers();
    assert.deepEqual(after.map((l) => l.committedCount), before.map((l) => l.committedCount));
  });

  it('accepts API keys and JWTs signed with HS256, RS256 (JWKS file) and EdDSA (JWKS URL), and the batches are paid', async () => {
    const creds = [keyA, await token('HS256', { client: 'hs-client' }), await token(rsa, { client: 'rs-client' }),
      await token(ed, { client: 'ed-client' })];
    for (const [i, auth] of creds.entries()) {
      const r = validRequest('pil', `accepted-${i}`);
      const a = await call(h.orch.url, r.method, r.path, { body: r.body, auth });
      assert.equal(a.status, 200, a.text);
      assert.deepEqual(a.body.payeeResults.map((p: { status: string }) => p.status), ['COMPLETED', 'COMPLETED'], a.text);
    }
    // Metrics carry no beneficiary identifier.
    const metrics = await call(h.orch.url, 'GET', '/metrics');
    assert.equal(metrics.status, 200);
    assert.ok(/gpo_payments_total/.test(metrics.text));
    assert.ok(!/2547\d{8}/.test(metrics.text), 'an identifier in the metrics');
  });

  it('one client cannot read, cancel, resume or download the report of another program\'s batch', async () => {
    const r = validRequest('native', 'owned-by-a');
    const made = await call(h.orch.url, r.method, r.path, { body: r.body, headers: r.headers, auth: keyA });
    assert.equal(made.status, 202, made.text);
    const id = made.body.id as string;
    for (const [method, p] of [['GET', `/v1/batches/${id}`], ['GET', `/v1/batches/${id}/payments`], ['GET', `/v1/batches/${id}/report.csv`],
      ['POST', `/v1/batches/${id}/cancel`], ['POST', `/v1/batches/${id}/resume`]] as const) {
      const a = await call(h.orch.url, method, p, { auth: keyB, ...(method === 'POST' ? { body: {} } : {}) });
      assert.equal(a.status, 404, `${method} ${p}: ${a.text}`);
      assert.equal(a.body.errorCode, 'BATCH_NOT_FOUND');
    }
    const lookup = await call(h.orch.url, 'GET', '/v1/batches?idempotencyKey=owned-by-a', { auth: keyB });
    assert.deepEqual(lookup.body.items, []);
    // The same key from the other program does not reveal (or replay) the first batch.
    const again = await call(h.orch.url, r.method, r.path, { body: r.body, headers: r.headers, auth: keyB });
    assert.equal(again.status, 409, again.text);
    assert.equal(again.body.details, undefined);
    // PIL and G2P Connect reads are scoped the same way.
    const pil = validRequest('pil', 'pil-owned-by-a');
    assert.equal((await call(h.orch.url, pil.method, pil.path, { body: pil.body, auth: keyA })).status, 200);
    assert.equal((await call(h.orch.url, 'GET', '/disbursement/pil-owned-by-a', { auth: keyB })).status, 404);
    assert.equal((await call(h.orch.url, 'GET', '/disbursement/pil-owned-by-a', { auth: keyReader })).status, 200);
    const g2p = validRequest('g2p-connect', 'g2p-owned-by-a');
    const sent = await call(h.orch.url, g2p.method, g2p.path, { body: g2p.body, auth: keyA });
    assert.equal(sent.status, 200, sent.text);
    const status = (auth: string) => call(h.orch.url, 'POST', '/disburse/sync/txn/status', {
      auth,
      body: {
        header: { version: '1.0.0', message_id: `st-${auth.slice(-6)}`, message_ts: new Date().toISOString(), action: 'txn-status',
          sender_id: 'openg2p', total_count: 1 },
        message: { transaction_id: 'st', txnstatus_request: { reference_id: 'q1', txn_type: 'disburse', attribute_type: 'correlation_id',
          attribute_value: sent.body.message.correlation_id } },
      },
    });
    assert.equal((await status(keyB)).status, 404);
    assert.equal((await status(keyReader)).status, 200);
    // The owner and its read-only auditor see it; the auditor may not cancel it.
    assert.equal((await call(h.orch.url, 'GET', `/v1/batches/${id}`, { auth: keyA })).status, 200);
    assert.equal((await call(h.orch.url, 'GET', `/v1/batches/${id}/report.csv`, { auth: keyReader })).status, 200);
    const denied = await call(h.orch.url, 'POST', `/v1/batches/${id}/cancel`, { auth: keyReader, body: {} });
    assert.equal(denied.status, 403);
    // A client may not submit for a program it does not hold.
    const foreign = await call(h.orch.url, r.method, r.path, { body: r.body, headers:
      { 'idempotency-key': 'foreign-program', 'x-program-id': 'prog-b' }, auth: keyA });
    assert.equal(foreign.status, 403, foreign.text);
    assert.equal(foreign.body.errorCode, 'PROGRAM_FORBIDDEN');
  });

  it('the operator console: the page is public, its data needs credentials, views spanning every program need a client of every program',
    async () => {
    const page = await call(h.orch.url, 'GET', '/ui/');
    assert.ok([200, 503].includes(page.status), `GET /ui/: ${page.status}`);
    assert.equal((await call(h.orch.url, 'GET', '/ui/api/config')).status, 401);
    assert.equal((await call(h.orch.url, 'GET', '/ui/api/config', { auth: keyReader })).status, 200);
    assert.equal((await call(h.orch.url, 'GET', '/v1/notifications')).status, 401);
    const limited = await call(h.orch.url, 'GET', '/v1/notifications', { auth: keyA });
    assert.equal(limited.status, 403);
    assert.equal(limited.body.errorCode, 'PROGRAM_FORBIDDEN');
    assert.equal((await call(h.orch.url, 'GET', '/v1/notifications', { auth: await token('HS256', { program: '*' }) })).status, 200);
    assert.equal((await call(h.orch.url, 'GET', '/ui/api/world/switch/admin/ledger', { auth: keyReader })).status, 403);
    // Listing batches shows a client its programs' batches only.
    const listA = await call(h.orch.url, 'GET', '/v1/batches?limit=500', { auth: keyA });
    const listB = await call(h.orch.url, 'GET', '/v1/batches?limit=500', { auth: keyB });
    assert.equal(listA.status, 200, listA.text);
    assert.ok(listA.body.items.length > 0);
    const idsA = new Set(listA.body.items.map((b: { id: string }) => b.id));
    assert.ok(listB.body.items.every((b: { id: string }) => !idsA.has(b.id)), 'client B lists a batch of program A');
    assert.equal(listA.body.total, listA.body.items.length);
  });

  it('writes every operator action to the audit log: who, what, when, from where, refused ones too', async () => {
    const r = validRequest('native', 'audited');
    const made = await call(h.orch.url, r.method, r.path, { body: r.body, headers: r.headers, auth: keyA });
    const id = made.body.id as string;
    await call(h.orch.url, 'POST', `/v1/batches/${id}/cancel`, { auth: keyB, body: {} });
    await call(h.orch.url, 'POST', `/v1/batches/${id}/cancel`, { body: {} });
    await call(h.orch.url, 'POST', `/v1/batches/${id}/cancel`, { auth: keyA, body: {}, headers: { 'x-forwarded-for': '203.0.113.9' } });
    const lines = await waitForAudit(path.join(h.dataDir, 'audit.log'), id, 3);
    const mine = lines.filter((l) => l.batchId === id);
    assert.deepEqual(mine.map((l) => [l.client, l.action, l.outcome]), [
      ['ministry-b', 'batch.cancel', 'refused'], ['unauthenticated', 'batch.cancel', 'refused'], ['ministry-a', 'batch.cancel', 'done'],
    ]);
    for (const l of mine) {
      assert.match(l.at, /^\d{4}-\d\d-\d\dT/);
      assert.ok(l.remoteAddress.includes('127.0.0.1'), l.remoteAddress);
    }
    assert.equal(mine[2].forwardedFor, '203.0.113.9');
    const text = readFileSync(path.join(h.dataDir, 'audit.log'), 'utf8');
    for (const secret of [keyA, keyB]) assert.ok(!text.includes(secret), 'an API key is in the audit log');
  });

  it('keys rotate without a restart: a new key in the JWKS (URL or file) is picked up on its first use', async () => {
    const fresh = await token(rotated, { client: 'rotating' });
    const r1 = validRequest('native', 'rotation-before');
    assert.equal((await call(h.orch.url, r1.method, r1.path, { body: r1.body, headers: r1.headers, auth: fresh })).status, 401);
    jwks.keys = [ed.publicJwk, rotated.publicJwk];
    const r2 = validRequest('native', 'rotation-after');
    const ok = await call(h.orch.url, r2.method, r2.path, { body: r2.body, headers: r2.headers, auth: fresh });
    assert.equal(ok.status, 202, ok.text);
    // The file source: a key added to the file on disk.
    const rsa2 = await testKey('rsa-2', 'RS256');
    const t2 = await token(rsa2, { client: 'rotating-file' });
    const r3 = validRequest('native', 'rotation-file');
    assert.equal((await call(h.orch.url, r3.method, r3.path, { body: r3.body, headers: r3.headers, auth: t2 })).status, 401);
    writeFileSync(jwksFile, JSON.stringify({ keys: [rsa.publicJwk, rsa2.publicJwk] }));
    const r4 = validRequest('native', 'rotation-file-2');
    const ok2 = await call(h.orch.url, r4.method, r4.path, { body: r4.body, headers: r4.headers, auth: t2 });
    assert.equal(ok2.status, 202, ok2.text);
  });
});

async function waitForAudit(file: string, id: string, n: number): Promise<Array<Record<string, string>>> {
  for (let i = 0; i < 500; i++) {
    try {
      const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, string>);
      if (lines.filter((l) => l.batchId === id).length >= n) return lines;
    } catch { /* not written yet */ }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('audit records never appeared');
}
