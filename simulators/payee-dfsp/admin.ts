/**
 * The payee DFSP's admin API (JSON, not FSPIOP): read the ledger, reset it, add parties, switch the answering
 * mode. Small on purpose: tests and scenarios read credits here instead of trusting status fields.
 */
import type { Plugin, Request, ResponseToolkit } from '@hapi/hapi';
import type { PartyConfig } from './domain/directory';
import { transferView } from './domain/ledger';
import type { PayeeCore } from './domain/payee';

function bad(h: ResponseToolkit, code: string, message: string, status = 400) {
  return h.response({ error: { code, message } }).code(status);
}

export const payeeAdminPlugin: Plugin<{ core: PayeeCore }> = {
  name: 'gpo-payee-admin',
  register(server, { core }) {
    server.route([
      {
        method: 'GET',
        path: '/admin/ledger',
        handler: () => ({
          fspId: core.fspId,
          answeringMode: core.answeringMode,
          transfers: core.ledger.transferCount,
          accounts: core.ledger.accountCount,
          totals: core.ledger.summary(),
        }),
      },
      {
        method: 'GET',
        path: '/admin/ledger/accounts',
        handler: (req: Request, h) => {
          const offset = Number(req.query.offset ?? 0);
          const limit = Number(req.query.limit ?? 1000);
          if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 1 || limit > 10_000) {
            return bad(h, 'INVALID_PAGE', 'offset must be >= 0 and limit 1..10000');
          }
          return { offset, limit, accounts: core.ledger.accounts(offset, limit) };
        },
      },
      {
        method: 'GET',
        path: '/admin/ledger/accounts/{account}',
        handler: (req: Request) => ({ account: req.params.account, balances: core.ledger.balancesOf(String(req.params.account)) }),
      },
      {
        method: 'GET',
        path: '/admin/ledger/transfers/{transferId}',
        handler: (req: Request, h) => {
          const r = core.ledger.get(String(req.params.transferId));
          return r ? transferView(r) : bad(h, 'TRANSFER_NOT_FOUND', `no transfer ${req.params.transferId}`, 404);
        },
      },
      {
        method: 'POST',
        path: '/admin/ledger/reset',
        handler: (_req, h) => {
          core.reset();
          return h.response().code(204);
        },
      },
      {
        method: 'GET',
        path: '/admin/parties',
        handler: () => ({
          parties: core.directory.listExplicit().map((p) => ({ ...p, currencies: [...p.currencies] })),
          rules: core.directory.generatorRules,
        }),
      },
      {
        method: 'GET',
        path: '/admin/parties/{idType}/{idValue}',
        handler: (req: Request, h) => {
          const p = core.directory.lookup(String(req.params.idType), String(req.params.idValue));
          if (!p) return bad(h, 'PARTY_NOT_FOUND', 'no such party', 404);
          return { ...p, currencies: [...p.currencies], balances: core.ledger.balancesOf(p.account) };
        },
      },
      {
        method: 'POST',
        path: '/admin/parties',
        handler: (req: Request, h) => {
          const body = req.payload as { parties?: PartyConfig[] } | null;
          const list = body?.parties;
          if (!Array.isArray(list) || list.length === 0) return bad(h, 'INVALID_PARTIES', 'expected {parties:[{idType, idValue, ...}]}');
          for (const p of list) {
            if (!p || typeof p.idType !== 'string' || typeof p.idValue !== 'string' || !p.idType || !p.idValue) {
              return bad(h, 'INVALID_PARTY', 'every party needs idType and idValue strings');
            }
          }
          for (const p of list) core.directory.add(p);
          return h.response({ added: list.length }).code(201);
        },
      },
      {
        method: 'PUT',
        path: '/admin/answering-mode',
        handler: (req: Request, h) => {
          const mode = (req.payload as { mode?: string } | null)?.mode;
          if (mode !== 'COMMITTED' && mode !== 'RESERVED') return bad(h, 'INVALID_MODE', 'mode must be COMMITTED or RESERVED');
          core.answeringMode = mode;
          return { mode };
        },
      },
    ]);
  },
};
