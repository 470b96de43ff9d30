/**
 * The console's only way to the orchestrator: same-origin fetches, with the operator's bearer token when one is
 * set (the orchestrator's intake will ask for one), and errors in the native format turned into readable text.
 */

const TOKEN_KEY = 'gpo.console.token';

export function getToken(): string {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

export function setToken(token: string): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // private mode: the token lasts for this page only
  }
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = getToken();
  return { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra };
}

async function failure(res: Response): Promise<ApiError> {
  let code = `HTTP_${res.status}`;
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { errorCode?: string; message?: string; error?: { code?: string; message?: string } };
    code = body.errorCode ?? body.error?.code ?? code;
    message = body.message ?? body.error?.message ?? message;
  } catch {
    // not JSON: keep the status line
  }
  if (res.status === 401 || res.status === 403) message += ' — check the API token (Settings)';
  return new ApiError(res.status, code, message);
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers: headers(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** Downloads a file the API serves (the report) with the token, under the name the server gives. */
export async function download(path: string, fallbackName: string): Promise<void> {
  const res = await fetch(path, { headers: headers({ accept: 'text/csv' }) });
  if (!res.ok) throw await failure(res);
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

// ---- shapes the console reads (the native API's, see docs/native-api.md)

export type BatchStatus = 'RECEIVED' | 'PROCESSING' | 'PAUSED' | 'COMPLETED' | 'PARTIALLY_COMPLETED' | 'FAILED' | 'CANCELLED';
export type PaymentStatus = 'RECEIVED' | 'RESOLVED' | 'QUOTED' | 'SENT' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

export interface StatusLine { count: number; amount: string; countPercentage: string; amountPercentage: string }

export interface Batch {
  id: string;
  source: string;
  reference?: string;
  idempotencyKey: string;
  status: BatchStatus;
  currency: string;
  rail: string;
  railMode?: string;
  note?: string;
  webhookUrl?: string;
  declaredCount?: number;
  declaredAmount?: string;
  totalCount: number;
  totalAmount: string;
  byStatus: Record<PaymentStatus, StatusLine>;
  summary: { ongoing: number; successful: number; failed: number; cancelled: number; successfulAmount: string; pendingAmount: string; failedAmount: string; cancelledAmount: string; finishedPercentage: string };
  amountDebited: string;
  amountCredited: string;
  fees: string;
  createdAt: string;
  updatedAt: string;
  completedAt?: string;
}

export interface Page<T> { total: number; offset: number; limit: number; items: T[] }

export interface Payment {
  position: number;
  reference: string;
  payeeIdType: string;
  payeeIdValue: string;
  payeeFsp?: string;
  amount: string;
  currency: string;
  status: PaymentStatus;
  transferId?: string;
  fee?: string;
  amountCredited?: string;
  errorCode?: string;
  errorDescription?: string;
  attempts: number;
  completedAt?: string;
}

export interface FailureLine { errorCode: string; errorDescription?: string; statuses: string[]; count: number; amount: string }

export interface ConsoleConfig {
  orchestrator: { currency: string; rail: string; railMode: string; payerFspId: string };
  world: Array<{ name: string; role: 'switch' | 'als' | 'payer' | 'payee' | 'pil' }>;
}

export interface NotificationEntry { id: string; channel: string; batchId: string; event: string; url: string; outcome: 'delivered' | 'dead' | 'pending'; attempts: number; lastError?: string; at: string }
export interface NotificationPage { source: 'memory' | 'outbox'; since: string; counts: Record<string, number>; items: NotificationEntry[] }
