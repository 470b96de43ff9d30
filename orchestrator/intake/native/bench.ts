/**
 * What the native API's edge costs per batch, without the engine: JSON parse + validation + hash, CSV parse +
 * validation + hash, and the report rows. Prints figures; times nothing in a test.
 *
 *   npx tsx orchestrator/intake/native/bench.ts            # 10,000, 100,000 and 1,000,000 payments
 *   npx tsx orchestrator/intake/native/bench.ts 100000     # one size
 */
import { PaymentStatus, type PaymentView } from '../../domain/types';
import { buildFromCsv, buildFromJson } from './batch';
import { reportRow } from './report';

function payments(n: number): Array<Record<string, string>> {
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = { reference: `r-${i}`, payeeIdType: 'MSISDN', payeeIdValue: String(254700000000 + i), amount: `${1
    + (i % 500)}.${String(i % 100).padStart(2, '0')}`, currency: 'USD' };
  return out;
}

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function rate(n: number, millis: number): string {
  return `${Math.round(n / (millis / 1000)).toLocaleString('en-US')}/s`;
}

async function run(n: number): Promise<void> {
  const ps = payments(n);
  const jsonText = JSON.stringify({ reference: 'bench', currency: 'USD', payments: ps });
  const csvText =
    'id,request_id,payment_mode,payer_identifier_type,payer_identifier,payee_identifier_type,payee_identifier,amount,currency,note\n'
    + ps.map((p) => `${p.reference},bench,mojaloop,ACCOUNT_ID,treasury,MSISDN,${p.payeeIdValue},${p.amount},USD,`).join('\n') + '\n';
  const opts = { sourceKey: 'bench', duplicatePayees: 'reject' as const };

  let t = process.hrtime.bigint();
  const body = JSON.parse(jsonText);
  const parseMs = ms(t);
  t = process.hrtime.bigint();
  const json = await buildFromJson(body, opts);
  const jsonMs = ms(t);
  if (!json.ok) throw new Error(`JSON batch refused: ${json.body.errorCode}`);

  t = process.hrtime.bigint();
  const csv = await buildFromCsv(csvText, {}, opts);
  const csvMs = ms(t);
  if (!csv.ok) throw new Error(`CSV batch refused: ${csv.body.errorCode}`);

  const view = (p: Record<string, string>, i: number): PaymentView => ({ batchId: 'b', position: i, reference: p.reference, payeeIdType:
    'MSISDN', payeeIdValue: p.payeeIdValue, amount: p.amount, currency: 'USD', status: PaymentStatus.COMPLETED, transferId:
      '3bc851b5-6273-4d0e-8d70-280cacf7a152', fee: '0', amountDebited: p.amount, amountCredited: p.amount, attempts: 1, updatedAt:
        '2026-01-01T00:00:00.000Z', completedAt: '2026-01-01T00:00:00.000Z' });
  t = process.hrtime.bigint();
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += reportRow(view(ps[i], i)).length;
  const reportMs = ms(t);

  const mb = (s: number) => (s / 1024 / 1024).toFixed(1);
  console.log(`${n.toLocaleString('en-US')} payments`);
  console.log(`  JSON ${mb(jsonText.length)} MiB: parse ${parseMs.toFixed(0)} ms, validate+hash ${jsonMs.toFixed(0)} ms (${rate(n, parseMs
    + jsonMs)})`);
  console.log(`  CSV  ${mb(csvText.length)} MiB: parse+validate+hash ${csvMs.toFixed(0)} ms (${rate(n, csvMs)})`);
  console.log(`  report.csv ${mb(bytes)} MiB of rows: ${reportMs.toFixed(0)} ms (${rate(n, reportMs)})`);
  console.log(`  RSS ${mb(process.memoryUsage().rss)} MiB`);
}

const sizes = process.argv.slice(2).map(Number).filter((x) => Number.isInteger(x) && x > 0);
void (async () => {
  for (const n of sizes.length ? sizes : [10_000, 100_000, 1_000_000]) await run(n);
})();
