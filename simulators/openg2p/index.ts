/**
 * The OpenG2P side of a payment cycle, played over HTTP against an orchestrator: it never imports orchestrator code.
 *
 *   const g2p = await startOpenG2p({ orchestratorUrl, program: { name, currency: 'USD', paymentManager: 'interop-layer', amount: { base:
 * '100' } } });
 *   g2p.enrol(generateRegistrants({ count: 1000, fsps: { payeefsp1: 1, payeefsp2: 1 } }, 42));
 *   const cycle = g2p.createCycle(); cycle.createEntitlements(); cycle.approveEntitlements(); cycle.approve();
 *   cycle.preparePayments(g2p.rnd); await g2p.sendPayments(cycle); await g2p.reconcile(cycle, 30_000);
 */
import { SeededRandom } from '../../shared/ids';
import { CallbackReceiver, startCallbackReceiver } from './callbacks';
import { createPaymentManager, ExchangeLog, PaymentManager, SendOutcome } from './managers';
import { Cycle, PaymentBatch, Program, ProgramConfig } from './program';
import type { Registrant } from './registrants';
import type { JwsSigningKey } from '../../shared/g2p-jws';

export * from './program';
export * from './registrants';
export * from './managers';
export * from './callbacks';

export interface OpenG2pOptions {
  orchestratorUrl: string;
  program: ProgramConfig;
  seed?: number;
  payerFa?: string;
  nativeFormat?: 'json' | 'csv';
  /** Where the G2P Connect receiver listens (port 0 by default). */
  callbackPort?: number;
  callbackHost?: string;
  /** Credentials for the orchestrator (Authorization: Bearer); the real interop-layer module sends none. */
  apiKey?: string;
  /** g2p-connect: the key OpenG2P signs its messages with. */
  signingKey?: JwsSigningKey;
  /** g2p-connect: the orchestrator's JWKS; callbacks that do not verify with it are refused and counted. */
  orchestratorJwksUrl?: string;
}

export class OpenG2p {
  readonly program: Program;
  readonly log = new ExchangeLog();
  readonly rnd: SeededRandom;
  private manager: PaymentManager;
  private cycleSeq = 0;

  constructor(private opts: OpenG2pOptions, readonly callbacks?: CallbackReceiver) {
    this.program = new Program(opts.program);
    this.rnd = new SeededRandom(opts.seed ?? 1);
    this.manager = this.makeManager(opts.orchestratorUrl, 'cycle');
  }

  private makeManager(orchestratorUrl: string, cycleId: string): PaymentManager {
    return createPaymentManager(this.opts.program.paymentManager, {
      orchestratorUrl,
      programName: this.opts.program.name,
      cycleId,
      payerFa: this.opts.payerFa,
      callbacks: this.callbacks,
      log: this.log,
      rnd: this.rnd,
      nativeFormat: this.opts.nativeFormat,
      apiKey: this.opts.apiKey,
      signingKey: this.opts.signingKey,
    });
  }

  /** Point the payment manager at another orchestrator URL (e.g. after a restart on a new port). */
  setOrchestratorUrl(url: string): void {
    this.opts = { ...this.opts, orchestratorUrl: url };
  }

  enrol(registrants: Registrant[]): [number, number] {
    return this.program.enrol(registrants);
  }

  createCycle(): Cycle {
    this.cycleSeq++;
    return this.program.createCycle(String(this.cycleSeq));
  }

  private managerFor(cycle: Cycle): PaymentManager {
    this.manager = this.makeManager(this.opts.orchestratorUrl, cycle.id);
    return this.manager;
  }

  /** Send payments: every batch not yet sent goes through the payment manager, one request per batch, in order. */
  async sendPayments(cycle: Cycle, opts: { batches?: PaymentBatch[]; resend?: boolean;
    concurrency?: number } = {}): Promise<Array<SendOutcome & { batchId: string }>> {
    const manager = this.managerFor(cycle);
    const todo = (opts.batches ?? cycle.batches).filter((b) => opts.resend || b.state === 'draft');
    const out: Array<SendOutcome & { batchId: string }> = [];
    const concurrency = Math.max(1, opts.concurrency ?? 1);
    let next = 0;
    const worker = async () => {
      while (next < todo.length) {
        const b = todo[next++];
        out.push({ batchId: b.id, ...(await manager.send(b)) });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return out;
  }

  async cancel(cycle: Cycle): Promise<SendOutcome[]> {
    const manager = this.managerFor(cycle);
    return Promise.all(cycle.batches.filter((b) => b.state === 'sent').map((b) => manager.cancel(b)));
  }

  /** Refresh results until every sent payment is reconciled or the deadline passes; true when all are final. */
  async reconcile(cycle: Cycle, timeoutMs: number, pollMs = 50): Promise<boolean> {
    const manager = this.managerFor(cycle);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const open = cycle.batches.filter((b) => b.state === 'sent' && b.payments.some((p) => p.state === 'sent'));
      for (const b of open) {
        try { await manager.refresh(b); } catch { /* the orchestrator may be restarting: ask again next round */ }
      }
      for (const b of cycle.batches) if (b.state === 'sent' && b.payments.every((p) => p.state === 'reconciled')) b.state = 'reconciled';
      if (cycle.batches.every((b) => b.state !== 'sent')) return true;
      if (Date.now() >= deadline) return false;
      await new Promise<void>((r) => setTimeout(r, pollMs));
    }
  }

  async stop(): Promise<void> {
    await this.callbacks?.stop();
  }
}

export async function startOpenG2p(opts: OpenG2pOptions): Promise<OpenG2p> {
  const callbacks = opts.program.paymentManager === 'g2p-connect'
    ? await startCallbackReceiver({ port: opts.callbackPort, host: opts.callbackHost, senderJwksUrl: opts.orchestratorJwksUrl })
    : undefined;
  return new OpenG2p(opts, callbacks);
}
