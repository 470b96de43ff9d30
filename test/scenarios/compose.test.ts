import assert from 'node:assert/strict';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { parse } from 'yaml';
import yargs from 'yargs';
import type { CommandModule } from 'yargs';
import { DEFAULT_PORTS } from '../../shared/server';
import { commands } from '../../cli/commands';

interface Service {
  image?: string;
  build?: string;
  command: string[];
  ports: string[];
  environment: Record<string, string>;
  healthcheck?: { test: string[] };
  volumes?: string[];
  depends_on?: Record<string, unknown>;
}

const root = path.join(__dirname, '..', '..');
const compose = parse(readFileSync(path.join(root, 'docker-compose.sim.yml'), 'utf8'), { merge: true }) as { services: Record<string,
  Service> };

/** Container port of each service, from the default port map. */
const EXPECTED: Record<string, number[]> = {
  orchestrator: [DEFAULT_PORTS.orchestrator],
  pil: [DEFAULT_PORTS.pil],
  payer: [DEFAULT_PORTS.payerOutbound, DEFAULT_PORTS.payerInbound],
  switch: [DEFAULT_PORTS.switch],
  als: [DEFAULT_PORTS.als],
  payeefsp1: [DEFAULT_PORTS.payeeFirst],
  payeefsp2: [DEFAULT_PORTS.payeeFirst + 1],
};

class Accepted extends Error {}

function commandName(m: CommandModule<unknown, unknown>): string {
  const c = Array.isArray(m.command) ? m.command[0] : m.command;
  return String(c ?? '').split(' ')[0];
}

/** Parse a service's command with the CLI's own definition, strictly, stopping before any handler runs. */
async function cliAccepts(argv: string[]): Promise<void> {
  let cli = yargs(argv).strict().exitProcess(false).fail((msg, err) => { throw err ?? new Error(msg); });
  for (const c of commands) cli = cli.command(c as never);
  cli = cli.middleware(() => { throw new Accepted(); });
  try {
    await cli.parseAsync();
  } catch (err) {
    if (err instanceof Accepted) return;
    throw err;
  }
  throw new Error(`${argv.join(' ')}: no command handled it`);
}

describe('docker-compose.sim.yml', () => {
  it('has one service per server, all from the one image built by the Dockerfile', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), Object.keys(EXPECTED).sort());
    for (const [name, s] of Object.entries(compose.services)) {
      assert.equal(s.build, '.', name);
      assert.equal(s.image, 'gpo:local', name);
      assert.equal(s.environment.GPO_HOST, '0.0.0.0', name);
    }
    const docker = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    assert.match(docker, /^ENTRYPOINT \["gpo"\]$/m);
  });

  it('publishes the default port map, listens on it and checks health on it', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      const want = EXPECTED[name];
      assert.deepEqual(s.ports, want.map((p) => `${p}:${p}`), name);
      const flagPorts = s.command.flatMap((a, i) => (/^--(inbound-)?port$/.test(a) ? [Number(s.command[i + 1])] : []));
      assert.deepEqual(flagPorts, want, `${name} command ports`);
      assert.ok(s.healthcheck?.test.join(' ').includes(`http://127.0.0.1:${want[0]}/health`), `${name} health check`);
    }
  });

  it('wires peers by service name and port', () => {
    const env = compose.services.orchestrator.environment;
    const urls = Object.entries(env).filter(([k]) => /_URLS?$/.test(k)).flatMap(([, v]) =>
      v.split(',').map((x) => x.replace(/^[\w-]+=/, '')));
    assert.ok(urls.length >= 6);
    for (const u of urls) {
      const m = /^http:\/\/([\w-]+):(\d+)$/.exec(u);
      assert.ok(m, u);
      assert.ok(EXPECTED[m[1]]?.includes(Number(m[2])), `${u} is not a service's port`);
    }
  });

  it("runs commands the CLI has, with options it accepts", async function () {
    const names = new Set(commands.map((c) => commandName(c as CommandModule<unknown, unknown>)));
    const missing = [...new Set(Object.values(compose.services).map((s) => s.command[0]))].filter((c) => !names.has(c));
    // `gpo sim` and `gpo orchestrator` arrive with the simulators' and orchestrator's own CLI work.
    if (missing.length) this.skip();
    for (const [name, s] of Object.entries(compose.services)) {
      await assert.doesNotReject(cliAccepts(s.command), `${name}: gpo ${s.command.join(' ')}`);
    }
  });
});

