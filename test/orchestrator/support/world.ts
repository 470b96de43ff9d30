/**
 * Test harness: the simulated world plus an orchestrator pointed at it, and the checks every end-to-end test makes
 * (payee ledgers, treasury debit).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { toUnits } from '../../../shared/money';
import { readPayeeLedger, type PayeeLedgerView } from '../../../scenarios/environment';
import { defaultWorldConfig, startWorld, type World, type WorldConfig } from '../../../simulators/world';
import { startOrchestrator, type OrchestratorOptions, type RunningOrchestrator } from '../../../orchestrator/index';
import { setPayerBackend } from '../../../simulators/payer-dfsp/backend';
import type { PaymentInput, SubmitBatchCommand } from '../../../orchestrator/domain/types';

export interface Harness {
  world: World;
  orch: RunningOrchestrator;
  dataDir: string;
  ledgers(): Promise<PayeeLedgerView[]>;
  treasuryDebited(): Promise<bigint>;
  restart(extra?: OrchestratorOptions): Promise<RunningOrchestrator>;
  stop(): Promise<void>;
}

export async function startHarness(orchOpts: OrchestratorOptions, world: Partial<WorldConfig> = {}): Promise<Harness> {
  const w = await startWorld({ ...defaultWorldConfig(), ports: 'random', seed: 11, pil: orchOpts.rail === 'pil', ...world });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gpo-orch-'));
  const base: OrchestratorOptions = {
    port: 0, dataDir, seed: 5, sdkUrl: w.urls.payerOutbound, pilUrl: w.urls.pil,
    retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100 }, railTimeoutMs: 10_000, notify: { progressEveryMs: 100 }, ...orchOpts,
  };
  let orch = await startOrchestrator(base);
  await setPayerBackend(w.urls.payerOutbound, orch.sdkBackendUrl);
  const h: Harness = {
    world: w,
    get orch() { return orch; },
    dataDir,
    ledgers: () => Promise.all(Object.keys(w.payees).map((id) => readPayeeLedger(w.urls[id], id, 'USD'))),
    treasuryDebited: async () => {
      const res = await request(`${w.urls.payerOutbound}/admin/ledger`);
      const body = (await res.body.json()) as { totals: Record<string, { debited: string }> };
      return toUnits(body.totals.USD?.debited ?? '0');
    },
    restart: async (extra = {}) => {
      await orch.crash();
      // The same port, as a deployment restarts: the SDK's backend endpoint stays valid for what is in flight.
      orch = await startOrchestrator({ ...base, ...extra, port: orch.port });
      return orch;
    },
    stop: async () => {
      await orch.stop().catch(() => undefined);
      await w.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return h;
}

/** MSISDNs the default world knows: payee FSP n answers 2547n0000000..2547n9999999. */
export function payee(fsp: 1 | 2, k: number): string {
  return `2547${fsp}${String(1000 + k).padStart(7, '0')}`;
}

/** n payments alternating between the two payee FSPs, distinct payees; `unknown` positions go to nobody. */
export function worldPayments(n: number, opts: { amount?: (i: number) => string; unknown?: Set<number>;
  knownFsp?: boolean } = {}): PaymentInput[] {
  return Array.from({ length: n }, (_, i) => {
    const p: PaymentInput = {
      reference: `ref-${i}`, payeeIdType: 'MSISDN',
      payeeIdValue: opts.unknown?.has(i) ? `25479${String(i).padStart(7, '0')}` : payee(((i % 2) + 1) as 1 | 2, i),
      amount: opts.amount?.(i) ?? String(10 + (i % 7)), currency: 'USD',
    };
    if (opts.knownFsp && !opts.unknown?.has(i)) p.payeeFsp = `payeefsp${(i % 2) + 1}`;
    return p;
  });
}

export function batch(key: string, payments: PaymentInput[], extra: Partial<SubmitBatchCommand> = {}): SubmitBatchCommand {
  return { source: 'native', sourceKey: key, requestHash: `hash-${key}`, currency: 'USD', payments, ...extra };
}

/** Sums over payee ledgers: committed count, credited, fees; and every account's balance. */
export function ledgerTotals(ledgers: PayeeLedgerView[]): { count: number; credited: bigint; fees: bigint; balances: Map<string, bigint> } {
  const balances = new Map<string, bigint>();
  let count = 0;
  let credited = 0n;
  let fees = 0n;
  for (const l of ledgers) {
    count += l.committedCount;
    credited += toUnits(l.credited);
    fees += toUnits(l.fees);
    for (const [acct, bal] of l.balances) balances.set(acct, toUnits(bal));
  }
  return { count, credited, fees, balances };
}
