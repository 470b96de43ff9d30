import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadScenario } from '../../scenarios/parse';
import { buildRegistrants } from '../../scenarios/runner';

const ROOT = path.join(__dirname, '..', '..');
const FILES = ['happy-interop-layer', 'happy-g2p-connect', 'happy-native-csv', 'malformed-batch'].map((f) =>
  path.join(ROOT, 'scenarios', `${f}.yaml`));

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'cli', 'main.ts'),
      ...args], { cwd: ROOT, env });
    let out = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { out += c; });
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('security: no beneficiary data and no secrets in the logs', function () {
  this.timeout(300_000);

  it('the complete debug logs of scenario runs (every server, every API) hold no full beneficiary identifier and no API key', async () => {
    // The servers' log lines go to a file of their own, apart from the progress and results on the terminal.
    const logFile = path.join(mkdtempSync(path.join(tmpdir(), 'gpo-logs-')), 'servers.log');
    const { code, out: terminal } = await run(['scenario', 'run', '--log-level', 'debug', '--log-file', logFile, ...FILES],
      { ...process.env, GPO_LOG_LEVEL: 'debug' });
    assert.equal(code, 0, terminal.slice(-3000));
    const out = `${terminal}\n${readFileSync(logFile, 'utf8')}`;
    const lines = out.split('\n').filter((l) => l.startsWith('{'));
    assert.ok(lines.length > 500, `only ${lines.length} log lines`);
    let checked = 0;
    for (const file of FILES) {
      const s = loadScenario(file);
      for (const r of buildRegistrants(s, s.seed ?? 1)) {
        if (r.idValue.length < 6) continue;
        checked++;
        assert.ok(!out.includes(r.idValue), `${path.basename(file)}: registrant ${r.idValue} appears in the logs: ${lines.find((l) =>
          l.includes(r.idValue))?.slice(0, 400)}`);
      }
    }
    assert.ok(checked > 1000, `${checked} identifiers checked`);
    assert.ok(!/gpo_[A-Za-z0-9_-]{43}/.test(out), 'an API key appears in the logs');
    assert.ok(lines.some((l) => /\*{3,}/.test(l)), 'no masked identifier in the logs at all: the test would prove nothing');
  });
});
