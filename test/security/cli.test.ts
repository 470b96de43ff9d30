import assert from 'node:assert/strict';
import { apiKeyEntry } from '../../cli/commands/api-key';
import { orchestratorOptions } from '../../cli/commands/orchestrator';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { authNotice, authOptions, startUp } from '../../cli/commands/up';
import { call, validRequest } from './support';
import { hashApiKey } from '../../orchestrator/security/credentials';
import { resolveConfig } from '../../orchestrator/config';

describe('security: command-line wiring', () => {
  it('gpo orchestrator runs with authentication on unless told otherwise; --auth off is said loudly', () => {
    assert.equal(resolveConfig(orchestratorOptions({}, {}), {}).security.auth.mode, 'on');
    assert.equal(resolveConfig(orchestratorOptions({}, { GPO_AUTH: 'off' }), {}).security.auth.mode, 'off');
    assert.equal(resolveConfig(orchestratorOptions({ auth: 'off' }, {}), {}).security.auth.mode, 'off');
    const open = resolveConfig(orchestratorOptions({ 'unauthenticated-pil': '10.0.0.7, 10.0.1.0/24' }, {}), {}).security.auth;
    assert.deepEqual(open.unauthenticated.pil, { client: 'openg2p-interop-layer', allowFrom: ['10.0.0.7', '10.0.1.0/24'] });
    assert.match(authNotice('http://x', 'off'), /AUTHENTICATION IS OFF/);
    const notice = authNotice('http://127.0.0.1:4000', 'on', 'gpo_devkey');
    assert.match(notice, /Authorization: Bearer gpo_devkey/);
    assert.deepEqual(authOptions('on'), { mode: 'on' });
  });

  it('gpo api-key prints a key and the hash to configure, never the key in the entry', () => {
    const { key, entry } = apiKeyEntry({ client: 'openg2p', program: ['cash'], scope: ['batches:read'] });
    assert.match(key, /^gpo_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(entry, { client: 'openg2p', keyHash: hashApiKey(key), scopes: ['batches:read'], programs: ['cash'] });
    assert.ok(!JSON.stringify(entry).includes(key));
  });

  it('gpo up with authentication on generates a development key that works, and nothing works without it', async function () {
    this.timeout(60_000);
    const dataDir = mkdtempSync(path.join(tmpdir(), 'gpo-up-'));
    const up = await startUp({ ports: 'random', auth: 'on', dataDir });
    try {
      const key = up.orchestrator?.developmentKey;
      assert.match(key ?? '', /^gpo_/);
      const r = validRequest('pil', 'up-dev-key');
      assert.equal((await call(up.orchestrator!.url, r.method, r.path, { body: r.body })).status, 401);
      const ok = await call(up.orchestrator!.url, r.method, r.path, { body: r.body, auth: key });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.body.payeeResults.filter((p: { status: string }) => p.status === 'COMPLETED').length, 2);
    } finally {
      await up.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses an unusable security configuration at start', () => {
    assert.throws(() => orchestratorOptions({ config: undefined, 'rate-limit': -1 }, {}), /requestsPerSecond/);
  });
});
