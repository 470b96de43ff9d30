import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { NedbStore } from '../../orchestrator/store/nedb';
import { DataDirLockedError, lockDataDir } from '../../orchestrator/store/lock';

const ROOT = path.resolve(__dirname, '../..');

/** Runs `gpo` with the arguments and resolves with its exit code and output once it exits. */
function gpo(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'cli/main.ts'), ...args],
      { cwd: ROOT, env: { ...process.env, GPO_LOG_LEVEL: 'silent' } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('store: one writer per data directory', () => {
  it('a second gpo orchestrator on a data directory in use exits non-zero, naming the holder; nothing is written', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gpo-lock-'));
    const store = new NedbStore({ dataDir: dir });
    await store.open();
    try {
      const r = await gpo(['orchestrator', '--data-dir', dir, '--port', '0', '--auth', 'off']);
      assert.notEqual(r.code, 0, r.out);
      assert.match(r.out, new RegExp(`in use by pid ${process.pid} on host ${hostname()}`));
      assert.doesNotMatch(r.out, /\n\s+at /, 'a stack trace was printed');
      assert.equal(JSON.parse(readFileSync(path.join(dir, 'LOCK'), 'utf8')).pid, process.pid);
    } finally {
      await store.close();
    }
    // Released on close: the directory can be opened again.
    const again = new NedbStore({ dataDir: dir });
    await again.open();
    await again.close();
  });

  it('the same process cannot open a directory twice; a lock left by a dead process is taken over', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gpo-lock-'));
    const first = lockDataDir(dir);
    assert.throws(() => lockDataDir(dir), (err: unknown) => err instanceof DataDirLockedError && err.holder?.pid === process.pid);
    first.release();
    // A process that has exited: its pid no longer runs.
    const dead = await new Promise<number>((resolve) => { const c = spawn(process.execPath, ['-e', '0']); c.on('exit', () =>
      resolve(c.pid!)); });
    writeFileSync(path.join(dir, 'LOCK'), JSON.stringify({ pid: dead, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' }));
    const taken = lockDataDir(dir);
    assert.equal(taken.tookOver?.pid, dead);
    assert.equal(JSON.parse(readFileSync(path.join(dir, 'LOCK'), 'utf8')).pid, process.pid);
    taken.release();
    // A lock from another host is never taken over.
    writeFileSync(path.join(dir, 'LOCK'), JSON.stringify({ pid: 1, host: 'elsewhere.example', startedAt: '2026-01-01T00:00:00.000Z' }));
    assert.throws(() => lockDataDir(dir), /in use by pid 1 on host elsewhere.example/);
  });
});
