/**
 * Seeded property-based fuzzing of every northbound API surface (native, PIL-compatible, G2P Connect): each
 * request starts from a valid one and gets at least one change that must make it refused (broken or deep JSON,
 * prototype keys, wrong types, missing or oversized fields, bad enums, bad headers, bad credentials, unknown
 * paths and methods, bad URL encodings), plus noise. Every answer must be a 4xx in the API's own format; nothing
 * may be stored or paid (submits, payee ledgers and the store's files compared before and after).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { Pool } from 'undici';
import { hashApiKey, newApiKey } from '../../orchestrator/security/credentials';
import { startHarness, type Harness } from '../orchestrator/support/world';
import { errorFormat, validRequest, type Answer } from './support';

type Api = 'native' | 'pil' | 'g2p-connect';
const PER_SURFACE = Number(process.env.GPO_FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.GPO_FUZZ_SEED ?? 20260512);

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  why: string[];
}

type Json = Record<string, unknown>;

/** A path to a JSON field of the template that the API must check, and values that field must refuse. */
interface Breakable {
  field: string[];
  bad: unknown[];
}

const badAmounts = ['-1', 'abc', '1e5', '', '0', '0.000001', '12,50', ' 5', {}, [], null, true, -5, 0];
const badCurrency = ['usd', 'US', 'DOLLARS', 1, null, '', []];
const longText = 'x'.repeat(3000);

const BREAKABLE: Record<Api, Breakable[]> = {
  native: [
    { field: ['currency'], bad: badCurrency },
    { field: ['payments'], bad: [[], {}, 'x', null, 5] },
    { field: ['payments', '0', 'amount'], bad: badAmounts },
    { field: ['payments', '0', 'payeeIdType'], bad: ['FOO', '', 3, null] },
    { field: ['payments', '0', 'payeeIdValue'], bad: ['', longText, 7, null, 'not a msisdn'] },
    { field: ['payments', '0', 'reference'], bad: ['', longText, 1, null] },
    { field: ['payments', '0', 'currency'], bad: badCurrency },
    { field: ['declaredCount'], bad: [0, -1, 1.5, '2', 99] },
    { field: ['rail'], bad: ['swift', 1] },
    { field: ['webhookUrl'], bad: ['ftp://x', 'not a url', 5] },
    { field: ['bogusField'], bad: [1, 'x', {}] },
  ],
  pil: [
    { field: ['disbursementId'], bad: ['', 'a/b', 'a b', longText, 5, null] },
    { field: ['payeeList'], bad: [[], {}, 'x', null] },
    { field: ['payeeList', '0', 'amount'], bad: badAmounts },
    { field: ['payeeList', '0', 'currency'], bad: badCurrency },
    { field: ['payeeList', '0', 'payeeIdValue'], bad: ['', longText, 5, null] },
    { field: ['payeeList', '0', 'payeeIdType'], bad: ['', 'x'.repeat(40), 5, null] },
    { field: ['payeeList', '1', 'currency'], bad: ['KES', 'EUR'] },
  ],
  'g2p-connect': [
    { field: ['header', 'version'], bad: ['2.0.0', '', 1, null] },
    { field: ['header', 'message_id'], bad: ['', longText, 5, null] },
    { field: ['header', 'message_ts'], bad: ['yesterday', '', 5] },
    { field: ['header', 'action'], bad: ['search', 'on-disburse', '', 5] },
    { field: ['header', 'total_count'], bad: [0, 99, -1, 'two', 1.5] },
    { field: ['header', 'is_msg_encrypted'], bad: [true] },
    { field: ['header', 'sender_id'], bad: ['', 5, null] },
    { field: ['message', 'transaction_id'], bad: ['', longText, 5, null] },
    { field: ['message', 'disbursements'], bad: [[], {}, null] },
    { field: ['message', 'disbursements', '0', 'amount'], bad: ['-1', '1.234', 'abc', 5, null, ''] },
    { field: ['message', 'disbursements', '0', 'payee_fa'], bad: ['nope', 'zz:1@x', '', 5] },
    { field: ['message', 'disbursements', '0', 'reference_id'], bad: ['', longText, 5] },
    { field: ['message', 'disbursements', '1', 'reference_id'], bad: ['r0'] },
  ],
};

