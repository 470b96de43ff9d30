/**
 * Sponsor-bank simulator in the shape of OpenG2P's example bank (openg2p-g2p-bridge-example-bank): the bank that
 * holds a benefit program's account and pays its beneficiaries.
 *   POST /check_funds                {account_number, account_currency, total_funds_needed}
 *   POST /block_funds                {account_number, currency, amount}            -> block_reference_no
 *   POST /initiate_payment           [{payment_reference_number, remitting_account, ..., funds_blocked_reference_number}]
 *   POST /generate_account_statement {program_account_number}                      -> account_statement_id
 * Extensions (not in the example bank, named so): GET /account_statement/{id}?format=mt940|camt.053,
 * POST /release_funds, GET /payments/{reference}, GET /accounts/{number}; admin: POST /admin/process,
 * POST /admin/reversals, PUT /admin/reversal-rules, GET|PUT|PATCH /admin/rules; GET /health, GET /metrics.
 * Payments are taken whole or refused whole, booked later (`processingDelayMs`, or on POST /admin/process), and may
 * be reversed later still with a reason (`reversalDelayMs`). Amounts: decimal strings, or JSON numbers converted
 * exactly (the example bank's clients send floats); never float arithmetic.
 */
import Hapi from '@hapi/hapi';
import type { Logger } from 'pino';
import { SeededRandom } from '../../shared/ids';
import { componentLogger, maskId } from '../../shared/logger';
import { amountFromJsonNumber, fitsCurrency, formatFixed, MoneyError, toUnits } from '../../shared/money';
import { DEFAULT_PORTS, type RunningServer } from '../../shared/server';
import { serveSimulatorMetrics } from '../metrics';
import { callbackDelay, FaultRules, ruleAdminRoutes, type FaultRule } from '../rules';
import { BankError, REVERSAL_REASONS, SponsorBankLedger, type AccountConfig, type AccountType, type PaymentInstruction, type ReversalReason,
  type ReversalRule } from './ledger';
import { writeCamt053, writeMt940 } from './statements';

export * from './ledger';
export { writeCamt053, writeMt940, ISO_RETURN_REASON } from './statements';

export const SPONSOR_BANK_DEFAULT_PORT = DEFAULT_PORTS.sponsorBank;

export interface SponsorBankOptions {
  port?: number;
  host?: string;
  /** This bank's code: a bank-account payment with this bank code is credited intra-bank (default `sponsorbank`). */
  bankCode?: string;
  /** Accounts at start; default one program account `PRG-0001` holding 1,000,000,000 USD. Balances are decimal strings. */
  accounts?: Array<Omit<AccountConfig, 'balance'> & { balance?: string }>;
  /** Customer accounts that exist without being listed (regex, default `^SB-[0-9]{1,12}$`); others at this bank are not found. */
  customerPattern?: string;
  /** Refuse a payment_reference_number seen before (default false: the example bank books it again). */
  refuseDuplicateReferences?: boolean;
  /** Delay before an accepted batch is booked (default 0 ms); `manual`: only on POST /admin/process. */
  processingDelayMs?: number | 'manual';
  /** Delay between booking a payment and reversing it, when a rule or the account's status says so (default 0 ms). */
  reversalDelayMs?: number;
  reversalRules?: ReversalRule[];
  faultRules?: FaultRule[];
  seed?: number;
  logger?: Logger;
}

export interface RunningSponsorBank extends RunningServer {
  readonly ledger: SponsorBankLedger;
  readonly faults: FaultRules;
  /** Books every accepted batch not booked yet; resolves when they and their reversals are booked. */
  processNow(): Promise<void>;
  /** Resolves when no booking or reversal is scheduled. */
  idle(): Promise<void>;
}

