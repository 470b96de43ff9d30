/** The world the console shows is configuration: checked like any other setting, and absent by default. */
import { strict as assert } from 'node:assert';
import { CONFIG_FILE_KEYS, configProblems, resolveConfig } from '../../orchestrator/config';

describe('console: the world as configuration', () => {
  it('is absent unless given, accepted from a config file, and refused with a reason when malformed', () => {
    assert.equal(resolveConfig({}, {}).world, undefined);
    assert.ok((CONFIG_FILE_KEYS as readonly string[]).includes('world'));
    const ok = resolveConfig({ world: [{ name: 'switch', role: 'switch', url: 'http://127.0.0.1:5430' }] }, {});
    assert.deepEqual(configProblems(ok), []);
    const bad = resolveConfig({ world: [
      { name: 'has space', role: 'switch', url: 'http://127.0.0.1:1' },
      { name: 'x', role: 'bank' as never, url: 'http://127.0.0.1:1' },
      { name: 'y', role: 'payee', url: 'ftp://example' },
    ] }, {});
    assert.deepEqual(configProblems(bad), [
      'world: every server needs a name of letters, digits or ._-',
      'world x: role must be switch, als, payer, payee or pil',
      'world y: url must be an http(s) URL',
    ]);
  });
});