function setField(obj: Json, field: string[], value: unknown): void {
  let cur: Json = obj;
  for (const k of field.slice(0, -1)) {
    const next = cur[k];
    if (!next || typeof next !== 'object') return;
    cur = next as Json;
  }
  cur[field[field.length - 1]] = value;
}

function deleteField(obj: Json, field: string[]): void {
  let cur: Json = obj;
  for (const k of field.slice(0, -1)) {
    const next = cur[k];
    if (!next || typeof next !== 'object') return;
    cur = next as Json;
  }
  delete cur[field[field.length - 1]];
}

/** POST /disbursementCheck reads only ids: what it must refuse. */
const CHECK_BREAKABLE: Breakable[] = BREAKABLE.pil
  .filter((b) => !['amount', 'currency'].includes(b.field[b.field.length - 1]))
  .map((b) => (b.field[0] === 'disbursementId' ? { field: b.field, bad: ['', longText, 5, null] } : b));

const REQUIRED: Record<Api, string[][]> = {
  native: [['currency'], ['payments'], ['payments', '0', 'amount'], ['payments', '0', 'reference'], ['payments', '0', 'payeeIdValue']],
  pil: [['disbursementId'], ['payeeList'], ['payeeList', '0', 'amount'], ['payeeList', '0', 'currency']],
  'g2p-connect': [['header'], ['message'], ['header', 'message_id'], ['header', 'version'], ['message', 'disbursements'],
    ['message', 'disbursements', '0', 'amount']],
};

/** One change that must get the request refused; each is described for the failure message. */
type Breaker =
  | { kind: 'field'; index: number; value: number }
  | { kind: 'delete'; index: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'deep'; depth: number; index: number }
  | { kind: 'proto'; which: number }
  | { kind: 'content-type'; type: string }
  | { kind: 'auth'; value: string }
  | { kind: 'path'; suffix: string }
  | { kind: 'method'; method: string }
  | { kind: 'encoding'; junk: string }
  | { kind: 'not-json'; text: string };

function breakerArb(api: Api): fc.Arbitrary<Breaker> {
  const b = BREAKABLE[api];
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('field' as const), index: fc.nat(b.length - 1), value: fc.nat(20) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), index: fc.nat(REQUIRED[api].length - 1) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at:
      fc.double({ min: 0, max: 0.999, noNaN: true }).map((x) => x) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('deep' as const), depth: fc.integer({ min: 40, max: 12_000 }), index:
      fc.nat(b.length - 1) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('proto' as const), which: fc.nat(3) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('content-type' as const), type:
      fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'image/png') }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('auth' as const), value:
      fc.oneof(fc.constant(''), fc.constant('Basic dXNlcjpwdw=='), fc.string({ maxLength: 40 }).map((s) =>
        `Bearer gpo_${s.replace(/[^\x21-\x7e]/g, 'a')}`), fc.constant('Bearer a.b.c'),
        fc.constant('Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.')) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('path' as const), suffix: fc.stringMatching(/^[a-z0-9]{1,12}$/) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('method' as const), method: fc.constantFrom('PUT', 'PATCH', 'DELETE') }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('encoding' as const), junk:
      fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%AF', '%ff%fe') }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('not-json' as const), text:
      fc.oneof(fc.string({ maxLength: 200 }).filter((s) => { try { JSON.parse(s); return false; } catch { return true; } }),
        fc.constant('')) }) },
  );
}

/** Noise that never repairs a broken request: unknown extra fields and odd strings in free-text fields. */
const noiseArb = fc.record({
  extra: fc.option(fc.dictionary(fc.stringMatching(/^x_[a-z]{1,8}$/), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 }), { nil: undefined }),
  note: fc.option(fc.string({ unit: 'grapheme', maxLength: 50 }), { nil: undefined }),
});

