/**
 * Where the ALS sends things: each participant's callback endpoints, by central-ledger endpoint type
 * (FSPIOP_CALLBACK_URL_PARTIES_GET, ..._PARTIES_PUT, ..._PARTICIPANT_PUT, ...). A real ALS reads them from the
 * hub's central-ledger admin API; this one can do the same over HTTP, or hold them itself (admin API / config).
 */
import { Pool } from 'undici';

export type EndpointMap = ReadonlyMap<string, string>;

export interface EndpointSource {
  /** The participant's endpoints by type, or undefined when the participant is unknown. */
  endpointsOf(fspId: string): Promise<EndpointMap | undefined>;
}

/** Endpoints held in memory (config or the ALS admin API). */
export class StaticEndpoints implements EndpointSource {
  private readonly byFsp = new Map<string, Map<string, string>>();

  constructor(initial: Record<string, Record<string, string>> = {}) {
    for (const [fsp, eps] of Object.entries(initial)) for (const [t, v] of Object.entries(eps)) this.set(fsp, t, v);
  }

  set(fspId: string, type: string, value: string): void {
    let m = this.byFsp.get(fspId);
    if (!m) this.byFsp.set(fspId, (m = new Map()));
    m.set(type, value);
  }

  /** Registers one base URL for every FSPIOP resource the ALS calls (the common simulator setup). */
  setBase(fspId: string, baseUrl: string): void {
    const base = baseUrl.replace(/\/+$/, '');
    for (const type of ALS_ENDPOINT_TYPES) this.set(fspId, type, base);
  }

  remove(fspId: string): boolean {
    return this.byFsp.delete(fspId);
  }

  list(): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    for (const [fsp, m] of this.byFsp) out[fsp] = Object.fromEntries(m);
    return out;
  }

  async endpointsOf(fspId: string): Promise<EndpointMap | undefined> {
    return this.byFsp.get(fspId);
  }
}

/**
 * Reads endpoints from a hub's admin API (`GET {hub}/participants/{name}/endpoints` → `[{type, value}]`,
 * the central-ledger convention), caching each answer for a short time as the real ALS does.
 */
export class HubEndpoints implements EndpointSource {
  private readonly pool: Pool;
  private readonly cache = new Map<string, { at: number; endpoints: EndpointMap | undefined }>();
  private readonly inflight = new Map<string, Promise<EndpointMap | undefined>>();

  constructor(private readonly hubAdminUrl: string, private readonly ttlMs = 10_000) {
    this.pool = new Pool(new URL(hubAdminUrl).origin, { connections: 4, pipelining: 1, keepAliveTimeout: 30_000 });
  }

  async endpointsOf(fspId: string): Promise<EndpointMap | undefined> {
    const hit = this.cache.get(fspId);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.endpoints;
    let p = this.inflight.get(fspId);
    if (!p) {
      p = this.fetch(fspId).finally(() => this.inflight.delete(fspId));
      this.inflight.set(fspId, p);
    }
    return p;
  }

  private async fetch(fspId: string): Promise<EndpointMap | undefined> {
    const path = `${new URL(this.hubAdminUrl).pathname.replace(/\/+$/, '')}/participants/${encodeURIComponent(fspId)}/endpoints`;
    const res = await this.pool.request({ method: 'GET', path, headers: { accept: 'application/json' } });
    const text = await res.body.text();
    let endpoints: EndpointMap | undefined;
    if (res.statusCode === 200) {
      const list = JSON.parse(text) as Array<{ type: string; value: string }>;
      endpoints = new Map(Array.isArray(list) ? list.filter((e) => e && typeof e.type === 'string'
        && typeof e.value === 'string').map((e) => [e.type, e.value]) : []);
    } else if (res.statusCode >= 500) {
      throw new Error(`hub answered ${res.statusCode} for the endpoints of ${fspId}`);
    }
    this.cache.set(fspId, { at: Date.now(), endpoints });
    return endpoints;
  }

  invalidate(fspId?: string): void {
    if (fspId) this.cache.delete(fspId);
    else this.cache.clear();
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

/** Tries each source in turn (e.g. the ALS's own registrations, then the hub). */
export class ChainedEndpoints implements EndpointSource {
  constructor(private readonly sources: EndpointSource[]) {}
  async endpointsOf(fspId: string): Promise<EndpointMap | undefined> {
    for (const s of this.sources) {
      const eps = await s.endpointsOf(fspId);
      if (eps && eps.size > 0) return eps;
    }
    return undefined;
  }
}

export const ALS_ENDPOINT_TYPES = [
  'FSPIOP_CALLBACK_URL_PARTIES_GET',
  'FSPIOP_CALLBACK_URL_PARTIES_PUT',
  'FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR',
  'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT',
  'FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR',
  'FSPIOP_CALLBACK_URL_PARTICIPANT_BATCH_PUT',
  'FSPIOP_CALLBACK_URL_PARTICIPANT_BATCH_PUT_ERROR',
] as const;

export type AlsEndpointType = (typeof ALS_ENDPOINT_TYPES)[number];

export interface PartyPath {
  idType: string;
  idValue: string;
  subId?: string;
}

/**
 * The URL for an ALS call to a participant: fills the central-ledger `{{...}}` template; a bare base URL (no
 * resource path in it) gets the standard FSPIOP path appended, so both provisioning styles work.
 */
export function endpointUrl(template: string, type: AlsEndpointType, p: PartyPath & { requestId?: string }): string {
  const enc = encodeURIComponent;
  let url = template
    .replace(/\{\{partyIdType\}\}/g, enc(p.idType))
    .replace(/\{\{partyIdentifier\}\}/g, enc(p.idValue))
    .replace(/\{\{partySubIdOrType\}\}/g, p.subId ? enc(p.subId) : '')
    .replace(/\{\{requestId\}\}/g, p.requestId ? enc(p.requestId) : '')
    .replace(/\/+$/, '');
  const isParties = type.startsWith('FSPIOP_CALLBACK_URL_PARTIES');
  const isBatch = type.startsWith('FSPIOP_CALLBACK_URL_PARTICIPANT_BATCH');
  const resource = isParties ? '/parties' : '/participants';
  const isError = type.endsWith('_ERROR');
  if (!url.includes(resource + '/')) {
    url += isBatch ? `${resource}/${enc(p.requestId ?? '')}` : `${resource}/${enc(p.idType)}/${enc(p.idValue)}`;
    if (!isBatch && p.subId) url += `/${enc(p.subId)}`;
  } else if (!isBatch && p.subId && !template.includes('{{partySubIdOrType}}')) {
    // a template written for identifiers without sub-id: insert it before a trailing /error
    url = url.endsWith('/error') ? `${url.slice(0, -6)}/${enc(p.subId)}/error` : `${url}/${enc(p.subId)}`;
  }
  if (isError && !url.endsWith('/error')) url += '/error';
  return url;
}
