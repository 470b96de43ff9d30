/** Amounts, counts and times for people: amounts stay decimal strings (never floats), grouped by thousands. */
import { currencyExponent } from '../../shared/money';

const GROUP = /\B(?=(\d{3})+(?!\d))/g;

/** "1234567.5", "USD" -> "1,234,567.50"; negatives keep their sign. */
export function amount(value: string | undefined, currency: string): string {
  if (value === undefined || value === '') return '—';
  const neg = value.startsWith('-');
  const [whole, frac = ''] = (neg ? value.slice(1) : value).split('.');
  const exp = currencyExponent(currency);
  // At least the currency's decimals; any finer ones the value has are kept, never rounded away.
  const digits = frac.replace(/0+$/, '').padEnd(exp, '0');
  const decimals = digits ? `.${digits}` : '';
  return `${neg ? '−' : ''}${whole.replace(GROUP, ',')}${decimals}`;
}

export function money(value: string | undefined, currency: string): string {
  return value === undefined ? '—' : `${amount(value, currency)} ${currency}`;
}

export function count(n: number | undefined): string {
  return n === undefined ? '—' : String(n).replace(GROUP, ',');
}

export function when(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth()
    + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function duration(fromIso: string, toIso?: string): string {
  const ms = (toIso ? Date.parse(toIso) : Date.now()) - Date.parse(fromIso);
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function shortId(id: string): string {
  return id.length > 13 ? `${id.slice(0, 8)}…` : id;
}

const LABELS: Record<string, string> = {
  RECEIVED: 'Received', PROCESSING: 'Processing', PAUSED: 'Paused', COMPLETED: 'Completed', PARTIALLY_COMPLETED: 'Partially completed',
  FAILED: 'Failed', CANCELLED: 'Cancelled', RESOLVED: 'Payee found', QUOTED: 'Quoted', SENT: 'Sent',
};

export function statusLabel(s: string): string {
  return LABELS[s] ?? s;
}
