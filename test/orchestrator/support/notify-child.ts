/**
 * The orchestrator as a child process for the notification crash test: starts on the given data directory, submits
 * (or replays) NOTIFY_BATCHES small native batches with a webhook and one G2P Connect batch with a sender_uri, all
 * pointing at NOTIFY_RECEIVER, and prints `GPO-CHILD {"event":"ready",...}` with its URL and the batch ids. It then
 * runs until killed (GPO_CRASH_AT=deliver:1 kills it after the first refused final delivery).
 * Env: NOTIFY_DATA_DIR, NOTIFY_SDK_URL, NOTIFY_RECEIVER, NOTIFY_BATCHES.
 */
import { startOrchestrator } from '../../../orchestrator/index';
import { parseDisburse } from '../../../orchestrator/intake/g2p-connect';
import { crashPayments, g2pMessage } from './crash-batch';

const say = (o: Record<string, unknown>): void => { process.stdout.write(`GPO-CHILD ${JSON.stringify(o)}\n`); };

async function main(): Promise<void> {
  const receiver = process.env.NOTIFY_RECEIVER!;
  const orch = await startOrchestrator({
    port: Number(process.env.NOTIFY_PORT ?? 0), host: '127.0.0.1', dataDir: process.env.NOTIFY_DATA_DIR, sdkUrl: process.env.NOTIFY_SDK_URL, seed: 7, chunkSize: 100,
    retry: { maxAttempts: 4, baseDelayMs: 20, maxDelayMs: 200 }, notify:
      { maxAttempts: 6, baseDelayMs: 50, maxDelayMs: 200, progressEveryMs: 60_000 },
  });
  const ids: string[] = [];
  for (let b = 0; b < Number(process.env.NOTIFY_BATCHES ?? 3); b++) {
    const key = `notify-${b}`;
    const out = await orch.service.submitBatch({
      source: 'native', sourceKey: key, requestHash: `${key}-v1`, currency: 'USD', payments: crashPayments(5 + b),
      callback: { kind: 'webhook', url: `${receiver}/hook` },
    });
    ids.push(out.batch.id);
  }
  const parsed = parseDisburse(g2pMessage(receiver), { currency: 'USD', sync: false });
  if (!parsed.ok) throw new Error(parsed.rejection.message);
  const g2p = await orch.service.submitBatch(parsed.command);
  say({ event: 'ready', url: orch.url, batchIds: ids, g2pBatchId: g2p.batch.id, g2pOutcome: g2p.outcome });
}

main().catch((err) => {
  say({ event: 'error', message: String((err as Error).stack ?? err) });
  process.exit(1);
});
