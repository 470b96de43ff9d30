/**
 * Where a running payer DFSP simulator sends its bulk transaction prompts and reports (the SDK's BACKEND_ENDPOINT),
 * set through its admin API: GPO's `sdkBackendUrl` once the orchestrator listens, wherever the simulator runs.
 */
import { request } from 'undici';

export async function setPayerBackend(payerOutboundUrl: string, backendUrl: string | null): Promise<void> {
  const res = await request(`${payerOutboundUrl.replace(/\/+$/, '')}/admin/backend`, {
    method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: backendUrl }),
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`the payer DFSP refused its back-office URL ${backendUrl}: HTTP ${res.statusCode} ${text}`);
}
