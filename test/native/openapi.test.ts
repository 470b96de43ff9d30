import { strict as assert } from 'node:assert';
import Hapi from '@hapi/hapi';
import request from 'supertest';
import { buildOpenApiDocument, registerOpenApi } from '../../orchestrator/openapi';

type Obj = Record<string, unknown>;

/** Every local $ref in the document, with where it sits. */
function refs(node: unknown, at = '#', out: Array<[string, string]> = []): Array<[string, string]> {
  if (Array.isArray(node)) node.forEach((v, i) => refs(v, `${at}/${i}`, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node as Obj)) {
      if (k === '$ref' && typeof v === 'string') out.push([at, v]);
      else refs(v, `${at}/${k}`, out);
    }
  }
  return out;
}

describe('OpenAPI document', () => {
  it('is served at GET /openapi.json as JSON with the paths of the three northbound APIs', async () => {
    const server = Hapi.server({ port: 0, host: '127.0.0.1' });
    registerOpenApi(server);
    await server.start();
    try {
      const res = await request(`http://127.0.0.1:${server.info.port}`).get('/openapi.json');
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      const doc = JSON.parse(res.text) as Obj;
      assert.match(String(doc.openapi), /^3\.0\.\d$/);
      const paths = Object.keys(doc.paths as Obj);
      for (const p of ['/v1/batches', '/v1/batches/{id}', '/v1/batches/{id}/payments', '/v1/batches/{id}/failures',
        '/v1/batches/{id}/cancel', '/v1/batches/{id}/resume', '/v1/batches/{id}/report.csv',
        '/disbursement', '/disbursement/{disbursementId}', '/disbursementCheck',
        '/disburse', '/disburse/sync/disburse', '/disburse/txn/status', '/disburse/sync/txn/status', '/health', '/openapi.json']) {
        assert.ok(paths.includes(p), `documents ${p}`);
      }
    } finally {
      await server.stop();
    }
  });

  it('is structurally sound: refs resolve, path parameters are declared, every operation answers', async () => {
    const doc = buildOpenApiDocument();
    const schemas = (doc.components as { schemas: Obj }).schemas;
    for (const [at, ref] of refs(doc)) {
      const m = /^#\/components\/schemas\/(.+)$/.exec(ref);
      assert.ok(m && schemas[m[1]], `${at}: ${ref} resolves`);
    }
    for (const [path, item] of Object.entries(doc.paths as Record<string, Obj>)) {
      const params = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(item)) {
        const o = op as { responses?: Obj; parameters?: Array<{ name: string; in: string }> };
        assert.ok(o.responses && Object.keys(o.responses).some((c) => /^2/.test(c)), `${method} ${path} has a 2xx answer`);
        for (const p of params) assert.ok(o.parameters?.some((x) => x.in === 'path' && x.name === p), `${method} ${path} declares {${p}}`);
      }
    }
    // The full OpenAPI 3.0 rules, when the linter that ships with the Mojaloop API snippets is at hand.
    let lint: typeof import('@redocly/openapi-core') | undefined;
    try {
      lint = await import('@redocly/openapi-core');
    } catch {
      lint = undefined;
    }
    if (lint) {
      const config = await lint.createConfig({ rules: { struct: 'error', 'no-unresolved-refs': 'error', 'path-parameters-defined': 'error',
        'operation-2xx-response': 'error', 'no-invalid-media-type-examples': 'error' } } as never);
      const problems = await lint.lintFromString({ source: JSON.stringify(doc), absoluteRef: 'openapi.json', config } as never);
      assert.deepEqual(problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer}`), []);
    }
  });
});
