/**
 * The scenario runner: each scenario in a fresh world (random free ports, so several can run at once), the cycle
 * played by the OpenG2P side step by step with timings, then OpenG2P's view and the ledgers compared with the
 * expectations. A failure says what differs and names the payments concerned, with their last FSPIOP messages.
 */
import { request } from 'undici';
import { fromUnits, sumUnits, toUnits } from '../shared/money';
import { maskId } from '../shared/logger';
import { signG2pMessage } from '../shared/g2p-jws';
import { generateRegistrants, OpenG2p, Registrant, startOpenG2p, Cycle, Payment, PaymentBatch } from '../simulators/openg2p';
import { loadScenario, parseDuration, ScenarioError, stepName } from './parse';
import { Environment, EnvironmentFactory, EnvironmentUnavailable, inProcessEnvironment } from './environment';
import type { Expectations, OrchestratorSpec, Scenario, ScenarioStep, Total } from './types';
import { isInDoubtCode } from '../shared/fspiop-errors';

export interface StepResult {
  name: string;
  ms: number;
  ok: boolean;
  detail?: string;
}

export interface Mismatch {
  path: string;
  expected: unknown;
  actual: unknown;
  /** Payments concerned, one line each. */
  payments?: string[];
}

export interface ActualOutcome {
  paid: Counted;
  failed: Counted;
  pending: Counted;
  cancelled: Counted;
  inDoubt: Counted;
  refused: Counted;
  notSent: number;
  byErrorCode: Record<string, number>;
  byFsp: Record<string, { paid: number; failed: number; credited: Counted }>;
  ledgers: { credited: Counted; fees: string; treasuryDebited?: string; treasurySource?: string; unmatched: string[];
    extraCredits: string[] };
  sends: { accepted: number; rejected: number };
  notifications: { received: number; duplicates: number };
  /** From the first send to the last payment reconciled, ms. */
  finalMs?: number;
}

/** A count and an amount, as measured. */
export interface Counted { count: number; amount: string }

export interface RunResult {
  label: string;
  ok: boolean;
  steps: StepResult[];
  mismatches: Mismatch[];
  actual?: ActualOutcome;
  error?: string;
  /** Time from the first send until every payment was reconciled. */
  cycleMs?: number;
  messages: string[];
  /** OpenG2P's view beside the ledgers', for reports. */
  table?: ReconciliationRow[];
}

export interface ScenarioResult {
  file: string;
  name: string;
  ok: boolean;
  /** Not run: the world or orchestrator is missing. */
  unavailable?: string;
  ms: number;
  runs: RunResult[];
}

export interface ReconciliationRow {
  fsp: string;
  openg2pPaid: Counted;
  openg2pFailed: Counted;
  ledgerCredited: Counted;
  fees: string;
}

export type ProgressEvent =
  | { type: 'scenario-start'; file: string; name: string }
  | { type: 'step'; file: string; name: string; step: StepResult; index: number; total: number }
  /** Every second while a cycle runs: how many of its payments OpenG2P has seen final. */
  | { type: 'payments'; file: string; name: string; final: number; total: number; elapsedMs: number }
  | { type: 'scenario-end'; result: ScenarioResult };

export interface RunOptions {
  seed?: number;
  keepGoing?: boolean;
  /** Scenarios run at once (each in its own world). */
  parallel?: number;
  environment?: EnvironmentFactory;
  onProgress?: (e: ProgressEvent) => void;
}

