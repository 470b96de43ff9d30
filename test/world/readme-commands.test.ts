/**
 * Every command in README.md's code blocks, run the way a user would: through a shell, from the clone's root,
 * `npx gpo ...` included. A command that serves until Ctrl-C is started as written (on free ports: GPO_BASE_PORT=0
 * and GPO_PORT=0 in its environment), its servers' /health checked, then stopped with Ctrl-C's SIGINT; its --help
 * form is run too. Every command must print something: a command that prints nothing fails the test.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { parseXml } from '../scenarios/support/xml';

const ROOT = path.join(__dirname, '..', '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** Each command of the README's sh blocks, comments removed, `a && b` split into a and b. */
export function readmeCommands(markdown: string): string[] {
  const out: string[] = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1].split('\n')) {
      const cmd = line.replace(/\s+#\s.*$/, '').trim();
      if (cmd) out.push(...cmd.split(/\s+&&\s+/).map((c) => c.trim()));
    }
  }
  return out;
}

interface Ran { code: number | null; signal: NodeJS.Signals | null; out: string }

let dataDir: string;
function userEnv(): NodeJS.ProcessEnv {
  // What a user's shell has: no test-only log level; free ports instead of 4000-4051, a scratch data directory.
  const { GPO_LOG_LEVEL: _quiet, ...env } = process.env;
  return { ...env, GPO_BASE_PORT: '0', GPO_PORT: '0', GPO_DATA_DIR: dataDir };
}

/** Runs a command line through bash in the clone's root; `until` (a pattern in its output) then gets a SIGINT. */
function sh(cmd: string, opts: { timeoutMs: number; until?: RegExp; whenReady?: (out: string) => Promise<void> }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', cmd], { cwd: ROOT, env: userEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let ready = false;
    let readyError: unknown;
    const group = (sig: NodeJS.Signals) => { try { process.kill(-child.pid!, sig); } catch { /* already gone */ } };
    const timer =
      setTimeout(() => { group('SIGKILL'); reject(new Error(`${cmd}: no end within ${opts.timeoutMs} ms; output:\n${out.slice(-3000)}`)); },
        opts.timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (opts.until && !ready && opts.until.test(out)) {
        ready = true;
        // Ctrl-C in a terminal signals the whole foreground process group: bash, npx/npm and node alike.
        void (opts.whenReady?.(out) ?? Promise.resolve()).catch((err) => { readyError = err; }).finally(() => group('SIGINT'));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (readyError) reject(readyError);
      else resolve({ code, signal, out });
    });
  });
}

/** The check every command must pass: it said something. */
export function assertPrinted(cmd: string, r: Ran): void {
  if (!r.out.trim()) throw new assert.AssertionError({ message: `"${cmd}" printed nothing (exit ${r.code ?? r.signal})` });
}

/** Base URLs the command printed outside its JSON log lines: the first of each line, both of gpo sim payer-dfsp's. */
function printedUrls(out: string): string[] {
  const urls: string[] = [];
  for (const line of out.split('\n')) {
    if (line.startsWith('{')) continue;
    const found = line.match(/http:\/\/[\w.-]+:\d+/g) ?? [];
    urls.push(...(/FSPIOP inbound on/.test(line) ? found : found.slice(0, 1)));
  }
  return urls;
}

async function healthy(url: string): Promise<number> {
  const res = await request(`${url}/health`, { headersTimeout: 10_000 });
  await res.body.dump();
  return res.statusCode;
}

/** Commands that serve until Ctrl-C, and what they print once every server listens. */
const SERVES = /^npx gpo (up|sim|orchestrator)\b/;
/** Long runs shown by their --help form (the benchmark takes minutes). */
const HELP_ONLY = /^npm run bench$/;
/** Not run here: CI installs with npm ci before it runs npm test, and npm test is this very run. */
const SKIPPED = /^npm (ci|test)$/;

