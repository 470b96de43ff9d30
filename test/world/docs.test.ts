/**
 * The docs against the behaviour: what docs/simulators.md says the payee DFSPs serve, and docs/native-api.md's
 * requests sent as written to a running orchestrator (in order, as a reader following the page would), including
 * a bulk file sent the way `curl -d` sends it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { startUp, Up } from '../../cli/commands/up';

const ROOT = path.join(__dirname, '..', '..');
const doc = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');

interface HttpExample { method: string; path: string; headers: Record<string, string>; body: string }

/** The ```http blocks of a markdown page: request line, headers, blank line, body. */
function httpExamples(markdown: string): HttpExample[] {
  return [...markdown.matchAll(/```http\n([\s\S]*?)```/g)].map((m) => {
    const [head, ...rest] = m[1].split('\n\n');
    const [requestLine, ...headerLines] = head.split('\n');
    const [method, p] = requestLine.split(' ');
    const headers = Object.fromEntries(headerLines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(),
      l.slice(l.indexOf(':') + 1).trim()]));
    return { method, path: p, headers, body: rest.join('\n\n') };
  });
}

describe('docs against behaviour', function () {
  this.timeout(60_000);
  let up: Up;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gpo-docs-'));
    up = await startUp({ ports: 'random', dataDir: dir });
  });
  after(async () => {
    await up?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('docs/simulators.md: the MSISDN ranges it gives are the ones the payee DFSPs serve', async () => {
    const text = doc('docs/simulators.md');
    const ranges = [...text.matchAll(/`(2547\d+)`-`(2547\d+)`/g)].map((m) => [m[1], m[2]]);
    assert.ok(ranges.length >= 2, 'the page gives the ranges');
    for (const [from, to] of ranges) {
      const fsp = `payeefsp${from[4]}`;
      for (const id of [from, to]) {
        assert.equal(id.length, 12, `${id}: a Kenyan MSISDN has 12 digits`);
        const res = await request(`${up.world.urls[fsp]}/admin/parties/MSISDN/${id}`);
        await res.body.dump();
        assert.equal(res.statusCode, 200, `${fsp} does not serve ${id}`);
      }
    }
  });

  it('docs/native-api.md: its requests, sent in order as written, are accepted (no example reuses another\'s key)', async () => {
    const examples = httpExamples(doc('docs/native-api.md')).filter((e) => e.method === 'POST' && e.path.startsWith('/v1/batches'));
    assert.ok(examples.length >= 2, 'the JSON and the CSV examples');
    for (const e of examples) {
      const res = await request(`${up.orchestrator!.url}${e.path}`, { method: 'POST', headers: e.headers, body: e.body });
      const text = await res.body.text();
      assert.equal(res.statusCode, 202, `${e.headers['content-type']} example: ${text}`);
      // The batch id answered is what GET takes; anything else is malformed (400), an unknown UUID 404.
      const id = (JSON.parse(text) as { id: string }).id;
      assert.equal((await request(`${up.orchestrator!.url}/v1/batches/${id}`)).statusCode, 200);
    }
    const malformed = await request(`${up.orchestrator!.url}/v1/batches/cycle-9`);
    assert.equal(malformed.statusCode, 400);
    assert.equal((await malformed.body.json() as { errorCode: string }).errorCode, 'VALIDATION_FAILED');
  });

  it('a bulk file sent as curl -d sends it gets a clear answer, not a parser\'s message', async () => {
    const csv = httpExamples(doc('docs/native-api.md')).find((e) => e.headers['content-type'] === 'text/csv')!;
    // curl -d @file: line breaks removed; without -H, form data.
    const flattened = await request(`${up.orchestrator!.url}/v1/batches`,
      { method: 'POST', headers: { 'content-type': 'text/csv', 'idempotency-key': 'curl-d-1' }, body: csv.body.replace(/[\r\n]/g, '') });
    const body = await flattened.body.json() as { errorCode: string; errors: Array<{ code: string; message: string }> };
    assert.equal(flattened.statusCode, 400);
    assert.equal(body.errorCode, 'CSV_INVALID');
    assert.equal(body.errors[0].code, 'CSV_NO_ROWS');
    assert.match(body.errors[0].message, /no line break.*--data-binary @file/);
    const form = await request(`${up.orchestrator!.url}/v1/batches`, { method: 'POST', headers:
      { 'content-type': 'application/x-www-form-urlencoded' }, body: csv.body.replace(/[\r\n]/g, '') });
    assert.equal(form.statusCode, 415);
    assert.match((await form.body.json() as { message: string }).message, /curl -d sends form data.*--data-binary @file/);
  });
});
