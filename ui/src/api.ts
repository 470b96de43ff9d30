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

// ---- shapes the console reads: the native API's own (type-only imports: nothing of the server is bundled)

import type { BatchStatus, PaymentStatus, PaymentView } from '../../orchestrator/domain/types';
import type { FailureLine, NativeBatch, StatusLine } from '../../orchestrator/intake/native/report';
import type { NotificationEntry, NotificationPage } from '../../orchestrator/notify/journal';

export type { BatchStatus, FailureLine, NotificationEntry, NotificationPage, PaymentStatus, StatusLine };
export type Batch = NativeBatch;
export type Payment = PaymentView;

export interface Page<T> { total: number; offset: number; limit: number; items: T[] }

export interface ConsoleConfig {
  orchestrator: { currency: string; rail: string; railMode: string; payerFspId: string };
  world: Array<{ name: string; role: 'switch' | 'als' | 'payer' | 'payee' | 'pil' }>;
}
