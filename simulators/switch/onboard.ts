/**
 * Onboarding a DFSP on a hub through central-ledger's admin conventions (participant, callback endpoints, initial
 * position and net debit cap): the calls a provisioning script makes against a real hub, made here against the switch.
 */
import { standardEndpointTemplates } from './participants';

/** Central-ledger endpoint types with the URL templates a provisioning script registers for a DFSP at `base`. */
export const standardEndpoints = standardEndpointTemplates;

async function adminPost(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300 && !(res.status === 400 && /already|exists/i.test(text))) {
    throw new Error(`POST ${url} answered ${res.status}: ${text.slice(0, 200)}`);
  }
}

/** Onboards a DFSP on a hub through the central-ledger admin conventions (the same calls a real hub takes). */
export async function onboardParticipant(hubUrl: string, name: string, callbackBase: string,
  opts: { currency?: string; netDebitCap?: string } = {}): Promise<void> {
  const currency = opts.currency ?? 'USD';
  await adminPost(`${hubUrl}/participants`, { name, currency });
  for (const ep of standardEndpoints(callbackBase)) await adminPost(`${hubUrl}/participants/${name}/endpoints`, ep);
  await adminPost(`${hubUrl}/participants/${name}/initialPositionAndLimits`, {
    currency, limit: { type: 'NET_DEBIT_CAP', value: Number(opts.netDebitCap ?? '1000000000') }, initialPosition: 0,
  });
}
