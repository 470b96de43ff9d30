/**
 * The G2P Connect Mapper adapter of the payee resolver port (SPAR and any mapper of the Mapper API v1.0.0).
 * - sync:  POST {url}/mapper/sync/resolve, the on-resolve envelope in the answer;
 * - async: POST {url}/mapper/resolve, ACK, the on-resolve envelope later at `callbackUrl` (served by `routes()`).
 * Payees go in messages of `batchSize`, `concurrency` messages in flight, each item with its own reference_id and
 * scope `details`; answers are matched by reference_id, never by position or id. A message that fails as a whole
 * (unreachable, 5xx, timeout, lost callback) is asked again, up to `attempts` times, with only the payees still
 * unanswered: resolving reads and moves nothing, so asking twice is harmless.
 */
import type { ServerRoute } from '@hapi/hapi';
import type { Logger } from 'pino';
import { newId } from '../../shared/ids';
import { componentLogger } from '../../shared/logger';
import { backoffDelay } from '../../shared/backoff';
import { delay } from '../../shared/concurrency';
import { JsonClient } from '../rails/http';
import { RailCallError } from '../rails/port';
import { parseMapperAddress } from './financial-address';
import { RESOLVE_ERRORS, type PayeeResolver, type PayeeToResolve, type Resolution } from './port';
import { ErrorCode } from '../../shared/fspiop-errors';

export interface G2pMapperOptions {
  /** The mapper's base URL, e.g. http://127.0.0.1:4060 (paths /mapper/... are appended). */
  url: string;
  mode?: 'sync' | 'async';
  /** header.sender_id (default `gpo`) and receiver_id (optional). */
  senderId?: string;
  receiverId?: string;
  /** async: the full URL where this resolver's on-resolve route is reachable (header.sender_uri). */
  callbackUrl?: string;
  /** Resolve requests per message (default 1000) and messages in flight (default 4). */
  batchSize?: number;
  concurrency?: number;
  /** How long one message may take: the sync answer, or the ACK and the callback (default 30000 ms). */
  timeoutMs?: number;
  /** Attempts per message (default 3), backoff from `retryBaseMs` (default 250) to `retryMaxMs` (default 5000). */
  attempts?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Provider code (bank code, wallet provider) → payee FSP id; without a map the provider is the FSP id. */
  providers?: Record<string, string>;
  logger?: Logger;
  /** The backoff's jitter, in [0, 1): pass a seeded source for reproducible runs (default Math.random). */
  random?: () => number;
}

type Answer = { kind: 'items'; items: unknown[] } | { kind: 'failed'; errorCode: string; description: string; transient: boolean;
  reasonCode?: string };

interface Waiting {
  settle(a: Answer): void;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
/** Reasons a mapper gives for an id it has no payable address for. */
const NO_ADDRESS = new Set(['succ.id.not_found', 'succ.fa.not_found', 'succ.fa.not_linked_to_id', 'succ.id.inactive', 'succ.fa.inactive']);

export class G2pMapperResolver implements PayeeResolver {
  readonly name = 'g2p-mapper';
  private readonly client: JsonClient;
  private readonly mode: 'sync' | 'async';
  private readonly waiting = new Map<string, Waiting>();
  private readonly log: Logger;
  private readonly providers?: Map<string, string>;
  /** Callbacks for no message in flight (late after a timeout, or repeated). */
  unexpectedCallbacks = 0;

  constructor(private readonly opts: G2pMapperOptions) {
    this.mode = opts.mode ?? 'sync';
    if (this.mode === 'async'
      && !opts.callbackUrl) throw new Error('the async G2P Connect mapper resolver needs callbackUrl (where on-resolve arrives)');
    this.client = new JsonClient(opts.url, opts.timeoutMs ?? 30_000, undefined, Math.max(4, opts.concurrency ?? 4));
    this.log = opts.logger ?? componentLogger('resolver', { resolver: this.name });
    if (opts.providers) this.providers = new Map(Object.entries(opts.providers).map(([k, v]) => [k.toLowerCase(), v]));
  }

