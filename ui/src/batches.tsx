/** Batches: the list with live progress, and one batch with its figures, failures, payments and actions. */
import { useState } from 'preact/hooks';
import { api, download, query, type Batch, type FailureLine, type Page, type Payment } from './api';
import { Card, ErrorNote, Figure, Money, Pager, ProgressBar, StatusBadge, Updated, usePoll } from './components';
import { amount, count, duration, money, shortId, statusLabel, when } from './format';

const FINAL = new Set(['COMPLETED', 'PARTIALLY_COMPLETED', 'FAILED', 'CANCELLED']);
const BATCH_STATUSES = ['PROCESSING', 'PAUSED', 'RECEIVED', 'COMPLETED', 'PARTIALLY_COMPLETED', 'FAILED', 'CANCELLED'];
const PAYMENT_STATUSES = ['COMPLETED', 'FAILED', 'CANCELLED', 'SENT', 'QUOTED', 'RESOLVED', 'RECEIVED'];
const PAGE = 25;

function dayStart(date: string): string | undefined {
  return date ? new Date(`${date}T00:00:00`).toISOString() : undefined;
}
function dayAfter(date: string): string | undefined {
  if (!date) return undefined;
  const d = new Date(`${date}T00:00:00`);
  d.setDate(d.getDate() + 1);
  return d.toISOString();
}

export function BatchList() {
  const [status, setStatus] = useState('');
  const [source, setSource] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [offset, setOffset] = useState(0);
  const q = query({ status, source, from: dayStart(from), to: dayAfter(to), offset, limit: PAGE });
  const list = usePoll(() => api<Page<Batch>>(`/v1/batches${q}`), 2000, q);
  const totals = usePoll(async () => {
    const n = async (s: string) => (await api<Page<Batch>>(`/v1/batches${query({ status: s, limit: 1 })}`)).total;
    const [running, paused, withFailures, completed] = await Promise.all([n('RECEIVED,PROCESSING'), n('PAUSED'),
      n('PARTIALLY_COMPLETED,FAILED'), n('COMPLETED')]);
    return { running, paused, withFailures, completed };
  }, 4000, 'totals');
  const filter = (set: (v: string) => void) => (e: Event) => { set((e.target as HTMLInputElement).value); setOffset(0); };

  return (
    <div class="page">
      <div class="figures">
        <Figure label="In progress" value={count(totals.data?.running)} tone="info" testid="fig-running" />
        <Figure label="Paused — need an operator" value={count(totals.data?.paused)} tone={totals.data?.paused ? 'warn' : ''} />
        <Figure label="Finished with failures" value={count(totals.data?.withFailures)} tone={totals.data?.withFailures ? 'bad' : ''} />
        <Figure label="Completed" value={count(totals.data?.completed)} tone="good" />
      </div>
      <Card title="Batches" actions={<Updated at={list.updatedAt} error={list.error} />} testid="batches">
        <form class="filters" onSubmit={(e) => e.preventDefault()}>
          <label>Status
            <select value={status} onChange={filter(setStatus)} data-testid="filter-status">
              <option value="">All</option>
              {BATCH_STATUSES.map((s) => <option key={s} value={s}>{statusLabel(s)}</option>)}
            </select>
          </label>
          <label>API
            <select value={source} onChange={filter(setSource)}>
              <option value="">All</option>
              <option value="native">Native</option>
              <option value="pil">PIL-compatible</option>
              <option value="g2p-connect">G2P Connect</option>
            </select>
          </label>
          <label>Created from<input type="date" value={from} onChange={filter(setFrom)} /></label>
          <label>to<input type="date" value={to} onChange={filter(setTo)} /></label>
        </form>
        <ErrorNote error={list.error} />
        <div class="table-wrap">
          <table class="grid">
            <thead>
              <tr>
                <th>Created</th><th>Batch</th><th>API</th><th>Status</th><th class="w-progress">Progress</th>
                <th class="r">Payments</th><th class="r">Total</th><th class="r">Paid</th><th class="r">Failed</th>
              </tr>
            </thead>
            <tbody>
              {list.data?.items.map((b) => (
                <tr key={b.id} class="link-row" data-testid="batch-row" data-batch-id={b.id} data-status={b.status}
                  onClick={() => { location.hash = `#/batches/${encodeURIComponent(b.id)}`; }}>
                  <td class="nowrap">{when(b.createdAt)}</td>
                  <td><a href={`#/batches/${encodeURIComponent(b.id)}`}>{b.reference ?? shortId(b.id)}</a><div
                    class="mono muted">{shortId(b.id)}</div></td>
                  <td>{b.source}</td>
                  <td><StatusBadge status={b.status} /></td>
                  <td><ProgressBar batch={b} /><div
                    class="muted small">{count(b.totalCount - b.summary.ongoing)} of {count(b.totalCount)} final</div></td>
                  <td class="r num">{count(b.totalCount)}</td>
                  <td class="r"><Money value={b.totalAmount} currency={b.currency} /></td>
                  <td class="r"><Money value={b.summary.successfulAmount} currency={b.currency} /></td>
                  <td class={`r ${b.summary.failed ? 'bad-text' : ''}`}><Money value={b.summary.failedAmount} currency={b.currency} /></td>
                </tr>
              ))}
              {list.data && list.data.items.length === 0 && <tr><td colSpan={9} class="empty">No batches match these filters.</td></tr>}
            </tbody>
          </table>
        </div>
        {list.data && <Pager offset={offset} limit={PAGE} total={list.data.total} onPage={setOffset} />}
      </Card>
    </div>
  );
}