interface Instruction { op: string; args: string }

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function dockerfile(): Instruction[] {
  const text = readFileSync(path.join(root, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => {
    const [op, ...rest] = l.split(/\s+/);
    return { op: op.toUpperCase(), args: rest.join(' ') };
  });
}

function dockerEnv(ins: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of ins.filter((x) => x.op === 'ENV')) for (const m of i.args.matchAll(/(\w+)=(\S+)/g)) env[m[1]] = m[2];
  return env;
}

/** Packages npm installs only for development (package-lock's dev flag): a production install lacks them. */
function devOnlyPackages(): Set<string> {
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  return new Set(Object.entries(lock.packages).filter(([k, v]) => k && v.dev).map(([k]) => k));
}

describe('the Docker image (run outside Docker: CI has no Docker engine)', function () {
  this.timeout(120_000);
  const ins = dockerfile();
  const env = dockerEnv(ins);
  const one = (op: string) => ins.filter((i) => i.op === op).map((i) => i.args);

  it('builds on a maintained Node.js LTS line, runs as an unprivileged user, writes only to its data volume, checks its health', () => {
    const from = /^node:(\d+)-/.exec(one('FROM')[0] ?? '');
    assert.ok(from, one('FROM').join());
    // Node 20 reached its end of life in April 2026; 22 and 24 are in maintenance, 26 is the active LTS line.
    assert.ok(Number(from[1]) >= 24 && Number(from[1]) % 2 === 0, `node ${from[1]} is not a maintained LTS line`);
    const user = one('USER').pop();
    assert.ok(user && user !== 'root' && user !== '0', `USER ${user}`);
    assert.ok(env.GPO_DATA_DIR, 'the data directory is set for the image');
    assert.deepEqual(JSON.parse(one('VOLUME')[0]), [env.GPO_DATA_DIR]);
    assert.match(one('RUN').join('\n'), new RegExp(`chown ${user}:${user} ${env.GPO_DATA_DIR}`));
    assert.match(one('RUN').join('\n'), /npm ci --omit=dev/);
    const health = /CMD (\[.*\])$/.exec(one('HEALTHCHECK')[0] ?? '');
    assert.ok(health, 'a HEALTHCHECK');
    const healthCmd = JSON.parse(health[1]) as string[];
    assert.ok(existsSync(path.join(root, healthCmd[1].replace(/^\/app\//, ''))), healthCmd[1]);
    // Every compose service checks its own port with the same script.
    for (const [name, s] of Object.entries(compose.services)) assert.deepEqual(s.healthcheck?.test.slice(0, 3),
      ['CMD', ...healthCmd.slice(0, 2)], name);
    assert.deepEqual(compose.services.orchestrator.volumes, [`orchestrator-data:${env.GPO_DATA_DIR}`]);
  });

  it('keeps the vendored API definitions equal to the installed @mojaloop/api-snippets files', function () {
    const pkg = path.join(root, 'node_modules', '@mojaloop', 'api-snippets', 'docs');
    if (!existsSync(pkg)) this.skip();
    for (const f of readdirSync(path.join(root, 'simulators', 'specs')).filter((x) => x.endsWith('.yaml'))) {
      assert.ok(readFileSync(path.join(root, 'simulators', 'specs', f)).equals(readFileSync(path.join(pkg, f))),
        `${f} differs from the package's`);
    }
  });

  it('starts its default command as that user, from a code directory it cannot write, loading no development package', async () => {
    const isRoot = process.getuid?.() === 0;
    // As root, run as nobody, who may read the clone but not write it, as the image's user cannot write /app.
    const uid = isRoot ? 65534 : process.getuid!();
    const gid = isRoot ? 65534 : process.getgid!();
    const scratch = mkdtempSync(path.join(tmpdir(), 'gpo-image-'));
    const data = path.join(scratch, 'data');
    mkdirSync(data);
    chmodSync(scratch, 0o755);
    if (isRoot) chownSync(data, uid, gid);
    const resolved = path.join(data, 'resolved.txt');
    const hook = path.join(scratch, 'record-resolutions.js');
    // Every module file the process resolves, written when it exits: the test checks none is a dev-only package.
    writeFileSync(hook, `const M = require('module'); const fs = require('fs'); const seen = new Set(); const orig = M._resolveFilename;
M._resolveFilename = function (...a) { const r = orig.apply(this, a); seen.add(r); return r; };
process.on('exit', () => fs.writeFileSync(${JSON.stringify(resolved)}, [...seen].join('\\n')));\n`);
    const port = await freePort();
    const runEnv: NodeJS.ProcessEnv = {
      PATH: process.env.PATH, HOME: data, ...env,
      // Loopback in a test (the image binds 0.0.0.0); its ports on free ones, the orchestrator's known for the check.
      GPO_HOST: '127.0.0.1', GPO_BASE_PORT: '0', GPO_PORT: String(port), GPO_DATA_DIR: data, GPO_LOG_LEVEL: 'warn',
      NODE_OPTIONS: `--require ${hook}`,
    };
    const entry = JSON.parse(one('ENTRYPOINT')[0]) as string[];
    const cmd = JSON.parse(one('CMD')[0]) as string[];
    assert.deepEqual(entry, ['gpo'], 'the image links gpo to /app/bin/gpo');
    const child = spawn(process.execPath, [path.join(root, 'bin', 'gpo'), ...cmd],
      { cwd: root, env: runEnv, uid, gid, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await Promise.race([
        new Promise<void>((resolve) =>
          { const t = setInterval(() => { if (/Ctrl-C stops everything/.test(out)) { clearInterval(t); resolve(); } }, 50); }),
        exited.then((code) => { throw new Error(`gpo ${cmd.join(' ')} exited (${code}) before it was up:\n${out}`); }),
      ]);
      // The image's own health check, run as the same user with the same environment.
      const health = JSON.parse(/CMD (\[.*\])$/.exec(one('HEALTHCHECK')[0])![1]) as string[];
      const check = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const h = spawn(process.execPath, [path.join(root, health[1].replace(/^\/app\//, ''))],
          { env: { ...runEnv, NODE_OPTIONS: '' }, uid, gid });
        let o = '';
        h.stdout.on('data', (d) => { o += d; });
        h.on('exit', (code) => resolve({ code, out: o }));
      });
      assert.equal(check.code, 0, check.out);
      assert.match(check.out, new RegExp(`:${port}/health: 200`));
      child.kill('SIGTERM');
      assert.equal(await exited, 0, out);
      assert.match(out, /SIGTERM: stopping/);
      // The store went to the data volume.
      assert.ok(readdirSync(data).some((f) => f !== 'resolved.txt'), `nothing written to ${data}`);
      const dev = devOnlyPackages();
      const loaded = readFileSync(resolved, 'utf8').split('\n').filter((f) => f.includes(`${path.sep}node_modules${path.sep}`));
      assert.ok(loaded.length > 20, `${loaded.length} modules recorded`);
      const devLoaded = loaded.filter((f) => {
        const rel = path.relative(root, f).split(path.sep);
        const i = rel.lastIndexOf('node_modules');
        const name = rel[i + 1]?.startsWith('@') ? `${rel[i + 1]}/${rel[i + 2]}` : rel[i + 1];
        return dev.has([...rel.slice(0, i + 1), name].join('/'));
      });
      assert.deepEqual(devLoaded, [], 'a production install would lack these');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}
