/**
 * Where `gpo up` puts each server: a port and a bind address per server, from flags, a config file and GPO_*
 * variables (in that order: the first source that says anything about a server wins; inside one source a setting
 * for the server beats the source's general one), then the default port map. A base port moves the whole map:
 * every server keeps its offset from the orchestrator's port (4000 → 5300 puts the switch on 5330); base port 0
 * gives every server a free port.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { UserError } from '../shared/errors';
import { DEFAULT_PORTS } from '../shared/server';

/** Each fixed server's offset from the base port (the orchestrator's); payee DFSP number i is at 50 + i. */
export const PORT_OFFSETS = {
  orchestrator: 0,
  pil: DEFAULT_PORTS.pil - DEFAULT_PORTS.orchestrator,
  payer: DEFAULT_PORTS.payerOutbound - DEFAULT_PORTS.orchestrator,
  'payer-inbound': DEFAULT_PORTS.payerInbound - DEFAULT_PORTS.orchestrator,
  switch: DEFAULT_PORTS.switch - DEFAULT_PORTS.orchestrator,
  als: DEFAULT_PORTS.als - DEFAULT_PORTS.orchestrator,
  mapper: DEFAULT_PORTS.mapper - DEFAULT_PORTS.orchestrator,
  'sponsor-bank': DEFAULT_PORTS.sponsorBank - DEFAULT_PORTS.orchestrator,
} as const;
const PAYEE_OFFSET = DEFAULT_PORTS.payeeFirst - DEFAULT_PORTS.orchestrator;
export const DEFAULT_HOST = '127.0.0.1';

export interface ServerAddress {
  port: number;
  host: string;
}

/** Server name (orchestrator, pil, payer, payer-inbound, switch, als, each payee FSP id) → where it listens. */
export type UpLayout = Record<string, ServerAddress>;

/** What one source (flags, config file or environment) says. */
interface Source {
  label: string;
  basePort?: number;
  host?: string;
  ports: Record<string, number>;
  hosts: Record<string, string>;
}

export interface UpFlags {
  'base-port'?: number;
  /** NAME=PORT, repeatable */
  port?: string[];
  /** ADDRESS (every server) or NAME=ADDRESS, repeatable */
  host?: string[];
  config?: string;
}

/** Keys an `up` config file may hold (YAML or JSON); anything else is refused. */
export const UP_CONFIG_KEYS = ['basePort', 'host', 'ports', 'hosts', 'seed', 'dataDir', 'orchestrator'] as const;

export interface UpConfigFile {
  basePort?: number;
  host?: string;
  ports?: Record<string, number>;
  hosts?: Record<string, string>;
  seed?: number;
  dataDir?: string;
  orchestrator?: boolean;
}

export function serverNames(payeeIds: string[]): string[] {
  return [...Object.keys(PORT_OFFSETS), ...payeeIds];
}

function offsetOf(name: string, payeeIds: string[]): number {
  if (name in PORT_OFFSETS) return PORT_OFFSETS[name as keyof typeof PORT_OFFSETS];
  return PAYEE_OFFSET + payeeIds.indexOf(name);
}

function portNumber(v: unknown, what: string): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0
    || n > 65535) throw new UserError(`${what}: ${JSON.stringify(v)} is not a port (0-65535)`, '0 asks for a free port');
  return n;
}

function knownName(name: string, names: string[], what: string): string {
  if (!names.includes(name)) throw new UserError(`${what}: no server "${name}"`, `servers are ${names.join(', ')}`);
  return name;
}

function pair(s: string, what: string): [string, string] {
  const i = s.indexOf('=');
  if (i <= 0) throw new UserError(`${what} "${s}" is not NAME=VALUE`, `e.g. ${what} switch=4130`);
  return [s.slice(0, i).trim(), s.slice(i + 1).trim()];
}

function fromFlags(f: UpFlags, names: string[]): Source {
  const src: Source = { label: 'flags', ports: {}, hosts: {} };
  if (f['base-port'] !== undefined) src.basePort = portNumber(f['base-port'], '--base-port');
  for (const p of f.port ?? []) {
    const [name, v] = pair(p, '--port');
    src.ports[knownName(name, names, '--port')] = portNumber(v, `--port ${name}`);
  }
  for (const h of f.host ?? []) {
    if (!h.includes('=')) { src.host = h; continue; }
    const [name, v] = pair(h, '--host');
    src.hosts[knownName(name, names, '--host')] = v;
  }
  return src;
}