function nest(depth: number, v: unknown): string {
  return '['.repeat(depth) + JSON.stringify(v) + ']'.repeat(depth);
}

function build(api: Api, seq: number, breakers: Breaker[], noise: { extra?: Json; note?: string }, apiKey: string): FuzzRequest {
  const base = validRequest(api, `fuzz-${api}-${seq}`, 2);
  const body = JSON.parse(JSON.stringify(base.body)) as Json;
  if (api === 'g2p-connect') (body.header as Json).sender_uri = 'http://127.0.0.1:9/cb';
  let method = base.method;
  let p = api === 'g2p-connect' ? (seq % 2 ? '/disburse' : '/disburse/sync/disburse') : api === 'pil' && seq % 5 === 0
    ? '/disbursementCheck' : base.path;
  const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}`,
    ...(base.headers ?? {}) };
  if (api === 'pil' && p === '/disbursementCheck') {
    body.requestId = body.disbursementId;
    delete body.disbursementId;
  }
  if (noise.note !== undefined && api !== 'g2p-connect') body.note = noise.note.slice(0, 100);
  if (noise.extra && api !== 'native') Object.assign(body, noise.extra);
  const why: string[] = [];
  let text: string | undefined;
  for (const b of breakers) {
    switch (b.kind) {
      case 'field': {
        const choices = p === '/disbursementCheck' ? CHECK_BREAKABLE : BREAKABLE[api];
        const f = choices[b.index % choices.length];
        const value = f.bad[b.value % f.bad.length];
        setField(body, p === '/disbursementCheck' && f.field[0] === 'disbursementId' ? ['requestId'] : f.field, value);
        why.push(`${f.field.join('.')}=${JSON.stringify(value)?.slice(0, 30)}`);
        break;
      }
      case 'delete': {
        const required = p === '/disbursementCheck' ? [['disbursementId'], ['payeeList']] : REQUIRED[api];
        const f = required[b.index % required.length];
        deleteField(body, p === '/disbursementCheck' && f[0] === 'disbursementId' ? ['requestId'] : f);
        why.push(`-${f.join('.')}`);
        break;
      }
      case 'deep': {
        const f = BREAKABLE[api][b.index];
        setField(body, f.field, { __deep__: b.depth });
        why.push(`deep ${b.depth} at ${f.field.join('.')}`);
        break;
      }
      case 'proto': {
        let target: unknown = b.which === 0 ? body : body.payments ?? body.payeeList ?? body.header;
        if (Array.isArray(target)) target = target[0];
        if (!target || typeof target !== 'object' || Array.isArray(target)) target = body;
        (target as Json).__gpo_proto__ = b.which % 2 ? { polluted: true } : { prototype: { polluted: true } };
        why.push(`prototype key ${b.which}`);
        break;
      }
      case 'content-type': headers['content-type'] = b.type; why.push(`content-type ${b.type}`); break;
      case 'auth': if (b.value) headers.authorization = b.value; else delete headers.authorization; why.push(`auth ` +
        `${JSON.stringify(b.value).slice(0, 30)}`); break;
      case 'path': p = `${p}/${b.suffix}${api === 'native' ? '/x' : ''}`; why.push(`path ${p}`); break;
      case 'method': method = b.method; why.push(`method ${b.method}`); break;
      case 'encoding': p = `${p}/${b.junk}`; why.push(`encoding ${b.junk}`); break;
      case 'truncate': why.push(`truncated at ${b.at.toFixed(3)}`); break;
      case 'not-json': text = b.text; why.push(`not JSON ${JSON.stringify(b.text).slice(0, 30)}`); break;
    }
  }
  let out = text ?? JSON.stringify(body);
  out = out.replace(/\{"__deep__":(\d+)\}/g, (_m, d) => nest(Number(d), 1));
  out = out.replace(/"__gpo_proto__":/g, (_m) => (out.includes('"prototype"') ? '"constructor":' : '"__proto__":'));
  const trunc = breakers.find((b): b is Extract<Breaker, { kind: 'truncate' }> => b.kind === 'truncate');
  if (trunc && text === undefined) out = out.slice(0, Math.floor(trunc.at * (out.length - 1)));
  return { method, path: p, headers, body: method === 'GET' ? undefined : out, why };
}

function requestsFor(api: Api, apiKey: string, n: number, seed: number): FuzzRequest[] {
  const arb = fc.tuple(fc.array(breakerArb(api), { minLength: 1, maxLength: 3 }), noiseArb);
  return fc.sample(arb, { seed, numRuns: n }).map(([breakers, noise], i) =>
    build(api, i, breakers, noise as { extra?: Json; note?: string }, apiKey));
}

/** Reads and operator routes of the native API, with ids that are malformed or unknown, and bad parameters. */
function nativeReads(apiKey: string, n: number, seed: number): FuzzRequest[] {
  const arb = fc.record({
    route: fc.constantFrom('', '/payments', '/report.csv', '/cancel', '/resume'),
    id: fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 200 }).map(encodeURIComponent),
      fc.constantFrom('%', '..', '%2e%2e', 'a%00b')),
    query: fc.oneof(fc.constant(''), fc.constantFrom('?limit=0', '?limit=abc', '?offset=-1', '?status=NOPE', '?limit=100000')),
    auth: fc.oneof({ weight: 4, arbitrary: fc.constant('good') }, fc.constant(''), fc.constant('bad')),
  });
  return fc.sample(arb, { seed, numRuns: n }).map((r) => ({
    method: r.route === '/cancel' || r.route === '/resume' ? 'POST' : 'GET',
    path: `/v1/batches/${r.id}${r.route}${r.query}`,
    headers: { ...(r.auth === 'good' ? { authorization: `Bearer ${apiKey}` } : r.auth === 'bad' ? { authorization: 'Bearer gpo_wrong' }
      : {}), 'content-type': 'application/json' },
    body: r.route === '/cancel' || r.route === '/resume' ? '{}' : undefined,
    why: ['read', r.route, r.query, r.auth],
  }));
}

/** The records in the store's files (distinct ids per file; compaction may rewrite a file without changing them). */
function storeFiles(dir: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.db') || f === 'meta.db') continue;
    const ids = new Set<string>();
    for (const line of readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const doc = JSON.parse(line) as { _id?: string; $$deleted?: boolean };
      if (doc._id && !doc.$$deleted) ids.add(doc._id);
    }
    out[f] = [...ids].sort();
  }
  return out;
}

async function send(pool: Pool, reqs: FuzzRequest[], concurrency: number): Promise<Array<{ req: FuzzRequest; answer: Answer }>> {
  const out: Array<{ req: FuzzRequest; answer: Answer }> = new Array(reqs.length);
  let next = 0;
  const worker = async () => {
    while (next < reqs.length) {
      const i = next++;
      const req = reqs[i];
      const res = await pool.request({ method: req.method as 'GET', path: req.path, headers: req.headers, body: req.body });
      const text = await res.body.text();
      let body: unknown;
      try { body = text ? JSON.parse(text) : undefined; } catch { body = undefined; }
      out[i] = { req, answer: { status: res.statusCode, headers: res.headers, body, text } };
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

describe(`security: fuzzing every northbound API surface (${PER_SURFACE} malformed requests each, seed ${SEED})`, function () {
  this.timeout(600_000);
  let h: Harness;
  let pool: Pool;
  const apiKey = newApiKey();
  let created = 0;

  before(async () => {
    h = await startHarness({
      auth: { mode: 'on', apiKeys: [{ client: 'fuzzer', keyHash: hashApiKey(apiKey), programs: ['*'] }] },
      limits: { requestsPerSecond: 0 },
      g2pSignatures: { mode: 'off' },
      logger: (await import('pino')).default({ level: 'silent' }),
    });
    const service = h.orch.service as { submitBatch: (c: never) => Promise<{ outcome: string }> };
    const submit = service.submitBatch.bind(service);
    service.submitBatch = async (c: never) => {
      const r = await submit(c);
      if (r.outcome === 'created') created++;
      return r;
    };
    pool = new Pool(h.orch.url, { connections: 16, pipelining: 1 });
  });

  after(async () => {
    await pool?.close();
    await h?.stop();
  });

  const surfaces: Array<[string, Api, (seed: number) => FuzzRequest[]]> = [
    ['native (JSON, CSV, reads and operator routes)', 'native', (seed) => [
      ...requestsFor('native', apiKey, Math.ceil(PER_SURFACE * 0.6), seed),
      ...requestsFor('native', apiKey, Math.ceil(PER_SURFACE * 0.1), seed + 1).map((r, i) =>
        ({ ...r, headers: { ...r.headers, 'content-type': r.headers['content-type'] === 'application/json' ? 'text/csv'
          : r.headers['content-type'], 'idempotency-key': `csv-${i}` }, body: r.body === undefined ? undefined
            : `id,payee_identifier_type,payee_identifier,amount,currency\n${r.body.slice(0, 400).replace(/[{}[\]"]/g, '')}\n`, why:
              ['csv', ...r.why] })),
      ...nativeReads(apiKey, Math.ceil(PER_SURFACE * 0.3), seed + 2),
    ]],
    ['PIL-compatible', 'pil', (seed) => requestsFor('pil', apiKey, PER_SURFACE, seed)],
    ['G2P Connect', 'g2p-connect', (seed) => requestsFor('g2p-connect', apiKey, PER_SURFACE, seed)],
  ];

  for (const [name, api, make] of surfaces) {
    it(`${name}: every answer a 4xx in the API's format, nothing stored or paid`, async () => {
      const reqs = make(SEED + api.length);
      assert.ok(reqs.length >= PER_SURFACE, `${reqs.length} requests`);
      const filesBefore = storeFiles(h.dataDir);
      const ledgersBefore = (await h.ledgers()).map((l) => [l.fspId, l.committedCount, l.credited]);
      const createdBefore = created;
      const results = await send(pool, reqs, 16);
      const problems: string[] = [];
      const statuses = new Map<number, number>();
      for (const { req, answer } of results) {
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        if (answer.status >= 500 || answer.status < 400) {
          problems.push(`${answer.status} for ${req.method} ${req.path.slice(0, 80)} [${req.why.join('; ')}]: ${answer.text.slice(0,
            200)}`);
          continue;
        }
        // CSV answers come in the native format too; 404s of unknown paths under another prefix in that API's.
        try {
          errorFormat(api, answer);
        } catch (err) {
          problems.push(`${(err as Error).message} for ${req.method} ${req.path.slice(0, 80)} [${req.why.join('; ')}]`);
        }
      }
      assert.deepEqual(problems.slice(0, 10), [], `${problems.length} bad answers; statuses ${JSON.stringify([...statuses])}`);
      assert.equal(created - createdBefore, 0, 'a malformed request created a batch');
      assert.deepEqual(storeFiles(h.dataDir), filesBefore, 'the store changed');
      assert.deepEqual((await h.ledgers()).map((l) => [l.fspId, l.committedCount, l.credited]), ledgersBefore, 'a payee ledger changed');
      // The surface still works after the storm.
      const ok = validRequest(api, `after-fuzz-${api}`);
      const res = await pool.request({ method: ok.method as 'POST', path: ok.path, headers:
        { 'content-type': 'application/json', authorization: `Bearer ${apiKey}`, ...(ok.headers ?? {}) }, body: JSON.stringify(ok.body) });
      await res.body.text();
      assert.ok(res.statusCode < 300, `a valid request after fuzzing got ${res.statusCode}`);
      // Let it finish, so the next surface starts from a store at rest.
      const batch = await h.orch.service.findBatchBySourceKey(api, `after-fuzz-${api}`);
      assert.ok(batch);
      await h.orch.service.waitForBatch(batch.id, 60_000);
    });
  }
});
