/** Small pieces every page uses: polling, status badges, the stacked progress bar, pager, messages. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Batch, StatusLine } from './api';
import { amount, count, statusLabel } from './format';

export interface Polled<T> {
  data?: T;
  error?: string;
  loading: boolean;
  updatedAt?: Date;
  reload(): void;
}

/** Loads now, then every `everyMs` while the page is visible (0: once); reloads when `key` changes. */
export function usePoll<T>(load: () => Promise<T>, everyMs: number, key: string): Polled<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean; updatedAt?: Date }>({ loading: true });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let alive = true;
    let timer: number | undefined;
    const run = async () => {
      try {
        const data = await loadRef.current();
        if (alive) setState({ data, loading: false, updatedAt: new Date() });
      } catch (err) {
        if (alive) setState((s) => ({ ...s, error: (err as Error).message, loading: false }));
      }
      if (alive && everyMs > 0) timer = window.setTimeout(run, document.hidden ? everyMs * 5 : everyMs);
    };
    setState((s) => ({ ...s, loading: true, error: undefined }));
    void run();
    return () => {
      alive = false;
      if (timer) window.clearTimeout(timer);
    };
  }, [key, tick, everyMs]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge s-${status.toLowerCase()}`} data-status={status}>{statusLabel(status)}</span>;
}

const SEGMENTS: Array<{ status: 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'ONGOING'; label: string }> = [
  { status: 'COMPLETED', label: 'Paid' },
  { status: 'FAILED', label: 'Failed' },
  { status: 'CANCELLED', label: 'Cancelled' },
  { status: 'ONGOING', label: 'In progress' },
];

function segmentCount(b: Batch, s: (typeof SEGMENTS)[number]['status']): number {
  return s === 'ONGOING' ? b.summary.ongoing : (b.byStatus as Record<string, StatusLine>)[s].count;
}

/** Payments by outcome as one bar: paid, failed, cancelled, in progress. */
export function ProgressBar({ batch, legend = false }: { batch: Batch; legend?: boolean }) {
  const total = Math.max(1, batch.totalCount);
  return (
    <div class="progress-wrap">
      <div class="progress" role="img" aria-label={`${batch.summary.finishedPercentage}% of payments final`}>
        {SEGMENTS.map(({ status }) => {
          const n = segmentCount(batch, status);
          return n > 0 ? <span class={`seg seg-${status.toLowerCase()}`} style={{ width: `${(n / total) * 100}%` }} /> : null;
        })}
      </div>
      {legend && (
        <div class="legend">
          {SEGMENTS.map(({ status, label }) => (
            <span key={status}><i class={`dot seg-${status.toLowerCase()}`} />{label} {count(segmentCount(batch, status))}</span>
          ))}
        </div>
      )}
    </div>
  );
}

export function Pager({ offset, limit, total, onPage }: { offset: number; limit: number; total: number;
  onPage: (offset: number) => void }) {
  const last = Math.min(total, offset + limit);
  return (
    <div class="pager">
      <span>{total === 0 ? 'none' : `${count(offset + 1)}–${count(last)} of ${count(total)}`}</span>
      <button class="btn small" disabled={offset === 0} onClick={() => onPage(Math.max(0, offset - limit))}>‹ Previous</button>
      <button class="btn small" disabled={last >= total} onClick={() => onPage(offset + limit)}>Next ›</button>
    </div>
  );
}

export function ErrorNote({ error }: { error?: string }) {
  return error ? <div class="note error" role="alert">{error}</div> : null;
}

export function Card({ title, children, actions, testid }: { title?: ComponentChildren; children: ComponentChildren;
  actions?: ComponentChildren; testid?: string }) {
  return (
    <section class="card" data-testid={testid}>
      {(title || actions) && <header class="card-head"><h2>{title}</h2><div class="card-actions">{actions}</div></header>}
      {children}
    </section>
  );
}

export function Figure({ label, value, sub, tone, testid }: { label: string; value: ComponentChildren; sub?: ComponentChildren;
  tone?: string; testid?: string }) {
  return (
    <div class={`figure ${tone ?? ''}`} data-testid={testid}>
      <div class="figure-label">{label}</div>
      <div class="figure-value">{value}</div>
      {sub !== undefined && <div class="figure-sub">{sub}</div>}
    </div>
  );
}

export function Money({ value, currency }: { value?: string; currency: string }) {
  return <span class="num">{amount(value, currency)} <span class="cur">{currency}</span></span>;
}

export function Updated({ at, error }: { at?: Date; error?: string }) {
  return <span class={`updated ${error ? 'stale' : ''}`}>{error ? 'not updating' : at ? `live · ${at.toLocaleTimeString()}`
    : 'loading…'}</span>;
}