export function readUpConfigFile(file: string): UpConfigFile {
  let data: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    data = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new UserError(`${file}: ${(err as Error).message.split('\n')[0]}`,
      'the config file is YAML or JSON: basePort, host, ports, hosts, seed, dataDir, orchestrator');
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new UserError(`${file}: expected a mapping of options`,
    `keys: ${UP_CONFIG_KEYS.join(', ')}`);
  const unknown = Object.keys(data).filter((k) => !(UP_CONFIG_KEYS as readonly string[]).includes(k));
  if (unknown.length) throw new UserError(`${file}: unknown option(s) ${unknown.join(', ')}`, `keys: ${UP_CONFIG_KEYS.join(', ')}`);
  return data as UpConfigFile;
}

function fromFile(file: string, c: UpConfigFile, names: string[]): Source {
  const src: Source = { label: file, ports: {}, hosts: {} };
  if (c.basePort !== undefined) src.basePort = portNumber(c.basePort, `${file}: basePort`);
  if (c.host !== undefined) src.host = String(c.host);
  for (const [name, v] of Object.entries(c.ports ?? {})) src.ports[knownName(name, names, `${file}: ports`)] = portNumber(v,
    `${file}: ports.${name}`);
  for (const [name, v] of Object.entries(c.hosts ?? {})) src.hosts[knownName(name, names, `${file}: hosts`)] = String(v);
  return src;
}

/** GPO_<NAME>_PORT / GPO_<NAME>_HOST, e.g. GPO_SWITCH_PORT, GPO_PAYER_INBOUND_PORT, GPO_PAYEEFSP2_HOST. */
export function envName(server: string, what: 'PORT' | 'HOST'): string {
  return `GPO_${server.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_${what}`;
}

function fromEnv(env: NodeJS.ProcessEnv, names: string[]): Source {
  const src: Source = { label: 'environment', ports: {}, hosts: {} };
  const set = (v: string | undefined) => v !== undefined && v !== '';
  if (set(env.GPO_BASE_PORT)) src.basePort = portNumber(env.GPO_BASE_PORT, 'GPO_BASE_PORT');
  if (set(env.GPO_HOST)) src.host = env.GPO_HOST;
  // GPO_PORT is the orchestrator's port, as for `gpo orchestrator`.
  if (set(env.GPO_PORT)) src.ports.orchestrator = portNumber(env.GPO_PORT, 'GPO_PORT');
  for (const n of names) {
    const p = env[envName(n, 'PORT')];
    if (set(p)) src.ports[n] = portNumber(p, envName(n, 'PORT'));
    const h = env[envName(n, 'HOST')];
    if (set(h)) src.hosts[n] = h as string;
  }
  return src;
}

/**
 * The payer DFSP is one simulator with two servers on one bind address: a host given for `payer-inbound` alone is
 * refused rather than silently ignored.
 */
function checkHosts(sources: Source[]): void {
  for (const s of sources) {
    if (s.hosts['payer-inbound'] !== undefined && s.hosts['payer-inbound'] !== (s.hosts.payer ?? s.host)) {
      throw new UserError(`${s.label}: payer-inbound has its own port but shares the payer DFSP's bind address`,
        'set the host of "payer" instead');
    }
  }
}

/** Resolves every server's port and bind address; refuses a port given to two servers. */
export function resolveUpLayout(flags: UpFlags, env: NodeJS.ProcessEnv, payeeIds: string[], file?: UpConfigFile): UpLayout {
  const names = serverNames(payeeIds);
  const cfg = file ?? (flags.config ? readUpConfigFile(flags.config) : undefined);
  const sources = [fromFlags(flags, names), ...(cfg ? [fromFile(flags.config ?? 'config', cfg, names)] : []), fromEnv(env, names)];
  checkHosts(sources);
  const layout: UpLayout = {};
  for (const n of names) {
    let port: number | undefined;
    for (const s of sources) {
      if (s.ports[n] !== undefined) port = s.ports[n];
      else if (s.basePort !== undefined) port = s.basePort === 0 ? 0 : s.basePort + offsetOf(n, payeeIds);
      if (port !== undefined) break;
    }
    port ??= DEFAULT_PORTS.orchestrator + offsetOf(n, payeeIds);
    if (port > 65535) throw new UserError(`${n}: port ${port} is past 65535`, 'choose a lower --base-port');
    const hostName = n === 'payer-inbound' ? 'payer' : n;
    let host: string | undefined;
    for (const s of sources) {
      host = s.hosts[hostName] ?? s.host;
      if (host !== undefined) break;
    }
    layout[n] = { port, host: host ?? DEFAULT_HOST };
  }
  const byPort = new Map<number, string>();
  for (const [n, a] of Object.entries(layout)) {
    if (a.port === 0) continue;
    const other = byPort.get(a.port);
    if (other) throw new UserError(`port ${a.port} is given to both ${other} and ${n}`, 'give each server its own port (--port NAME=PORT)');
    byPort.set(a.port, n);
  }
  return layout;
}