describe('README.md: every command works as written', function () {
  const commands = readmeCommands(README);
  before(() => { dataDir = mkdtempSync(path.join(tmpdir(), 'gpo-readme-')); });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('finds the quick start and the other entry points', () => {
    for (const c of ['npm ci', 'npm run demo', 'npm test', 'npx gpo up']) assert.ok(commands.includes(c),
      `${c} in ${JSON.stringify(commands)}`);
    assert.ok(commands.some((c) => c.startsWith('npx gpo scenario run')));
    assert.ok(commands.some((c) => c.startsWith('npx gpo load')));
  });

  it('fails a command that prints nothing', async () => {
    const silent = await sh('true', { timeoutMs: 10_000 });
    assert.equal(silent.code, 0);
    assert.throws(() => assertPrinted('true', silent), /"true" printed nothing/);
  });

  const helpShown = new Set<string>();
  for (const cmd of commands.filter((c) => !SKIPPED.test(c))) {
    if (SERVES.test(cmd)) {
      it(`${cmd} (serves on free ports until Ctrl-C; every server it prints answers /health)`, async function () {
        this.timeout(120_000);
        let urls: string[] = [];
        const r = await sh(cmd, {
          timeoutMs: 110_000, until: /Ctrl-C stops/,
          whenReady: async (out) => {
            urls = printedUrls(out);
            assert.ok(urls.length > 0, `no URL printed:\n${out}`);
            for (const u of urls) assert.equal(await healthy(u), 200, u);
          },
        });
        assertPrinted(cmd, r);
        assert.match(r.out, /SIGINT: stopping/);
        // Stopped means stopped: nothing answers where it listened.
        for (const u of urls) await assert.rejects(healthy(u), /ECONNREFUSED|other side closed|SocketError/, `${u} still answers`);
      });
      // One --help per sub-command (`gpo up` and `gpo up --base-port 0` have the same).
      const sub = SERVES.exec(cmd)![0];
      if (helpShown.has(sub)) continue;
      helpShown.add(sub);
      it(`${sub} --help`, async function () {
        this.timeout(60_000);
        const r = await sh(`${sub} --help`, { timeoutMs: 55_000 });
        assertPrinted(sub, r);
        assert.equal(r.code, 0, r.out);
        assert.match(r.out, /Examples:/);
      });
    } else if (HELP_ONLY.test(cmd)) {
      it(`${cmd} -- --help (the benchmark itself takes minutes)`, async function () {
        this.timeout(60_000);
        const r = await sh(`${cmd} -- --help`, { timeoutMs: 55_000 });
        assertPrinted(cmd, r);
        assert.equal(r.code, 0, r.out);
        assert.match(r.out, /--sizes[\s\S]*default: "10000,100000"/);
        assert.match(r.out, /--write/);
      });
    } else {
      it(cmd, async function () {
        this.timeout(240_000);
        const junit = /--junit (\S+)/.exec(cmd)?.[1];
        const junitPath = junit ? path.join(ROOT, junit) : undefined;
        const existed = junitPath ? existsSync(junitPath) : false;
        try {
          const r = await sh(cmd, { timeoutMs: 230_000 });
          assertPrinted(cmd, r);
          assert.equal(r.code, 0, r.out.slice(-4000));
          // Long runs keep the servers' logs out of what they print, and show their progress.
          if (/^npx gpo (load|scenario)\b/.test(cmd)) assert.doesNotMatch(r.out, /^\{"level"/m, 'server log lines mixed into the output');
          if (/^npx gpo load\b/.test(cmd)) assert.match(r.out, /^load \S+: [\d,]+ of [\d,]+ payments final \(100 %\), [\d,]+\/s, done/m);
          if (junitPath) {
            // The file the command was asked for: JUnit with a passing test case per scenario.
            const suite = parseXml(readFileSync(junitPath, 'utf8')).children[0];
            assert.ok(Number(suite.attrs.tests) > 0);
            assert.equal(suite.attrs.failures, '0');
          }
          // The files a load run writes are the user's; a test run leaves none behind.
          for (const f of r.out.match(/^(?:report|world log): (.+)$/gm) ?? []) rmSync(f.replace(/^[^:]+: /, ''), { force: true });
        } finally {
          if (junitPath && !existed) rmSync(junitPath, { force: true });
        }
      });
    }
  }
});