function Actions({ batch, onChange }: { batch: Batch; onChange: () => void }) {
  const [busy, setBusy] = useState('');
  const [error, setError] = useState<string>();
  const act = async (what: string, run: () => Promise<unknown>) => {
    setBusy(what);
    setError(undefined);
    try {
      await run();
      onChange();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy('');
    }
  };
  const id = encodeURIComponent(batch.id);
  const cancellable = !FINAL.has(batch.status);
  return (
    <div class="actions">
      <button class="btn" data-testid="download-report" disabled={!!busy}
        onClick={() => act('report', () => download(`/v1/batches/${id}/report.csv`, `batch-${batch.id}.csv`))}>
        {busy === 'report' ? 'Preparing…' : 'Download report (CSV)'}
      </button>
      {batch.status === 'PAUSED' && (
        <button class="btn primary" data-testid="resume" disabled={!!busy}
          onClick={() => act('resume', () => api(`/v1/batches/${id}/resume`, { method: 'POST' }))}>Resume</button>
      )}
      {cancellable && (
        <button class="btn danger" data-testid="cancel" disabled={!!busy} onClick={() => {
          if (window.confirm(`Cancel batch ${batch.reference
            ?? batch.id}? Payments not yet sent will not be paid; payments already sent finish normally.`)) void act('cancel', () =>
              api(`/v1/batches/${id}/cancel`, { method: 'POST' }));
        }}>{busy === 'cancel' ? 'Cancelling…' : 'Cancel batch'}</button>
      )}
      <ErrorNote error={error} />
    </div>
  );
}

/** Decimal strings to 1/10,000 units, exactly (amounts never become floats). */
function units(v: string): bigint {
  const [w, f = ''] = v.split('.');
  return BigInt(w) * 10000n + BigInt((f + '0000').slice(0, 4));
}

function Reconciliation({ b }: { b: Batch }) {
  const declared = b.declaredCount !== undefined || b.declaredAmount !== undefined;
  const balanced = units(b.amountDebited) === units(b.amountCredited) + units(b.fees);
  return (
    <div>
    <table class="kv">
      <caption>Reconciliation</caption>
      <tbody>
        {declared && <tr><th>Declared control totals</th><td>{b.declaredCount !== undefined ? `${count(b.declaredCount)} payments`
          : '—'} · {b.declaredAmount !== undefined ? money(b.declaredAmount, b.currency) : '—'}</td></tr>}
        <tr><th>Submitted</th><td>{count(b.totalCount)} payments · {money(b.totalAmount, b.currency)}</td></tr>
        <tr><th>Debited from the treasury</th><td class="num">{money(b.amountDebited, b.currency)}</td></tr>
        <tr><th>Credited to payees</th><td class="num">{money(b.amountCredited, b.currency)}</td></tr>
        <tr><th>Fees</th><td class="num">{money(b.fees, b.currency)}</td></tr>
      </tbody>
    </table>
    <div class={`check ${balanced ? 'ok' : 'bad'}`} data-testid="reconciled">
      {balanced ? '✓ Debited = credited to payees + fees, to the last minor unit'
        : '✗ Debited differs from credited + fees: investigate before closing this batch'}
    </div>
    </div>
  );
}