class InvalidRequest extends Error {
  constructor(readonly loc: Array<string | number>, message: string) {
    super(message);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function str(body: Record<string, unknown>, key: string, loc: Array<string | number>, optional = false): string {
  const v = body[key];
  if (v === undefined || v === null) {
    if (optional) return '';
    throw new InvalidRequest([...loc, key], 'field required');
  }
  if (typeof v !== 'string') throw new InvalidRequest([...loc, key], 'must be a string');
  if (v.length > 256) throw new InvalidRequest([...loc, key], 'at most 256 characters');
  return v;
}

/** An amount as a decimal string or a JSON number, exactly, positive and within the currency's decimals. */
function money(body: Record<string, unknown>, key: string, currency: string, loc: Array<string | number>): bigint {
  const v = body[key];
  let text: string;
  try {
    text = typeof v === 'number' ? amountFromJsonNumber(v) : typeof v === 'string' ? v : '';
    const units = toUnits(text);
    if (units <= 0n) throw new InvalidRequest([...loc, key], 'must be more than 0');
    if (!fitsCurrency(text, currency)) throw new InvalidRequest([...loc, key], `more decimals than ${currency} has`);
    return units;
  } catch (err) {
    if (err instanceof InvalidRequest) throw err;
    if (err instanceof MoneyError) throw new InvalidRequest([...loc, key], 'must be a decimal amount');
    throw err;
  }
}

export async function startSponsorBank(opts: SponsorBankOptions = {}): Promise<RunningSponsorBank> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.logger ?? componentLogger('sponsor-bank');
  const bankCode = opts.bankCode ?? 'sponsorbank';
  const random = new SeededRandom(opts.seed ?? 1);
  const accounts = (opts.accounts ?? [{ number: 'PRG-0001', currency: 'USD', balance: '1000000000', holder:
    'Ministry of Social Protection - Cash Transfer Program' }])
    .map((a) => ({ ...a, balance: toUnits(a.balance ?? '0') }));
  const ledger = new SponsorBankLedger(bankCode, accounts, random, opts.customerPattern, opts.refuseDuplicateReferences ?? false);
  ledger.setReversalRules(opts.reversalRules ?? []);
  const faults = new FaultRules(opts.faultRules ?? [], opts.seed ?? 1);
  const processingDelay = opts.processingDelayMs ?? 0;
  const reversalDelay = opts.reversalDelayMs ?? 0;
  const scheduled = new Set<NodeJS.Timeout>();
  const waiters: Array<() => void> = [];
  let stopped = false;

  const now = () => new Date().toISOString();
  const settleIfIdle = () => {
    if (scheduled.size === 0) waiters.splice(0).forEach((w) => w());
  };
  function later(ms: number, fn: () => void): void {
    if (stopped) return;
    const t = setTimeout(() => {
      scheduled.delete(t);
      if (!stopped) fn();
      settleIfIdle();
    }, ms);
    scheduled.add(t);
  }

  function process(batchId: string): void {
    const reversals = ledger.processBatch(batchId, now());
    log.info({ batchId, reversals: reversals.length }, 'sponsor bank booked a payment batch');
    for (const r of reversals) {
      later(reversalDelay, () => {
        try {
          ledger.reverse(r.reference, r.reason, now());
          log.info({ reference: r.reference, reason: r.reason }, 'payment reversed');
        } catch (err) {
          log.warn({ reference: r.reference, err: (err as Error).message }, 'reversal not booked');
        }
      });
    }
  }

  const failed = (code: string, message: string, extra: Record<string, unknown> = {}) =>
    ({ status: 'failed', ...extra, error_code: code, error_message: message });
  const invalid = (h: Hapi.ResponseToolkit, err: InvalidRequest) => h.response({ ...failed('INVALID_REQUEST', err.message), detail:
    [{ loc: ['body', ...err.loc], msg: err.message, type: 'value_error' }] }).code(422);

  /** Fault rules for one operation; answers instead of the bank when a rule says so. */
  async function faultAnswer(req: Hapi.Request, h: Hapi.ResponseToolkit, resource: string, extra: Record<string, unknown> = {}) {
    const actions = faults.evaluate({ resource, method: 'POST' });
    const wait = callbackDelay(actions);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const status = actions.find((a) => a.type === 'httpStatus');
    if (status && status.type === 'httpStatus') return h.response({ detail: 'injected by a sponsor bank fault rule' }).code(status.status);
    if (actions.some((a) => a.type === 'dropConnection')) {
      req.raw.req.socket.destroy();
      return h.abandon;
    }
    const error = actions.find((a) => a.type === 'error');
    if (error && error.type === 'error') return failed(error.errorCode, error.errorDescription ?? 'injected by a sponsor bank fault rule',
      extra);
    return undefined;
  }

  /** Runs a handler that may throw InvalidRequest (422) or BankError (200, status failed). */
  async function answer(h: Hapi.ResponseToolkit, extra: Record<string, unknown>, fn: () => unknown) {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof InvalidRequest) return invalid(h, err);
      if (err instanceof BankError) return failed(err.code, err.message, extra);
      throw err;
    }
  }

  const server = Hapi.server({ port: opts.port ?? SPONSOR_BANK_DEFAULT_PORT, host, routes: { payload: { maxBytes: 50 * 1024 * 1024 } } });
  serveSimulatorMetrics('sponsor-bank', [[server, 'sponsor-bank']]);
  const badJson = {
    failAction: (_req: Hapi.Request, h: Hapi.ResponseToolkit, err?: Error) =>
      h.response({ ...failed('INVALID_REQUEST', `the body is not valid JSON: ${err?.message ?? ''}`.slice(0, 300)), detail:
        [] }).code(422).takeover(),
  };
  const body = (req: Hapi.Request): Record<string, unknown> => {
    if (!isObject(req.payload)) throw new InvalidRequest([], 'expected a JSON object');
    return req.payload;
  };

  server.route({ method: 'GET', path: '/health', handler: () => ({ status: 'UP', bankCode, accounts: ledger.accounts.size, scheduled:
    scheduled.size }) });

  server.route({
    method: 'POST', path: '/check_funds', options: { payload: badJson },
    handler: async (req, h) => (await faultAnswer(req, h, 'check_funds', { has_sufficient_funds: false }))
      ?? answer(h, { account_number: '', has_sufficient_funds: false }, () => {
      const b = body(req);
      const account = str(b, 'account_number', []);
      const currency = str(b, 'account_currency', []);
      const needed = money(b, 'total_funds_needed', currency, []);
      const ok = ledger.checkFunds(account, currency, needed);
      return ok
        ? { status: 'success', account_number: account, has_sufficient_funds: true, error_message: '' }
        : failed('INSUFFICIENT_FUNDS', 'Insufficient funds', { account_number: account, has_sufficient_funds: false });
    }),
  });

  server.route({
    method: 'POST', path: '/block_funds', options: { payload: badJson },
    handler: async (req, h) => (await faultAnswer(req, h, 'block_funds', { block_reference_no: '' }))
      ?? answer(h, { block_reference_no: '' }, () => {
      const b = body(req);
      const currency = str(b, 'currency', []);
      const hold = ledger.blockFunds(str(b, 'account_number', []), currency, money(b, 'amount', currency, []));
      log.info({ account: hold.account, amount: formatFixed(hold.amount, currency), block: hold.reference }, 'funds blocked');
      return { status: 'success', block_reference_no: hold.reference, error_message: '' };
    }),
  });

  server.route({
    method: 'POST', path: '/release_funds', options: { payload: badJson },
    handler: (req, h) => answer(h, {}, () => {
      const b = body(req);
      const hold = ledger.holds.get(str(b, 'block_reference_no', []));
      const amount = b.amount === undefined ? undefined : money(b, 'amount', hold?.currency ?? 'USD', []);
      const h2 = ledger.releaseFunds(str(b, 'block_reference_no', []), amount);
      return { status: 'success', block_reference_no: h2.reference, remaining: formatFixed(h2.amount - h2.used, h2.currency), error_message:
        '' };
    }),
  });

  server.route({
    method: 'POST', path: '/initiate_payment', options: { payload: badJson },
    handler: async (req, h) => (await faultAnswer(req, h, 'initiate_payment')) ?? answer(h, {}, () => {
      if (!Array.isArray(req.payload) || req.payload.length === 0) throw new InvalidRequest([], 'expected a non-empty list of payments');
      const batch: PaymentInstruction[] = req.payload.map((raw, i): PaymentInstruction => {
        if (!isObject(raw)) throw new InvalidRequest([i], 'expected an object');
        const loc = [i];
        const currency = str(raw, 'remitting_account_currency', loc);
        const type = str(raw, 'beneficiary_account_type', loc);
        if (type !== 'BANK_ACCOUNT' && type !== 'MOBILE_WALLET' && type !== 'EMAIL_WALLET') throw new InvalidRequest([i,
          'beneficiary_account_type'], 'must be BANK_ACCOUNT, MOBILE_WALLET or EMAIL_WALLET');
        const p: PaymentInstruction = {
          reference: str(raw, 'payment_reference_number', loc), remittingAccount: str(raw, 'remitting_account', loc), currency,
          amount: money(raw, 'payment_amount', currency, loc), holdReference: str(raw, 'funds_blocked_reference_number', loc),
          beneficiaryName: str(raw, 'beneficiary_name', loc), beneficiaryAccount: str(raw, 'beneficiary_account', loc),
          beneficiaryAccountCurrency: str(raw, 'beneficiary_account_currency', loc), beneficiaryAccountType: type as AccountType,
          bankCode: str(raw, 'beneficiary_bank_code', loc), branchCode: str(raw, 'beneficiary_branch_code', loc),
          narratives: [1, 2, 3, 4, 5, 6].map((n) => str(raw, `narrative_${n}`, loc, true)),
          paymentDate: str(raw, 'payment_date', loc),
        };
        const opt = (k: string) => str(raw, k, loc, true) || undefined;
        const wallet = opt('beneficiary_mobile_wallet_provider');
        if (wallet) p.walletProvider = wallet;
        const phone = opt('beneficiary_phone_no');
        if (phone) p.phone = phone;
        const email = opt('beneficiary_email');
        if (email) p.email = email;
        const emailWallet = opt('beneficiary_email_wallet_provider');
        if (emailWallet) p.emailWalletProvider = emailWallet;
        if (!p.reference) throw new InvalidRequest([i, 'payment_reference_number'], 'must not be empty');
        if (type === 'MOBILE_WALLET' && !p.walletProvider) throw new InvalidRequest([i, 'beneficiary_mobile_wallet_provider'],
          'required for a MOBILE_WALLET');
        if (type === 'EMAIL_WALLET' && !p.emailWalletProvider) throw new InvalidRequest([i, 'beneficiary_email_wallet_provider'],
          'required for an EMAIL_WALLET');
        return p;
      });
      const batchId = ledger.acceptPayments(batch);
      log.info({ batchId, payments: batch.length, first: maskId(batch[0].beneficiaryAccount) }, 'payment batch accepted');
      if (processingDelay !== 'manual') later(processingDelay, () => process(batchId));
      return { status: 'success', error_message: '' };
    }),
  });

  server.route({
    method: 'POST', path: '/generate_account_statement', options: { payload: badJson },
    handler: async (req, h) => (await faultAnswer(req, h, 'generate_account_statement')) ?? answer(h, {}, () => {
      const s = ledger.statement(str(body(req), 'program_account_number', []), now());
      log.info({ statementId: s.id, account: s.account, entries: s.entries.length }, 'account statement generated');
      return { status: 'success', account_statement_id: s.id, error_message: '' };
    }),
  });

  server.route({
    method: 'GET', path: '/account_statement/{id}',
    handler: (req, h) => {
      const s = ledger.statements.get(String(req.params.id));
      if (!s) return h.response(failed('STATEMENT_NOT_FOUND', `no statement ${String(req.params.id).slice(0, 40)}`)).code(404);
      const format = String(req.query.format ?? 'mt940');
      if (format === 'mt940') return h.response(writeMt940(s)).type('text/plain; charset=utf-8');
      if (format === 'camt.053' || format === 'camt053') return h.response(writeCamt053(s,
        bankCode)).type('application/xml; charset=utf-8');
      return h.response(failed('INVALID_REQUEST', 'format must be mt940 or camt.053')).code(422);
    },
  });

  server.route({
    method: 'GET', path: '/payments/{reference}',
    handler: (req, h) => {
      const p = ledger.payments.get(String(req.params.reference));
      if (!p) return h.response(failed('PAYMENT_NOT_FOUND', 'no such payment')).code(404);
      return { payment_reference_number: p.instruction.reference, status: p.status, amount:
        formatFixed(p.instruction.amount, p.instruction.currency), credit_account: p.creditAccount ?? null, reversal_reason: p.reason
          ?? null };
    },
  });

  const accountView = (number: string) => {
    const a = ledger.accounts.get(number);
    return a && { account_number: a.number, currency: a.currency, holder: a.holder, status: a.status, book_balance:
      formatFixed(a.book, a.currency), blocked_amount: formatFixed(a.blocked, a.currency), available_balance:
        formatFixed(ledger.available(a), a.currency) };
  };
  server.route({
    method: 'GET', path: '/accounts/{number}',
    handler: (req, h) => accountView(String(req.params.number)) ?? h.response(failed('ACCOUNT_NOT_FOUND', 'Account not found')).code(404),
  });

  server.route([
    { method: 'GET', path: '/admin/accounts', handler: () => ({ accounts: [...ledger.accounts.keys()].map(accountView) }) },
    {
      method: 'POST', path: '/admin/process',
      handler: async () => {
        await processNow();
        return { status: 'success' };
      },
    },
    {
      method: 'POST', path: '/admin/reversals',
      handler: (req, h) => answer(h, {}, () => {
        const b = body(req);
        const reason = str(b, 'reason', []) as ReversalReason;
        if (!REVERSAL_REASONS.includes(reason)) throw new InvalidRequest(['reason'], `must be one of ${REVERSAL_REASONS.join(', ')}`);
        const rec = ledger.reverse(str(b, 'payment_reference_number', []), reason, now());
        return { status: 'success', payment_reference_number: rec.instruction.reference, reversal_reason: rec.reason };
      }),
    },
    {
      method: 'PUT', path: '/admin/reversal-rules',
      handler: (req, h) => answer(h, {}, () => {
        const rules = isObject(req.payload) ? req.payload.rules : undefined;
        if (!Array.isArray(rules)) throw new InvalidRequest(['rules'], 'expected {rules: [{match, reason}]}');
        ledger.setReversalRules(rules as ReversalRule[]);
        return { status: 'success', rules };
      }),
    },
    ...ruleAdminRoutes(faults),
  ]);

  async function processNow(): Promise<void> {
    for (const b of ledger.batches.values()) if (b.status === 'PENDING') process(b.id);
    await idle();
  }
  function idle(): Promise<void> {
    if (scheduled.size === 0) return Promise.resolve();
    return new Promise((resolve) => waiters.push(resolve));
  }

  await server.start();
  const port = server.info.port as number;
  log.info({ port, bankCode, accounts: ledger.accounts.size }, 'sponsor bank simulator listening');
  return {
    name: 'sponsor-bank',
    url: `http://${host}:${port}`,
    port,
    ledger,
    faults,
    processNow,
    idle,
    stop: async () => {
      stopped = true;
      for (const t of scheduled) clearTimeout(t);
      scheduled.clear();
      settleIfIdle();
      await server.stop({ timeout: 1000 });
    },
  };
}
