/**
 * Payer DFSP simulator (the treasury's bank): the Mojaloop SDK scheme adapter's outbound API on one port and the
 * FSPIOP inbound API (callbacks from the switch and ALS) on another. Placeholder until the simulator lands:
 * it answers /health and 501 elsewhere.
 */
import Hapi from '@hapi/hapi';
import type { Logger } from 'pino';
import type { RunningServer } from '../../shared/server';
import type { FaultRule } from '../rules';

export interface PayerDfspOptions {
  fspId?: string;
  /** Outbound API port (default 4020); 0 for a random free port. Admin API (/admin/*) lives here too. */
  port?: number;
  /** FSPIOP inbound port (default 4021). */
  inboundPort?: number;
  host?: string;
  /** Switch base URL (quotes, transfers, bulk*); default $GPO_SWITCH_URL or http://127.0.0.1:4030. */
  switchUrl?: string;
  /** ALS base URL (parties); default $GPO_ALS_URL or http://127.0.0.1:4040. */
  alsUrl?: string;
  /** URL the switch and ALS should call back (this simulator's inbound base URL as seen by them). */
  inboundPublicUrl?: string;
  currency?: string;
  /** Treasury account balance, decimal string (default "1000000000"). */
  treasuryBalance?: string;
  /** Net debit cap to register at the switch at onboarding (default = treasuryBalance). */
  netDebitCap?: string;
  /** Onboard on the switch at start (participant, endpoints, limits); default true. */
  onboard?: boolean;
  autoAcceptParty?: boolean;
  autoAcceptQuote?: boolean;
  /** How long to wait for an FSPIOP callback before failing the item with a timeout (ms, default 30000). */
  callbackTimeoutMs?: number;
  faultRules?: FaultRule[];
  seed?: number;
  logger?: Logger;
}

export interface RunningPayerDfsp extends RunningServer {
  readonly fspId: string;
  /** Outbound API base URL (same as url). */
  readonly outboundUrl: string;
  /** FSPIOP inbound base URL. */
  readonly inboundUrl: string;
  readonly inboundPort: number;
}

export async function startPayerDfsp(opts: PayerDfspOptions = {}): Promise<RunningPayerDfsp> {
  const fspId = opts.fspId ?? 'govbank';
  const host = opts.host ?? '127.0.0.1';
  const outbound = Hapi.server({ port: opts.port ?? 4020, host });
  const inbound = Hapi.server({ port: opts.inboundPort ?? 4021, host });
  for (const s of [outbound, inbound]) {
    s.route({ method: 'GET', path: '/health', handler: () => ({ status: 'OK' }) });
    s.route({ method: '*', path: '/{any*}', handler: (_r, h) => h.response({ statusCode: '501', message: 'payer DFSP simulator not implemented yet' }).code(501) });
    await s.start();
  }
  const url = `http://${host}:${outbound.info.port}`;
  return {
    name: fspId, fspId, url, port: outbound.info.port as number, outboundUrl: url,
    inboundUrl: `http://${host}:${inbound.info.port}`, inboundPort: inbound.info.port as number,
    stop: async () => { await outbound.stop(); await inbound.stop(); },
  };
}