function Failures({ batchId, currency, version, onPick }: { batchId: string; currency: string; version: string;
  onPick: (code: string) => void }) {
  const f = usePoll(() => api<{ items: FailureLine[] }>(`/v1/batches/${encodeURIComponent(batchId)}/failures`), 0, `${batchId}:${version}`);
  if (!f.data || f.data.items.length === 0) return <p class="muted" data-testid="no-failures">{f.data ? 'No payment has failed.'
    : 'Loading…'}</p>;
  return (
    <table class="grid compact" data-testid="failures">
      <thead><tr><th>Error code</th><th>What the rail said</th><th class="r">Payments</th><th class="r">Amount</th><th /></tr></thead>
      <tbody>
        {f.data.items.map((l) => (
          <tr key={l.errorCode} data-testid="failure-row" data-code={l.errorCode}>
            <td class="mono strong">{l.errorCode}</td><td>{l.errorDescription ?? '—'}</td>
            <td class="r num">{count(l.count)}</td><td class="r"><Money value={l.amount} currency={currency} /></td>
            <td class="r"><button class="btn small" onClick={() => onPick(l.errorCode)}>Show payments</button></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Payments({ batch, errorCode, setErrorCode }: { batch: Batch; errorCode: string; setErrorCode: (c: string) => void }) {
  const [status, setStatus] = useState('');
  const [offset, setOffset] = useState(0);
  const q = query({ status, errorCode, offset, limit: PAGE });
  const live = !FINAL.has(batch.status);
  const page = usePoll(() => api<Page<Payment>>(`/v1/batches/${encodeURIComponent(batch.id)}/payments${q}`), live ? 2000 : 0,
    `${batch.id}${q}:${live ? '' : batch.updatedAt}`);
  return (
    <>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>Status
          <select value={status} data-testid="payment-status" onChange={(e) =>
            { setStatus((e.target as HTMLSelectElement).value); setOffset(0); }}>
            <option value="">All</option>
            {PAYMENT_STATUSES.map((s) => <option key={s} value={s}>{statusLabel(s)}</option>)}
          </select>
        </label>
        <label>Error code
          <input value={errorCode} data-testid="payment-error-code" placeholder="e.g. 3204" size={10}
            onChange={(e) => { setErrorCode((e.target as HTMLInputElement).value.trim()); setOffset(0); }} />
        </label>
        {(status || errorCode) && <button class="btn small" type="button"
          onClick={() => { setStatus(''); setErrorCode(''); setOffset(0); }}>Clear filters</button>}
      </form>
      <ErrorNote error={page.error} />
      <div class="table-wrap">
        <table class="grid compact" data-testid="payments">
          <thead>
            <tr><th class="r">#</th><th>Reference</th><th>Payee</th><th>Payee FSP</th><th
              class="r">Amount</th><th>Status</th><th>Error</th><th>Mojaloop transfer id</th><th
                class="r">Attempts</th><th>Final at</th></tr>
          </thead>
          <tbody>
            {page.data?.items.map((p) => (
              <tr key={p.position} data-testid="payment-row" data-status={p.status} data-code={p.errorCode ?? ''}>
                <td class="r num muted">{p.position}</td>
                <td>{p.reference}</td>
                <td class="nowrap"><span class="muted">{p.payeeIdType}</span> {p.payeeIdValue}</td>
                <td>{p.payeeFsp ?? '—'}</td>
                <td class="r"><Money value={p.amount} currency={p.currency} /></td>
                <td><StatusBadge status={p.status} /></td>
                <td>{p.errorCode ? <span title={p.errorDescription}><span class="mono strong">{p.errorCode}</span> <span
                  class="muted">{p.errorDescription}</span></span> : '—'}</td>
                <td class="mono small" data-testid="transfer-id">{p.transferId ?? '—'}</td>
                <td class="r num">{p.attempts}</td>
                <td class="nowrap small">{when(p.completedAt)}</td>
              </tr>
            ))}
            {page.data && page.data.items.length === 0 && <tr><td colSpan={10} class="empty">No payment matches these filters.</td></tr>}
          </tbody>
        </table>
      </div>
      {page.data && <Pager offset={offset} limit={PAGE} total={page.data.total} onPage={setOffset} />}
    </>
  );
}

export function BatchDetail({ id }: { id: string }) {
  const b = usePoll(() => api<Batch>(`/v1/batches/${encodeURIComponent(id)}`), 1500, id);
  const [errorCode, setErrorCode] = useState('');
  const batch = b.data;
  if (!batch) return <div class="page"><a href="#/batches">‹ All batches</a><ErrorNote
    error={b.error} />{!b.error && <p class="muted">Loading…</p>}</div>;
  const c = batch.currency;
  return (
    <div class="page" data-testid="batch-detail" data-status={batch.status}>
      <a href="#/batches" class="back">‹ All batches</a>
      <div class="title-row">
        <div>
          <h1>{batch.reference ?? 'Batch'} <StatusBadge status={batch.status} /></h1>
          <div class="meta">
            <span>id <span class="mono">{batch.id}</span></span>
            <span>key <span class="mono">{batch.idempotencyKey}</span></span>
            <span>{batch.source} API</span>
            <span>rail {batch.rail}{batch.railMode ? ` · ${batch.railMode}` : ''}</span>
            <span>created {when(batch.createdAt)}</span>
            <span>{batch.completedAt ? `final ${when(batch.completedAt)} (${duration(batch.createdAt, batch.completedAt)})`
              : `running for ${duration(batch.createdAt)}`}</span>
          </div>
        </div>
        <Actions batch={batch} onChange={b.reload} />
      </div>
      <div class="figures">
        <Figure label="Total" value={<Money value={batch.totalAmount} currency={c} />} sub={`${count(batch.totalCount)} payments`} />
        <Figure label="Paid" tone="good" testid="fig-paid" value={<Money value={batch.summary.successfulAmount} currency={c} />}
          sub={`${count(batch.summary.successful)} payments · ${batch.byStatus.COMPLETED.amountPercentage}%`} />
        <Figure label="Failed" tone={batch.summary.failed ? 'bad' : ''} testid="fig-failed"
          value={<Money value={batch.summary.failedAmount} currency={c} />} sub={`${count(batch.summary.failed)} payments`} />
        <Figure label="Cancelled" value={<Money value={batch.summary.cancelledAmount} currency={c} />}
          sub={`${count(batch.summary.cancelled)} payments`} />
        <Figure label="In progress" tone={batch.summary.ongoing ? 'info' : ''}
          value={<Money value={batch.summary.pendingAmount} currency={c} />} sub={`${count(batch.summary.ongoing)} payments`} />
      </div>
      <Card title="Progress" actions={<Updated at={b.updatedAt} error={b.error} />}>
        <ProgressBar batch={batch} legend />
        <div class="two-col">
          <table class="grid compact by-status">
            <thead><tr><th>Payment status</th><th class="r">Payments</th><th class="r">%</th><th class="r">Amount</th><th
              class="r">%</th></tr></thead>
            <tbody>
              {Object.entries(batch.byStatus).map(([s, l]) => (
                <tr key={s} class={l.count ? '' : 'zero'} data-testid={`by-status-${s}`}>
                  <td><StatusBadge status={s} /></td><td class="r num">{count(l.count)}</td><td class="r num muted">{l.countPercentage}</td>
                  <td class="r">{amount(l.amount, c)}</td><td class="r num muted">{l.amountPercentage}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Reconciliation b={batch} />
        </div>
      </Card>
      <Card title="Failures by error code">
        <Failures batchId={batch.id} currency={c} version={`${batch.summary.failed}:${batch.status}`} onPick={setErrorCode} />
      </Card>
      <Card title="Payments">
        <Payments batch={batch} errorCode={errorCode} setErrorCode={setErrorCode} />
      </Card>
    </div>
  );
}
