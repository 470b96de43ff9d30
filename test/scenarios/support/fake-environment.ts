/**
 * A stand-in for the world and orchestrator that tests the runner itself: a PIL-compatible /disbursement that
 * "pays" each payee at once into in-memory payee ledgers, failing payees matched by a fault rule (an `error`, or a
 * `creditButReject` that credits the payee and still answers REJECTED), refusing a batch with a malformed identifier.
 */
import Hapi from '@hapi/hapi';
import { fromUnits, sumUnits, toUnits } from '../../../shared/money';
import type { Environment, EnvironmentFactory } from '../../../scenarios/environment';
import type { FaultRuleSpec } from '../../../scenarios/types';

export function fakeEnvironment(): EnvironmentFactory {
  return async (scenario) => {
    const fsps = (scenario.network?.payeeFsps ?? [{ id: 'payeefsp1' }, { id: 'payeefsp2' }]).map((f) => f.id);
    const ledgers = new Map<string, Map<string, bigint>>(fsps.map((f) => [f, new Map()]));
    let debited = 0n;
    const rules = new Map<string, FaultRuleSpec[]>();
    for (const f of scenario.network?.faults ?? []) rules.set(f.target, f.rules);
    const results = new Map<string, unknown>();
    const fspOf = (idValue: string): string | undefined => {
      const m = /^(?:2547(\d)|PF(\d)-)/.exec(idValue);
      const n = m ? m[1] ?? m[2] : undefined;
      return fsps.find((f) => f.endsWith(String(n)));
    };
    const server = Hapi.server({ port: 0, host: '127.0.0.1' });
    server.route({
      method: 'POST', path: '/disbursement',
      handler: (req, h) => {
        const body = req.payload as { disbursementId?: string; payeeList?: Array<{ payeeIdType: string; payeeIdValue: string;
          amount: number; currency: string }> };
        if (!body?.disbursementId || !Array.isArray(body.payeeList)) return h.response({ errorInformation:
          { errorCode: '3100', errorDescription: 'disbursementId and payeeList are required' } }).code(400);
        // A malformed identifier refuses the whole batch, as the orchestrator's intake does.
        if (body.payeeList.some((p) => /[^0-9A-Za-z-]|BAD/.test(p.payeeIdValue))) return h.response({ errorInformation:
          { errorCode: '3101', errorDescription: 'malformed payee identifier' } }).code(400);
        const prior = results.get(body.disbursementId);
        if (prior) return prior;
        const payeeResults = body.payeeList.map((p) => {
          const fsp = fspOf(p.payeeIdValue);
          const amount = String(p.amount);
          const rule = fsp ? (rules.get(fsp) ?? []).find((r) => !r.match?.partyId
            || new RegExp(String(r.match.partyId)).test(p.payeeIdValue)) : undefined;
          const l = fsp ? ledgers.get(fsp)! : undefined;
          const account = `${p.payeeIdType}:${p.payeeIdValue}`;
          const credit = () => { if (l && !l.has(account)) { l.set(account, toUnits(amount)); debited += toUnits(amount); } };
          // `creditButReject`: the money moves but the answer says it did not (what the ledger checks must catch).
          if (rule?.action.type === 'creditButReject') credit();
          if (!fsp || rule) return { ...p, amount, status: 'REJECTED', timestamp: new Date().toISOString(), errorCode: fsp
            ? String(rule?.action.errorCode ?? '5104') : '3204' };
          credit();
          return { ...p, amount, status: 'COMPLETED', amountCredited: amount, timestamp: new Date().toISOString() };
        });
        const res = { disbursementId: body.disbursementId, payeeResults };
        results.set(body.disbursementId, res);
        return res;
      },
    });
    server.route({ method: 'GET', path: '/disbursement/{id}', handler: (req, h) =>
      (results.get(String(req.params.id)) as object | undefined) ?? h.response({}).code(404) });
    await server.start();
    const url = `http://127.0.0.1:${server.info.port}`;
    const env: Environment = {
      orchestratorUrl: url,
      payeeFsps: fsps,
      setFaults: async (target, r) => { rules.set(target, r); },
      restartOrchestrator: async () => url,
      payeeLedger: async (f) => {
        const l = ledgers.get(f) ?? new Map<string, bigint>();
        return { fspId: f, committedCount: l.size, credited: fromUnits(sumUnits(l.values())), fees: '0', transferred:
          fromUnits(sumUnits(l.values())), balances: new Map([...l].map(([k, v]) => [k, fromUnits(v)])) };
      },
      payeeAccount: async () => undefined,
      treasury: async () => ({ debited: fromUnits(debited), source: 'fake' }),
      recentMessages: (needles) => needles.slice(0, 2).map((n) => `fake-switch PUT /transfers/error for ${n}`),
      stop: () => server.stop(),
    };
    return env;
  };
}