  async resolve(payees: readonly PayeeToResolve[], context: { batchId?: string } = {}): Promise<Resolution[]> {
    const size = Math.max(1, Math.min(this.opts.batchSize ?? 1000, 10_000));
    const batches: Array<readonly PayeeToResolve[]> = [];
    for (let k = 0; k < payees.length; k += size) batches.push(payees.slice(k, k + size));
    const results: Resolution[][] = new Array(batches.length);
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const b = next++;
        results[b] = await this.resolveMessage(batches[b], context.batchId);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.opts.concurrency ?? 4, batches.length)) }, worker));
    return results.flat();
  }

  /** One message's payees: asked until each has an answer or the attempts run out. */
  private async resolveMessage(payees: readonly PayeeToResolve[], batchId?: string): Promise<Resolution[]> {
    const out: Array<Resolution | undefined> = new Array(payees.length);
    let open = payees.map((_, i) => i);
    const attempts = Math.max(1, this.opts.attempts ?? 3);
    let last: Extract<Answer, { kind: 'failed' }> = { kind: 'failed', errorCode: RESOLVE_ERRORS.timeout, description:
      'the mapper did not answer', transient: true };
    for (let attempt = 1; attempt <= attempts && open.length; attempt++) {
      if (attempt > 1) await delay(backoffDelay(attempt - 1,
        { baseDelayMs: this.opts.retryBaseMs ?? 250, maxDelayMs: this.opts.retryMaxMs ?? 5000 }, (this.opts.random ?? Math.random)()));
      const answer = await this.ask(open.map((i) => ({ ref: String(i), id: payees[i].id })));
      if (answer.kind === 'failed') {
        last = answer;
        this.log.warn({ batchId, attempt, payees: open.length, errorCode: answer.errorCode, reason: answer.reasonCode, err:
          answer.description }, 'mapper resolve failed');
        if (!answer.transient) break;
        continue;
      }
      const asked = new Set(open);
      for (const item of answer.items) {
        if (!isObject(item) || typeof item.reference_id !== 'string') continue;
        const i = Number(item.reference_id);
        if (!asked.has(i) || out[i]) continue;
        out[i] = this.outcome(payees[i].key, item);
      }
      open = open.filter((i) => !out[i]);
      if (open.length) {
        last = { kind: 'failed', errorCode: RESOLVE_ERRORS.timeout, description:
          `the mapper's answer left out ${open.length} of the payees asked`, transient: true };
        this.log.warn({ batchId, attempt, missing: open.length }, 'mapper answer incomplete');
      }
    }
    const failed = last;
    return Array.from(payees, (_, i) => out[i] ?? { key: payees[i].key, outcome: 'unresolved', errorCode: failed.errorCode, description:
      failed.description, transient: failed.transient, ...(failed.reasonCode ? { reasonCode: failed.reasonCode } : {}) });
  }

  /** One item of a resolve_response read into an outcome. */
  private outcome(key: string, item: Record<string, unknown>): Resolution {
    const code = typeof item.status_reason_code === 'string' ? item.status_reason_code : undefined;
    const message = typeof item.status_reason_message === 'string' ? item.status_reason_message.slice(0, 200) : '';
    const unresolved = (errorCode: string, description: string, transient = false): Resolution =>
      ({ key, outcome: 'unresolved', errorCode, description, transient, ...(code ? { reasonCode: code } : {}) });
    if (item.status === 'rjct') return unresolved(RESOLVE_ERRORS.invalid, `mapper refused the id: ${code ?? 'rjct'}${message
      ? ` (${message})` : ''}`);
    if (item.status !== 'succ') return unresolved(RESOLVE_ERRORS.timeout, `mapper answered status ${String(item.status)} for the id`, true);
    if (code && NO_ADDRESS.has(code)) return unresolved(RESOLVE_ERRORS.notFound, `no payable financial address: ${code}${message
      ? ` (${message})` : ''}`);
    if (item.fa === undefined || item.fa === null || item.fa === '') return unresolved(RESOLVE_ERRORS.internal, `mapper answered ${code
      ?? 'succ'} without a financial address`);
    const parsed = parseMapperAddress(item.fa);
    if (!parsed) return unresolved(RESOLVE_ERRORS.invalid,
      `the mapper's financial address cannot be read: ${JSON.stringify(item.fa).slice(0, 80)}`);
    const fsp = this.providers ? this.providers.get(parsed.provider.toLowerCase()) : parsed.provider;
    if (!fsp) return unresolved(ErrorCode.DESTINATION_FSP_ERROR, `no payee FSP is configured for provider ${parsed.provider}`);
    const info = isObject(item.account_provider_info) ? item.account_provider_info : undefined;
    const r: Resolution = {
      key, outcome: 'resolved', fa: typeof item.fa === 'string' ? item.fa : JSON.stringify(item.fa), kind: parsed.kind, provider:
        parsed.provider,
      payeeFsp: fsp, payeeIdType: parsed.payeeIdType, payeeIdValue: parsed.value,
    };
    if (parsed.bankCode) r.bankCode = parsed.bankCode;
    const branch = parsed.branchCode ?? (typeof info?.subcode === 'string' ? info.subcode : undefined);
    if (branch) r.branchCode = branch;
    const name = parsed.providerName ?? (typeof info?.name === 'string' ? info.name : undefined);
    if (name) r.name = name;
    return r;
  }

  private envelope(items: Array<{ ref: string; id: string }>, transactionId: string) {
    const ts = new Date().toISOString();
    const header: Record<string, unknown> = {
      version: '1.0.0', message_id: newId(), message_ts: ts, action: 'resolve', sender_id: this.opts.senderId ?? 'gpo', total_count:
        items.length, is_msg_encrypted: false,
    };
    if (this.opts.receiverId) header.receiver_id = this.opts.receiverId;
    if (this.mode === 'async') header.sender_uri = this.opts.callbackUrl;
    return { header, message: { transaction_id: transactionId, resolve_request:
      items.map((it) => ({ reference_id: it.ref, timestamp: ts, id: it.id, scope: 'details' })) } };
  }

  /** Sends one message and reads its answer (sync) or waits for its callback (async). Never throws. */
  private async ask(items: Array<{ ref: string; id: string }>): Promise<Answer> {
    const transactionId = newId();
    const body = this.envelope(items, transactionId);
    let callback: Promise<Answer> | undefined;
    let timer: NodeJS.Timeout | undefined;
    if (this.mode === 'async') {
      callback = new Promise<Answer>((resolve) => {
        this.waiting.set(transactionId, { settle: resolve });
        timer = setTimeout(() => resolve({ kind: 'failed', errorCode: RESOLVE_ERRORS.timeout, description:
          `no on-resolve callback within ${this.opts.timeoutMs ?? 30_000} ms`, transient: true }), this.opts.timeoutMs ?? 30_000);
      });
    }
    try {
      const res = await this.client.call('POST', this.mode === 'sync' ? '/mapper/sync/resolve' : '/mapper/resolve',
        `mapper.${this.mode}.resolve`, body);
      const refused = this.refusal(res.status, res.body);
      if (refused) return refused;
      if (this.mode === 'sync') return this.read(res.body);
      const b = res.body as { message?: { ack_status?: unknown } } | undefined;
      if (b?.message?.ack_status !== 'ACK') return { kind: 'failed', errorCode: RESOLVE_ERRORS.internal, description:
        `mapper did not acknowledge: ${JSON.stringify(res.body).slice(0, 120)}`, transient: true };
      return await callback!;
    } catch (err) {
      const e = err as RailCallError;
      return { kind: 'failed', errorCode: e.errorCode ?? RESOLVE_ERRORS.unreachable, description: `mapper: ${e.message}`, transient: true };
    } finally {
      clearTimeout(timer);
      this.waiting.delete(transactionId);
    }
  }

  /** A whole-message refusal: HTTP errors, ack ERR, or a header rejected (rjct). */
  private refusal(status: number, body: unknown): Extract<Answer, { kind: 'failed' }> | undefined {
    const b = isObject(body) ? body : {};
    const ackErr = isObject(b.message) && b.message.ack_status === 'ERR' && isObject(b.message.error) ? b.message.error : undefined;
    const header = isObject(b.header) ? b.header : undefined;
    if (status >= 500) return { kind: 'failed', errorCode: RESOLVE_ERRORS.unavailable, description: `mapper answered HTTP ${status}`,
      transient: true };
    if (ackErr) {
      const code = String(ackErr.code ?? 'err.request.bad');
      const transient = code === 'err.service.unavailable' || code === 'err.request.timeout' || code === 'err.request.too_many_requests';
      return { kind: 'failed', errorCode: transient ? RESOLVE_ERRORS.unavailable : RESOLVE_ERRORS.invalid, description:
        `mapper refused the message: ${code} ${String(ackErr.message ?? '').slice(0, 200)}`, transient, reasonCode: code };
    }
    if (header?.status === 'rjct') {
      const code = String(header.status_reason_code ?? 'rjct');
      return { kind: 'failed', errorCode: RESOLVE_ERRORS.invalid, description:
        `mapper rejected the message: ${code} ${String(header.status_reason_message ?? '').slice(0, 200)}`, transient: false, reasonCode:
          code };
    }
    if (status >= 400) return { kind: 'failed', errorCode: RESOLVE_ERRORS.invalid, description: `mapper answered HTTP ${status}`, transient:
      false };
    return undefined;
  }

  private read(body: unknown): Answer {
    const refused = this.refusal(200, body);
    if (refused) return refused;
    const items = isObject(body) && isObject(body.message) ? body.message.resolve_response : undefined;
    if (!Array.isArray(items)) return { kind: 'failed', errorCode: RESOLVE_ERRORS.internal, description:
      'mapper answer has no message.resolve_response list', transient: true };
    return { kind: 'items', items };
  }

  /** Takes an on-resolve envelope (the async callback): the answer to the G2P Connect sender. */
  receive(body: unknown): { status: number; body: unknown } {
    const ack = (error?: { code: string; message: string }) => ({ message:
      { ack_status: error ? 'ERR' : 'ACK', timestamp: new Date().toISOString(), correlation_id: newId(), ...(error ? { error } : {}) } });
    const transactionId = isObject(body) && isObject(body.message) ? body.message.transaction_id : undefined;
    if (typeof transactionId !== 'string') return { status: 400, body:
      ack({ code: 'err.request.bad', message: 'expected {header, message: {transaction_id, resolve_response}}' }) };
    const w = this.waiting.get(transactionId);
    if (!w) {
      this.unexpectedCallbacks++;
      this.log.info({ transactionId }, 'on-resolve for no message in flight (late or repeated): ignored');
      return { status: 200, body: ack() };
    }
    this.waiting.delete(transactionId);
    w.settle(this.read(body));
    return { status: 200, body: ack() };
  }

  /** The hapi route that takes on-resolve callbacks (mount it where `callbackUrl` points). */
  routes(path = '/mapper/on-resolve'): ServerRoute[] {
    return [{
      method: 'POST', path,
      options: { payload: { maxBytes: 20 * 1024 * 1024 } },
      handler: (req, h) => {
        const r = this.receive(req.payload);
        return h.response(r.body as object).code(r.status);
      },
    }];
  }

  async close(): Promise<void> {
    for (const [id, w] of this.waiting) {
      this.waiting.delete(id);
      w.settle({ kind: 'failed', errorCode: RESOLVE_ERRORS.unreachable, description: 'the resolver was closed', transient: true });
    }
    await this.client.close();
  }
}
