/**
 * PIL simulator: the Payments Interoperability Layer of OpenG2P's demo #1 (SP Convergence PIL API v0.1.0).
 * Placeholder until the simulator lands: it answers /health and 501 elsewhere.
 */
import Hapi from '@hapi/hapi';
import type { Logger } from 'pino';
import type { RunningServer } from '../../shared/server';
import type { FaultRule } from '../rules';

export interface PilDirectoryEntry {
  /** Regular expression on payeeIdType (e.g. "MSISDN|ACCOUNT_ID"). */
  payeeIdType: string;
  rail: 'mojaloop';
  payerFsp: string;
  /** The FSPIOP party id type to look the payee up with (default: payeeIdType itself). */
  partyIdType?: string;
}

export interface PilOptions {
  port?: number;
  host?: string;
  /** The payer DFSP's SDK outbound API base URL; default $GPO_PAYER_OUTBOUND_URL or http://127.0.0.1:4020. */
  payerOutboundUrl?: string;
  directory?: PilDirectoryEntry[];
  /** 'sequential' = as in demo #1 (one payee at a time); 'concurrent' = many at once (default). */
  mode?: 'sequential' | 'concurrent';
  /** Answer POST /disbursement synchronously if the batch completes within this window (ms, default 15000). */
  syncWindowMs?: number;
  concurrency?: number;
  faultRules?: FaultRule[];
  seed?: number;
  logger?: Logger;
}

export type RunningPil = RunningServer;

export async function startPil(opts: PilOptions = {}): Promise<RunningPil> {
  const host = opts.host ?? '127.0.0.1';
  const server = Hapi.server({ port: opts.port ?? 4010, host });
  server.route({ method: 'GET', path: '/health', handler: () => ({ status: 'UP' }) });
  server.route({ method: '*', path: '/{any*}', handler: (_r, h) => h.response({ errorCode: 'NOT_IMPLEMENTED' }).code(501) });
  await server.start();
  return { name: 'pil', url: `http://${host}:${server.info.port}`, port: server.info.port as number, stop: () => server.stop() };
}
