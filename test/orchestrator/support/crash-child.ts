/**
 * The orchestrator as a child process for the crash test: starts on the given data directory, submits (or replays)
 * one deterministic batch, and prints one JSON line per milestone on stdout (`ready`, `final`). GPO_CRASH_AT makes
 * the engine kill this process at a chosen point. At every progress event it reads the batch's final payments as the
 * API shows them (the service every intake reads) and prints those it had not shown yet (`shown`); `final` carries
 * every payment's status.
 * Env: CRASH_DATA_DIR, CRASH_SDK_URL, CRASH_COUNT, CRASH_MODE, CRASH_HOLD_MS (transferHoldMs), CRASH_KEY (batch key),
 * CRASH_RAIL_CONCURRENCY (railConcurrency), CRASH_PORT (the port every life listens on), CRASH_CHUNK_SIZE (chunkSize).
 */
import { startOrchestrator } from '../../../orchestrator/index';
import { BatchStatus, PaymentStatus, type MojaloopSdkMode } from '../../../orchestrator/domain/types';
import { crashBatch } from './crash-batch';

const FINAL = new Set<string>([BatchStatus.COMPLETED, BatchStatus.PARTIALLY_COMPLETED, BatchStatus.FAILED, BatchStatus.CANCELLED]);
const say = (o: Record<string, unknown>): void => { process.stdout.write(`GPO-CHILD ${JSON.stringify(o)}\n`); };

/** Failed payments by error code and description (a diagnosis for a failing crash test). */
async function failures(orch: Awaited<ReturnType<typeof startOrchestrator>>, batchId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const page = await orch.service.listPayments(batchId, { status: PaymentStatus.FAILED, limit: 100_000 });
  for (const p of page.items) {
    const k = `${p.errorCode} ${p.errorDescription ?? ''}`.slice(0, 160);
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

const FINAL_PAYMENT = [PaymentStatus.COMPLETED, PaymentStatus.FAILED, PaymentStatus.CANCELLED];

/** The batch's payments in a final status, by reference, as a read shows them. */
async function finals(orch: Awaited<ReturnType<typeof startOrchestrator>>, batchId: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const status of FINAL_PAYMENT) {
    const page = await orch.service.listPayments(batchId, { status, limit: 1_000_000 });
    for (const p of page.items) out[p.reference] = `${p.status}${p.errorCode ? ` ${p.errorCode}` : ''}`;
  }
  return out;
}

async function main(): Promise<void> {
  const orch = await startOrchestrator({
    port: Number(process.env.CRASH_PORT ?? 0), host: '127.0.0.1', dataDir: process.env.CRASH_DATA_DIR, sdkUrl: process.env.CRASH_SDK_URL, seed: 42,
    railMode: (process.env.CRASH_MODE ?? 'bulkQuotesTransfers') as MojaloopSdkMode, chunkSize: Number(process.env.CRASH_CHUNK_SIZE ?? 1000),
    retry: { maxAttempts: 4, baseDelayMs: 20, maxDelayMs: 200 }, railTimeoutMs: 20_000, notify: { progressEveryMs: 150 },
    ...(process.env.CRASH_HOLD_MS ? { transferHoldMs: Number(process.env.CRASH_HOLD_MS) } : {}),
    ...(process.env.CRASH_RAIL_CONCURRENCY ? { railConcurrency: Number(process.env.CRASH_RAIL_CONCURRENCY) } : {}),
  });
  let done = false;
  const shown = new Set<string>();
  let reading = false;
  orch.service.subscribe((e) => {
    if (e.type === 'batch-final' && !done) {
      done = true;
      void Promise.all([failures(orch, e.batch.id), finals(orch, e.batch.id)])
        .then(([f, statuses]) => say({ event: 'final', batch: e.batch, failures: f, statuses }));
    } else if (e.type === 'batch-progress' && !reading && !done) {
      reading = true;
      void finals(orch, e.batch.id).then((all) => {
        const fresh = Object.entries(all).filter(([ref]) => !shown.has(ref));
        for (const [ref] of fresh) shown.add(ref);
        if (fresh.length) say({ event: 'shown', statuses: Object.fromEntries(fresh) });
      }).finally(() => { reading = false; });
    }
  });
  const out = await orch.service.submitBatch(crashBatch(Number(process.env.CRASH_COUNT ?? 20000), process.env.CRASH_KEY));
  say({ event: 'ready', outcome: out.outcome, batchId: out.batch.id, status: out.batch.status });
  if (FINAL.has(out.batch.status) && !done) {
    done = true;
    say({ event: 'final', batch: out.batch });
  }
}

main().catch((err) => {
  say({ event: 'error', message: String((err as Error).stack ?? err) });
  process.exit(1);
});
