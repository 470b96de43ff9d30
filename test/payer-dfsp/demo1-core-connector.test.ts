/**
 * Demo #1's core-connector (spdci/mojaloop-g2p-poc-demo, mojaloop/payment-manager/core-connector) as a client of the
 * treasury bank `govbank`: its exact `POST /transfers` body, with the same homeTransactionId "abc123" on every
 * transfer, one payee at a time, the SDK auto-accepting (its sdk_scheme_adapter.env). Twenty payees of an OpenG2P
 * disbursement (two unknown) are paid, then a second identical cycle pays them again: as with the real SDK, every
 * POST is a new transfer, never an earlier one handed back.
 */
import { strict as assert } from 'node:assert';
import { request } from 'undici';
import { toUnits } from '../../shared/money';
import { readPayeeLedger } from '../../scenarios/environment';
import { defaultWorldConfig, startWorld, type World } from '../../simulators/world';
import { ledgerTotals, payee } from '../orchestrator/support/world';

/** What the core-connector's sdk-utils sends for one payment (homeTransactionId is a constant there). */
function coreConnectorTransfer(payeeIdValue: string, amount: string): Record<string, unknown> {
  return {
    homeTransactionId: 'abc123',
    from: { idType: 'MSISDN', idValue: '9876543210', displayName: 'Government' },
    to: { idType: 'MSISDN', idValue: payeeIdValue },
    amountType: 'SEND', currency: 'USD', amount, transactionType: 'TRANSFER', note: 'string',
  };
}

describe('demo #1\'s core-connector requests through govbank (same homeTransactionId on every POST)', function () {
  this.timeout(60_000);
  let world: World;
  const payees = Array.from({ length: 20 }, (_, i) => ({
    idValue: i === 7 || i === 15 ? `25479${String(100 + i).padStart(7, '0')}` : payee(((i % 2) + 1) as 1 | 2, 500 + i),
    amount: String(100 + i), known: i !== 7 && i !== 15,
  }));

  before(async () => {
    world = await startWorld({ ...defaultWorldConfig(), ports: 'random', seed: 21, pil: false });
  });
  after(async () => world?.stop());

  async function cycle(): Promise<Array<{ status: number; body: Record<string, unknown> }>> {
    const out: Array<{ status: number; body: Record<string, unknown> }> = [];
    for (const p of payees) {
      const res = await request(`${world.urls.payerOutbound}/transfers`, {
        method: 'POST', body: JSON.stringify(coreConnectorTransfer(p.idValue, p.amount)), headers: { 'content-type': 'application/json' },
      });
      out.push({ status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> });
    }
    return out;
  }

  it('pays every known payee once per cycle and fails the unknown ones, twice over', async () => {
    const seen = new Set<string>();
    for (let round = 1; round <= 2; round++) {
      const answers = await cycle();
      answers.forEach((a, i) => {
        if (payees[i].known) {
          assert.equal(a.status, 200, JSON.stringify(a.body).slice(0, 300));
          assert.equal(a.body.currentState, 'COMPLETED');
          assert.equal(a.body.homeTransactionId, 'abc123');
          const id = String(a.body.transferId);
          assert.ok(!seen.has(id), 'a new transfer id for every POST');
          seen.add(id);
        } else {
          assert.equal(a.status, 500);
          const state = a.body.transferState as { currentState: string;
            lastError: { mojaloopError: { errorInformation: { errorCode: string } } } };
          assert.equal(state.currentState, 'ERROR_OCCURRED');
          assert.equal(state.lastError.mojaloopError.errorInformation.errorCode, '3204');
        }
      });
      const t = ledgerTotals(await Promise.all(['payeefsp1', 'payeefsp2'].map((id) => readPayeeLedger(world.urls[id], id, 'USD'))));
      assert.equal(t.count, 18 * round, `cycle ${round}: committed transfers`);
      for (const p of payees) {
        assert.equal(t.balances.get(`MSISDN:${p.idValue}`), p.known ? toUnits(p.amount) * BigInt(round) : undefined,
          `payee ${p.idValue} after cycle ${round}`);
      }
    }
  });
});
