/**
 * The real Mojaloop SDK scheme adapter (npm @mojaloop/sdk-scheme-adapter 18.0.2, installed outside GPO's own
 * dependencies by `.ci/run` into .ci/sdk-peer or a cache named by GPO_REAL_SDK_DIR) with its own redis-server, both
 * started on free loopback ports, as a payer DFSP in the simulated world: onboarded on the switch as `sdkbank`,
 * parties through the world's ALS, transfers through its switch to its payee DFSPs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { onboardParticipant } from '../../../simulators/switch/onboard';
import type { World } from '../../../simulators/world';

export const SDK_FSP = 'sdkbank';

/** Where the SDK's package is, or undefined when it is not installed here. */
export function sdkDir(): string | undefined {
  const candidates = [
    process.env.GPO_REAL_SDK_DIR,
    path.join(__dirname, '..', '..', '..', '.ci', 'sdk-peer', 'node_modules', '@mojaloop', 'sdk-scheme-adapter'),
  ].filter((d): d is string => !!d);
  return candidates.find((d) => existsSync(path.join(d, 'src', 'index.js')));
}

export function redisServer(): string | undefined {
  return ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
}

/** In CI the real SDK must be there (a missing install fails); elsewhere the suite is skipped without it. */
export function realSdkAvailable(): boolean {
  const ok = !!sdkDir() && !!redisServer();
  if (!ok && process.env.CI === 'true') throw new Error('CI: the real SDK (.ci/sdk-peer or GPO_REAL_SDK_DIR) and redis-server must be ' +
    'installed by .ci/run');
  return ok;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, ok: () => Promise<boolean>, timeoutMs: number, child?: Proc): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 50; ; wait = Math.min(500, wait * 2)) {
    if (child?.exited) throw new Error(`${what}: the process exited (${child.exited}): ${child.tail()}`);
    if (await ok().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} not up within ${timeoutMs} ms: ${child?.tail() ?? ''}`);
    await new Promise((r) => setTimeout(r, wait));
  }
}

interface Proc {
  child: ChildProcess;
  exited?: string;
  tail(): string;
  stop(): Promise<void>;
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv }): Proc {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => { out = (out + d.toString()).slice(-6000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const p: Proc = {
    child,
    tail: () => out.slice(-3000),
    stop: () => new Promise<void>((resolve) => {
      if (p.exited) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    }),
  };
  child.on('exit', (code, signal) => { p.exited = `code ${code} signal ${signal}`; });
  return p;
}

export interface RealSdkOptions {
  /** AUTO_ACCEPT_QUOTES (default false: GPO accepts each quote). */
  autoAcceptQuotes?: boolean;
  autoAcceptParty?: boolean;
  /** REQUEST_PROCESSING_TIMEOUT_SECONDS (default 5). */
  requestTimeoutSeconds?: number;
  /** EXPIRY_SECONDS (default 10). */
  expirySeconds?: number;
}

export interface RealSdk {
  outboundUrl: string;
  inboundUrl: string;
  /** GPO's transferHoldMs matching this SDK's timeouts. */
  holdMs: number;
  tail(): string;
  stop(): Promise<void>;
}

/** Starts redis and the SDK, onboards the SDK on the world's switch. */
export async function startRealSdk(world: World, o: RealSdkOptions = {}): Promise<RealSdk> {
  const dir = sdkDir();
  const redisBin = redisServer();
  if (!dir || !redisBin) throw new Error('the real SDK or redis-server is not installed');
  const redisPort = await freePort();
  const redis = run(redisBin, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {});
  await waitFor('redis', async () => redis.tail().includes('Ready to accept connections'), 20_000, redis);
  const [inbound, outbound, metrics, testPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const hostOf = (url: string) => new URL(url).host;
  const requestTimeout = o.requestTimeoutSeconds ?? 5;
  const expiry = o.expirySeconds ?? 10;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: process.env.HOME,
    DFSP_ID: SDK_FSP,
    PEER_ENDPOINT: hostOf(world.urls.switch),
    ALS_ENDPOINT: hostOf(world.urls.als),
    BACKEND_ENDPOINT: `127.0.0.1:${await freePort()}`,
    CACHE_URL: `redis://127.0.0.1:${redisPort}`,
    INBOUND_LISTEN_PORT: String(inbound), OUTBOUND_LISTEN_PORT: String(outbound),
    METRICS_SERVER_LISTEN_PORT: String(metrics), TEST_LISTEN_PORT: String(testPort),
    AUTO_ACCEPT_QUOTES: String(o.autoAcceptQuotes ?? false), AUTO_ACCEPT_PARTY: String(o.autoAcceptParty ?? true),
    REQUEST_PROCESSING_TIMEOUT_SECONDS: String(requestTimeout), EXPIRY_SECONDS: String(expiry),
    VALIDATE_INBOUND_JWS: 'false', JWS_SIGN: 'false', ENABLE_TEST_FEATURES: 'false', LOG_INDENT: '0',
  };
  const sdk = run(process.execPath, ['src/index.js'], { cwd: dir, env });
  const stop = async () => {
    await sdk.stop();
    await redis.stop();
  };
  try {
    const up = (port: number) => async () =>
      { const r = await request(`http://127.0.0.1:${port}/`); await r.body.dump(); return r.statusCode === 200; };
    await waitFor('SDK outbound API', up(outbound), 60_000, sdk);
    await waitFor('SDK inbound API', async () =>
      { const r = await request(`http://127.0.0.1:${inbound}/`); await r.body.dump(); return r.statusCode < 500; }, 30_000, sdk);
    if (!world.switch.participants.get(SDK_FSP)) await onboardParticipant(world.urls.switch, SDK_FSP, `http://127.0.0.1:${inbound}`,
      { currency: 'USD' });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    outboundUrl: `http://127.0.0.1:${outbound}`, inboundUrl: `http://127.0.0.1:${inbound}`,
    holdMs: (2 * requestTimeout + expiry) * 1000 + 2000,
    tail: () => sdk.tail(),
    stop,
  };
}