/** The ledger checks every scenario gets unless it sets one to false. */
export const LEDGER_CHECKS = { eachTransferCreditedOnce: true, matchesOpenG2p: true, treasuryDebitedEqualsCreditedPlusFees: true } as const;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function total(units: bigint[]): Counted {
  return { count: units.length, amount: fromUnits(sumUnits(units)) };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

export function buildRegistrants(s: Scenario, seed: number): Registrant[] {
  const out: Registrant[] = [];
  (s.registrants.list ?? []).forEach((r, i) => out.push({
    id: r.id ?? `LIST-${String(i + 1).padStart(5, '0')}`,
    name: r.name ?? `Registrant ${i + 1}`,
    idType: r.idType,
    idValue: r.idValue,
    fsp: r.fsp,
    kind: 'ok',
    age: r.age ?? 30,
    householdSize: r.householdSize ?? 1,
    region: r.region ?? 'north',
  }));
  if (s.registrants.generate) out.push(...generateRegistrants(s.registrants.generate, seed));
  return out;
}

function describePayment(p: Payment): string {
  const r = p.registrant;
  return `${r.id} ${r.idType} ${maskId(r.idValue)}${r.fsp ? ` @${r.fsp}` : ''} ${p.amount} ${p.currency}: ${p.state}${p.status
    ? `/${p.status}` : ''}${p.managerStatus ? ` (${p.managerStatus}${p.errorCode ? ` ${p.errorCode}` : ''})`
      : ''} ref ${p.reference} batch ${p.batchId}`;
}

class CycleRun {
  g2p!: OpenG2p;
  cycle?: Cycle;
  registrants: Registrant[] = [];
  background: Array<Promise<unknown>> = [];
  sends = { accepted: 0, rejected: 0 };
  firstSendAt?: number;
  finalAt?: number;
  timers: NodeJS.Timeout[] = [];
  stepErrors: string[] = [];

  constructor(readonly s: Scenario, readonly env: Environment, readonly seed: number, readonly deadline: number) {}

  need(): Cycle {
    if (!this.cycle) throw new Error('no cycle yet: add createCycle (or cycle) before this step');
    return this.cycle;
  }

  async credited(): Promise<number> {
    let n = 0;
    for (const f of this.env.payeeFsps) n += (await this.env.payeeLedger(f)).committedCount;
    return n;
  }

  async waitCredited(n: number, timeoutMs: number): Promise<void> {
    const until = Math.min(this.deadline, Date.now() + timeoutMs);
    for (;;) {
      const c = await this.credited();
      if (c >= n) return;
      if (Date.now() > until) throw new Error(`only ${c} of ${n} transfers credited in time`);
      await sleep(25);
    }
  }

  async send(opts: { batches?: number[]; resend?: boolean; concurrency?: number; background?: boolean }): Promise<string> {
    const cycle = this.need();
    const batches = opts.batches?.map((n) => {
      const b = cycle.batches[n - 1];
      if (!b) throw new Error(`there is no batch ${n} (the cycle has ${cycle.batches.length})`);
      return b;
    });
    this.firstSendAt ??= Date.now();
    const p = this.g2p.sendPayments(cycle, { batches, resend: opts.resend, concurrency: opts.concurrency }).then((outs) => {
      for (const o of outs) if (o.accepted) this.sends.accepted++; else this.sends.rejected++;
      return outs;
    });
    if (opts.background) {
      this.background.push(p);
      return 'in background';
    }
    const outs = await p;
    const rejected = outs.filter((o) => !o.accepted);
    return `${outs.length} batch(es) sent, ${rejected.length} refused${rejected.length ? `: ${rejected[0].error}` : ''}`;
  }

  async reconcile(timeoutMs: number): Promise<string> {
    await Promise.all(this.background.splice(0));
    if (!this.cycle) return 'no cycle: nothing to reconcile';
    const cycle = this.cycle;
    const done = await this.g2p.reconcile(cycle, Math.max(0, Math.min(timeoutMs, this.deadline - Date.now())));
    if (done) this.finalAt ??= Date.now();
    const s = cycle.summary();
    return `${s.paid.count} paid, ${s.failed.count} failed, ${s.pending.count} pending${done ? '' : ' (not all final in time)'}`;
  }

  async step(step: ScenarioStep): Promise<string | undefined> {
    const name = stepName(step);
    const arg = typeof step === 'string' ? null : (step as Record<string, unknown>)[name];
    const o = (arg ?? {}) as Record<string, unknown>;
    switch (name) {
      case 'cycle':
        await this.step('enrol'); await this.step('createCycle'); await this.step('createEntitlements');
        await this.step('approveEntitlements'); await this.step('approveCycle');
        return this.step('preparePayments');
      case 'enrol': {
        this.registrants = buildRegistrants(this.s, this.seed);
        const [yes, no] = this.g2p.enrol(this.registrants);
        return `${yes} enrolled, ${no} not eligible`;
      }
      case 'createCycle': this.cycle = this.g2p.createCycle(); return `cycle ${this.cycle.id}`;
      case 'createEntitlements': return `${this.need().createEntitlements().length} entitlements`;
      case 'approveEntitlements': return `${this.need().approveEntitlements()} approved`;
      case 'approveCycle': this.need().approve(); return 'approved';
      case 'preparePayments': {
        const b = this.need().preparePayments(this.g2p.rnd);
        return `${b.reduce((n, x) => n + x.payments.length, 0)} payments in ${b.length} batch(es)`;
      }
      case 'sendPayments': return this.send(o as { batches?: number[]; resend?: boolean; concurrency?: number; background?: boolean });
      case 'reconcile': return this.reconcile(parseDuration(o.timeout as string | number | undefined, 60_000));
      case 'cancel': {
        if (typeof o.afterCompleted === 'number') await this.waitCredited(o.afterCompleted, this.deadline - Date.now());
        const r = await this.g2p.cancel(this.need());
        return `${r.filter((x) => x.accepted).length} of ${r.length} batch(es) cancelled${r.find((x) => !x.accepted)?.error
          ? `; ${r.find((x) => !x.accepted)?.error}` : ''}`;
      }
      case 'restartOrchestrator': {
        if (typeof o.afterCompleted === 'number') await this.waitCredited(o.afterCompleted, this.deadline - Date.now());
        const url = await this.env.restartOrchestrator();
        this.g2p.setOrchestratorUrl(url);
        return `restarted at ${url}`;
      }
      case 'setFaults': {
        const f = arg as { target: string; rules: [] };
        await this.env.setFaults(f.target, f.rules);
        return `${f.rules.length} rule(s) on ${f.target}`;
      }
      case 'waitFor': {
        const w = arg as { credited: number; timeout?: string | number };
        await this.waitCredited(w.credited, parseDuration(w.timeout, 30_000));
        return `${w.credited} credited`;
      }
      case 'pause': await sleep(parseDuration(arg as string | number, 0)); return undefined;
      case 'post': {
        const p = arg as { path: string; contentType?: string; body: unknown; expectStatus?: number; expectBodyContains?: string };
        const creds = this.env.openG2p;
        let body = typeof p.body === 'string' ? p.body : JSON.stringify(p.body);
        const headers: Record<string, string> = { 'content-type': p.contentType ?? 'application/json',
          ...(creds?.apiKey ? { authorization: `Bearer ${creds.apiKey}` } : {}) };
        // A G2P Connect message is posted as OpenG2P sends it: signed (its content may still be wrong on purpose).
        const envelope = p.path.startsWith('/disburse') && creds?.signingKey ? parseObject(body) : undefined;
        if (envelope && creds?.signingKey) {
          const signed = await signG2pMessage(creds.signingKey, { header: envelope.header, message: envelope.message });
          body = signed.body;
          Object.assign(headers, signed.headers);
        }
        const res = await request(this.env.orchestratorUrl + p.path, { method: 'POST', body, headers });
        const text = await res.body.text();
        if (p.expectStatus !== undefined
          && res.statusCode !== p.expectStatus) throw new Error(`POST ${p.path}: expected HTTP ${p.expectStatus}, got ${res.statusCode}: ` +
            `${text.slice(0, 300)}`);
        if (p.expectBodyContains
          && !text.includes(p.expectBodyContains)) throw new Error(`POST ${p.path}: the answer does not contain ` +
            `${JSON.stringify(p.expectBodyContains)}: ${text.slice(0, 300)}`);
        return `HTTP ${res.statusCode} ${text.slice(0, 120)}`;
      }
      default: throw new Error(`unknown step ${name}`);
    }
  }
}

/** Cancelled by the orchestrator before it was sent (OpenG2P records it as failed). */
function isCancelled(p: Payment): boolean {
  return p.status === 'failed' && p.managerStatus === 'CANCELLED';
}

/** The orchestrator could not tell whether the transfer went through (2004 after it may have been sent). */
function isInDoubt(p: Payment): boolean {
  return p.status !== 'paid' && isInDoubtCode(p.errorCode);
}

/** Refused at intake: a 4xx answer, or a G2P Connect NACK; a timeout or a 5xx is a failed hand-over, not a refusal. */
function wasRefused(b: PaymentBatch): boolean {
  return b.state === 'send_failed' && /^HTTP (4\d\d\b|\d{3} NACK\b)/.test(b.sendError ?? '');
}

async function observe(run: CycleRun, currency: string): Promise<{ actual: ActualOutcome; table: ReconciliationRow[] }> {
  const payments = run.cycle?.payments ?? [];
  const paid = payments.filter((p) => p.status === 'paid');
  const failed = payments.filter((p) => p.status === 'failed');
  const pending = payments.filter((p) => !p.status);
  const cancelled = payments.filter(isCancelled);
  const inDoubt = payments.filter(isInDoubt);
  const refusedBatches = new Set((run.cycle?.batches ?? []).filter(wasRefused).map((b) => b.id));
  const refused = payments.filter((p) => p.state === 'issued' && refusedBatches.has(p.batchId));
  const byErrorCode: Record<string, number> = {};
  for (const p of failed) byErrorCode[p.errorCode ?? 'none'] = (byErrorCode[p.errorCode ?? 'none'] ?? 0) + 1;
  const byFsp: ActualOutcome['byFsp'] = {};
  const table: ReconciliationRow[] = [];
  const ledgers = new Map<string, Awaited<ReturnType<Environment['payeeLedger']>>>();
  let credited: bigint[] = [];
  let fees = 0n;
  for (const f of run.env.payeeFsps) {
    const l = await run.env.payeeLedger(f);
    ledgers.set(f, l);
    const units = [...l.balances.values()].map(toUnits);
    // Each account gets one payment per cycle here, so the balances are the credits; the totals say how many transfers.
    credited = credited.concat(units);
    fees += toUnits(l.fees);
    const mine = payments.filter((p) => p.registrant.fsp === f);
    byFsp[f] = { paid: mine.filter((p) => p.status === 'paid').length, failed: mine.filter((p) => p.status === 'failed').length, credited:
      { count: l.committedCount, amount: l.credited } };
    table.push({ fsp: f, openg2pPaid: total(mine.filter((p) => p.status === 'paid').map((p) => toUnits(p.amountCredited ?? p.amount))),
      openg2pFailed: total(mine.filter((p) => p.status === 'failed').map((p) => toUnits(p.amount))), ledgerCredited:
        { count: l.committedCount, amount: l.credited }, fees: l.fees });
  }
  // Match OpenG2P's view with the ledgers, account by account: paid means credited, anything else means not.
  const unmatched: string[] = [];
  const seenAccounts = new Set<string>();
  for (const p of payments) {
    const r = p.registrant;
    const fsp = r.fsp && ledgers.has(r.fsp) ? r.fsp : undefined;
    let bal: string | undefined;
    let account: string | undefined;
    if (fsp) {
      const l = ledgers.get(fsp)!;
      account = `${r.idType}:${r.idValue}`;
      if (!l.balances.has(account)) {
        const named = r.kind === 'ok' ? await run.env.payeeAccount(fsp, r.idType, r.idValue) : undefined;
        if (named) account = named;
      }
      bal = l.balances.get(account);
      seenAccounts.add(`${fsp}|${account}`);
    }
    const creditedHere = bal !== undefined && toUnits(bal) > 0n;
    if (p.status === 'paid' && !creditedHere) unmatched.push(`OpenG2P says paid, no credit on the payee ledger: ${describePayment(p)}`);
    if (p.status !== 'paid' && creditedHere) unmatched.push(`credited ${bal} on ${fsp} but OpenG2P says ${p.status
      ?? p.state}: ${describePayment(p)}`);
    if (p.status === 'paid' && creditedHere && p.amountCredited
      && toUnits(p.amountCredited) !== toUnits(bal as string)) unmatched.push(`OpenG2P says ${p.amountCredited} credited, the ledger ` +
        `${bal}: ${describePayment(p)}`);
  }
  const extraCredits: string[] = [];
  for (const [f, l] of ledgers) for (const [acct, bal] of l.balances) if (!seenAccounts.has(`${f}|${acct}`)
    && toUnits(bal) > 0n) extraCredits.push(`${f} ${acct} credited ${bal} with no payment of this cycle`);
  const creditedTotal = { count: [...ledgers.values()].reduce((n, l) => n + l.committedCount, 0), amount:
    fromUnits(sumUnits([...ledgers.values()].map((l) => toUnits(l.credited)))) };
  void credited;
  const treasury = await run.env.treasury(currency);
  const actual: ActualOutcome = {
    paid: total(paid.map((p) => toUnits(p.amount))),
    failed: total(failed.map((p) => toUnits(p.amount))),
    pending: total(pending.map((p) => toUnits(p.amount))),
    cancelled: total(cancelled.map((p) => toUnits(p.amount))),
    inDoubt: total(inDoubt.map((p) => toUnits(p.amount))),
    refused: total(refused.map((p) => toUnits(p.amount))),
    notSent: payments.filter((p) => p.state === 'issued').length,
    byErrorCode,
    byFsp,
    ledgers: { credited: creditedTotal, fees: fromUnits(fees), treasuryDebited: treasury?.debited, treasurySource: treasury?.source,
      unmatched, extraCredits },
    sends: run.sends,
    notifications: { received: run.g2p.callbacks?.received.length ?? 0, duplicates: run.g2p.callbacks?.duplicates ?? 0 },
    finalMs: run.finalAt && run.firstSendAt ? run.finalAt - run.firstSendAt : undefined,
  };
  return { actual, table };
}

function compare(expect: Expectations, actual: ActualOutcome, payments: Payment[]): Mismatch[] {
  const out: Mismatch[] = [];
  const name = (ps: Payment[]) => ps.slice(0, 10).map(describePayment).concat(ps.length > 10 ? [`... and ${ps.length - 10} more`] : []);
  const checkTotal = (path: string, exp: Total | undefined, act: Counted, concerned: () => Payment[]) => {
    if (!exp) return;
    if (exp.count !== undefined && exp.count !== act.count) out.push({ path: `${path}.count`, expected: exp.count, actual: act.count,
      payments: name(concerned()) });
    if (exp.minCount !== undefined && act.count < exp.minCount) out.push({ path: `${path}.minCount`, expected: `at least ${exp.minCount}`,
      actual: act.count, payments: name(concerned()) });
    if (exp.maxCount !== undefined && act.count > exp.maxCount) out.push({ path: `${path}.maxCount`, expected: `at most ${exp.maxCount}`,
      actual: act.count, payments: name(concerned()) });
    if (exp.amount !== undefined && toUnits(exp.amount) !== toUnits(act.amount)) out.push({ path: `${path}.amount`, expected: exp.amount,
      actual: act.amount, payments: name(concerned()) });
  };
  const notPaid = () => payments.filter((p) => p.status !== 'paid');
  checkTotal('paid', expect.paid, actual.paid, () => (expect.paid?.count !== undefined && expect.paid.count < actual.paid.count
    ? payments.filter((p) => p.status === 'paid') : notPaid()));
  checkTotal('failed', expect.failed, actual.failed, () => payments.filter((p) => p.status === 'failed'));
  checkTotal('pending', expect.pending, actual.pending, () => payments.filter((p) => !p.status));
  checkTotal('cancelled', expect.cancelled, actual.cancelled, () => payments.filter((p) => !isCancelled(p)));
  checkTotal('inDoubt', expect.inDoubt, actual.inDoubt, () => payments.filter(isInDoubt));
  checkTotal('refused', expect.refused, actual.refused, () => payments.filter((p) => p.state === 'issued'));
  if (expect.notSent !== undefined && expect.notSent !== actual.notSent) out.push({ path: 'notSent', expected: expect.notSent, actual:
    actual.notSent, payments: name(payments.filter((p) => p.state === 'issued')) });
  if (expect.byErrorCode) {
    const codes = new Set([...Object.keys(expect.byErrorCode), ...Object.keys(actual.byErrorCode)]);
    for (const c of codes) {
      const e = expect.byErrorCode[c] ?? 0;
      const a = actual.byErrorCode[c] ?? 0;
      if (e !== a) out.push({ path: `byErrorCode.${c}`, expected: e, actual: a, payments:
        name(payments.filter((p) => p.status === 'failed' && (p.errorCode ?? 'none') === c)) });
    }
  }
  for (const [f, e] of Object.entries(expect.byFsp ?? {})) {
    const a = actual.byFsp[f] ?? { paid: 0, failed: 0, credited: { count: 0, amount: '0' } };
    if (e.paid !== undefined && e.paid !== a.paid) out.push({ path: `byFsp.${f}.paid`, expected: e.paid, actual: a.paid, payments:
      name(payments.filter((p) => p.registrant.fsp === f && p.status !== 'paid')) });
    if (e.failed !== undefined && e.failed !== a.failed) out.push({ path: `byFsp.${f}.failed`, expected: e.failed, actual: a.failed,
      payments: name(payments.filter((p) => p.registrant.fsp === f && p.status === 'failed')) });
    checkTotal(`byFsp.${f}.credited`, e.credited, a.credited, () => payments.filter((p) => p.registrant.fsp === f && p.status !== 'paid'));
  }
  // The ledgers are the truth: every scenario is checked against them unless it turns a check off explicitly.
  const l = { ...LEDGER_CHECKS, ...expect.ledgers };
  {
    checkTotal('ledgers.credited', l.credited, actual.ledgers.credited, notPaid);
    if (l.matchesOpenG2p && (actual.ledgers.unmatched.length || actual.ledgers.extraCredits.length)) {
      out.push({ path: 'ledgers.matchesOpenG2p', expected: true, actual: false, payments:
        [...actual.ledgers.unmatched, ...actual.ledgers.extraCredits].slice(0, 20) });
    }
    if (l.eachTransferCreditedOnce) {
      const paidCount = actual.paid.count;
      if (actual.ledgers.credited.count !== paidCount || actual.ledgers.extraCredits.length) {
        out.push({ path: 'ledgers.eachTransferCreditedOnce', expected: `${paidCount} transfers credited (one per paid payment)`, actual:
          `${actual.ledgers.credited.count} credited`, payments: actual.ledgers.unmatched.concat(actual.ledgers.extraCredits).slice(0,
            20) });
      }
    }
    if (l.treasuryDebitedEqualsCreditedPlusFees) {
      const want = toUnits(actual.ledgers.credited.amount) + toUnits(actual.ledgers.fees);
      if (actual.ledgers.treasuryDebited === undefined) out.push({ path: 'ledgers.treasuryDebitedEqualsCreditedPlusFees', expected:
        fromUnits(want), actual: 'the treasury ledger is not readable (payer DFSP /admin/ledger or switch /admin/positions)' });
      else if (toUnits(actual.ledgers.treasuryDebited) !== want) out.push({ path: 'ledgers.treasuryDebitedEqualsCreditedPlusFees', expected:
        `${fromUnits(want)} (credited ${actual.ledgers.credited.amount} + fees ${actual.ledgers.fees})`, actual:
          `${actual.ledgers.treasuryDebited} debited (${actual.ledgers.treasurySource})` });
    }
  }
  if (expect.sends) {
    if (expect.sends.accepted !== undefined && expect.sends.accepted !== actual.sends.accepted) out.push({ path: 'sends.accepted', expected:
      expect.sends.accepted, actual: actual.sends.accepted });
    if (expect.sends.rejected !== undefined && expect.sends.rejected !== actual.sends.rejected) out.push({ path: 'sends.rejected', expected:
      expect.sends.rejected, actual: actual.sends.rejected });
  }
  const n = expect.notifications;
  if (n?.received !== undefined && n.received !== actual.notifications.received) out.push({ path: 'notifications.received', expected:
    n.received, actual: actual.notifications.received });
  if (n?.minReceived !== undefined && actual.notifications.received < n.minReceived) out.push({ path: 'notifications.minReceived', expected:
    `at least ${n.minReceived}`, actual: actual.notifications.received });
  if (n?.duplicates !== undefined && n.duplicates !== actual.notifications.duplicates) out.push({ path: 'notifications.duplicates',
    expected: n.duplicates, actual: actual.notifications.duplicates });
  if (n?.minDuplicates !== undefined && actual.notifications.duplicates < n.minDuplicates) out.push({ path: 'notifications.minDuplicates',
    expected: `at least ${n.minDuplicates}`, actual: actual.notifications.duplicates });
  if (expect.finalWithin !== undefined) {
    const limit = parseDuration(expect.finalWithin, 0);
    if (actual.finalMs === undefined || actual.finalMs > limit) out.push({ path: 'finalWithin', expected: `<= ${limit} ms`, actual:
      actual.finalMs === undefined ? 'not all payments final' : `${actual.finalMs} ms`, payments:
        name(payments.filter((p) => !p.status)) });
  }
  return out;
}

type PaymentsProgress = (final: number, total: number, elapsedMs: number) => void;

async function runOnce(s: Scenario, label: string, orchestrator: OrchestratorSpec, programOverride: Partial<Scenario['program']>
  | undefined, seed: number, factory: EnvironmentFactory, onStep: (st: StepResult, i: number, n: number) => void,
    onPayments?: PaymentsProgress): Promise<RunResult> {
  const timeLimit = parseDuration(s.timeLimit, 60_000);
  const deadline = Date.now() + timeLimit;
  const steps: StepResult[] = [];
  const t0 = Date.now();
  let env: Environment;
  try {
    env = await factory(s, seed, orchestrator);
  } catch (err) {
    if (err instanceof EnvironmentUnavailable) throw err;
    return { label, ok: false, steps, mismatches: [], error: `starting the world: ${err instanceof Error ? err.stack ?? err.message
      : String(err)}`, messages: [] };
  }
  const program = { name: s.program.name ?? s.name, currency: s.program.currency ?? s.network?.currency ?? 'USD', ...s.program,
    ...(programOverride ?? {}) };
  const g2p = await startOpenG2p({ orchestratorUrl: env.orchestratorUrl, program, seed, nativeFormat: program.nativeFormat,
    ...(env.openG2p ?? {}) });
  const run = new CycleRun(s, env, seed, deadline);
  run.g2p = g2p;
  steps.push({ name: 'start world', ms: Date.now() - t0, ok: true });
  onStep(steps[0], 0, s.steps.length + 2);
  for (const change of s.network?.faultChanges ?? []) {
    run.timers.push(setTimeout(() => { env.setFaults(change.target, change.rules).catch((e) =>
      run.stepErrors.push(`fault change at ${change.at}: ${String(e)}`)); }, parseDuration(change.at, 0)));
  }
  let error: string | undefined;
  const ticker = onPayments ? setInterval(() => {
    const ps = run.cycle?.payments;
    if (ps?.length && run.firstSendAt) onPayments(ps.reduce((n, p) => n + (p.status ? 1 : 0), 0), ps.length, Date.now() - run.firstSendAt);
  }, 1000) : undefined;
  try {
    const all = [...s.steps];
    if (!all.some((x) => stepName(x) === 'reconcile')) all.push('reconcile');
    for (let i = 0; i < all.length; i++) {
      const started = Date.now();
      const name = stepName(all[i]);
      let detail: string | undefined;
      try {
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new Error(`the scenario's time limit (${timeLimit} ms) has passed`);
        let timer: NodeJS.Timeout | undefined;
        detail = await Promise.race([
          run.step(all[i]),
          new Promise<never>((_, rej) =>
            { timer = setTimeout(() => rej(new Error(`the scenario's time limit (${timeLimit} ms) passed during this step`)),
              remaining); }),
        ]).finally(() => clearTimeout(timer));
      } catch (err) {
        const st = { name, ms: Date.now() - started, ok: false, detail: err instanceof Error ? err.message : String(err) };
        steps.push(st);
        onStep(st, i + 1, all.length + 1);
        throw err;
      }
      const st = { name, ms: Date.now() - started, ok: true, detail };
      steps.push(st);
      onStep(st, i + 1, all.length + 1);
    }
    await Promise.allSettled(run.background);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  for (const t of run.timers) clearTimeout(t);
  if (ticker) clearInterval(ticker);
  let mismatches: Mismatch[] = [];
  let actual: ActualOutcome | undefined;
  let table: ReconciliationRow[] | undefined;
  let messages: string[] = [];
  try {
    const o = await observe(run, program.currency);
    actual = o.actual;
    table = o.table;
    mismatches = compare(s.expect, actual, run.cycle?.payments ?? []);
    if (run.stepErrors.length) error = [error, ...run.stepErrors].filter(Boolean).join('; ');
    if (mismatches.length || error) {
      const concerned = (run.cycle?.payments ?? []).filter((p) => p.status !== 'paid').slice(0, 5);
      const needles = concerned.flatMap((p) => [p.registrant.idValue, p.reference, p.batchId, p.transferId ?? '']).filter(Boolean);
      messages = env.recentMessages(needles, 20);
      const ex = g2p.log.items.slice(-10).map((x) => `openg2p ${x.method} ${x.url} -> ${x.status ?? x.error} (${x.ms} ms)`);
      messages = messages.concat(ex);
    }
  } catch (err) {
    error = [error, `reading the outcome: ${err instanceof Error ? err.message : String(err)}`].filter(Boolean).join('; ');
  }
  await g2p.stop().catch(() => undefined);
  await env.stop().catch(() => undefined);
  return { label, ok: !error && mismatches.length === 0, steps, mismatches, actual, error, cycleMs: actual?.finalMs, messages, table };
}

export async function runScenario(file: string, opts: RunOptions = {}): Promise<ScenarioResult> {
  const t0 = Date.now();
  let s: Scenario;
  try {
    s = loadScenario(file);
  } catch (err) {
    const msg = err instanceof ScenarioError ? err.message : `${file}: ${err instanceof Error ? err.message : String(err)}`;
    const result: ScenarioResult = { file, name: file, ok: false, ms: Date.now() - t0, runs:
      [{ label: 'validate', ok: false, steps: [], mismatches: [], error: msg, messages: [] }] };
    // An invalid file is reported like any failed scenario, so its file:line:col reasons reach the terminal.
    opts.onProgress?.({ type: 'scenario-start', file, name: file });
    opts.onProgress?.({ type: 'scenario-end', result });
    return result;
  }
  return runScenarioDefinition(s, file, opts, t0);
}

/** Run a scenario already parsed (gpo demo builds its own). */
export async function runScenarioDefinition(s: Scenario, file: string, opts: RunOptions = {}, t0 = Date.now()): Promise<ScenarioResult> {
  opts.onProgress?.({ type: 'scenario-start', file, name: s.name });
  const seed = opts.seed ?? s.seed ?? 1;
  const factory = opts.environment ?? inProcessEnvironment;
  const onStep = (step: StepResult, index: number, totalSteps: number) =>
    opts.onProgress?.({ type: 'step', file, name: s.name, step, index, total: totalSteps });
  const onPayments: PaymentsProgress | undefined = opts.onProgress ? (final, total, elapsedMs) =>
    opts.onProgress?.({ type: 'payments', file, name: s.name, final, total, elapsedMs }) : undefined;
  const runs: RunResult[] = [];
  try {
    runs.push(await runOnce(s, s.orchestrator?.rail ? `rail ${s.orchestrator.rail}${s.orchestrator.railMode ? `/${s.orchestrator.railMode}`
      : ''}` : 'default', s.orchestrator ?? {}, undefined, seed, factory, onStep, onPayments));
    if (s.compareWith) runs.push(await runOnce(s, s.compareWith.label ?? 'compared', s.compareWith.orchestrator, s.compareWith.program,
      seed, factory, onStep, onPayments));
  } catch (err) {
    if (err instanceof EnvironmentUnavailable) {
      const result: ScenarioResult = { file, name: s.name, ok: false, unavailable: err.message, ms: Date.now() - t0, runs };
      opts.onProgress?.({ type: 'scenario-end', result });
      return result;
    }
    throw err;
  }
  const result: ScenarioResult = { file, name: s.name, ok: runs.every((r) => r.ok), ms: Date.now() - t0, runs };
  opts.onProgress?.({ type: 'scenario-end', result });
  return result;
}

export async function runScenarios(files: string[], opts: RunOptions = {}): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = new Array(files.length);
  let next = 0;
  let stop = false;
  const worker = async () => {
    while (!stop && next < files.length) {
      const i = next++;
      results[i] = await runScenario(files[i], opts);
      if (!results[i].ok && !opts.keepGoing) stop = true;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.parallel ?? 1) }, worker));
  return results.filter(Boolean);
}

