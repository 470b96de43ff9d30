/**
 * A small fake of the payer DFSP's SDK outbound API (POST /transfers, PUT /transfers/{id}, GET /parties) for the
 * PIL simulator's tests: records every request, credits a ledger once per homeTransactionId, and can hold
 * transfers until released. Requests are checked against the official SDK outbound spec.
 */
import { readFileSync } from 'node:fs';
import Hapi from '@hapi/hapi';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { randomUUID } from 'node:crypto';
import { fromUnits, toUnits } from '../../shared/money';

const SPEC = 'simulators/specs/sdk-scheme-adapter-outbound-v2_1_0-openapi3-snippets.yaml';

let ajv: Ajv | undefined;
function sdkAjv(): Ajv {
  if (!ajv) {
    const doc = parse(readFileSync(SPEC, 'utf8')) as Record<string, unknown>;
    ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ $id: 'sdk', components: (doc as { components: unknown }).components });
  }
  return ajv;
}

/** Validates a body against a schema of the official SDK outbound spec; returns the errors as text, '' if valid. */
export function sdkSchemaErrors(schema: string, body: unknown): string {
  const validate = sdkAjv().getSchema(`sdk#/components/schemas/${schema}`);
  if (!validate) throw new Error(`no schema ${schema} in the SDK outbound spec`);
  return validate(body) ? '' : sdkAjv().errorsText(validate.errors);
}

export interface FakeSdkOptions {
  /** Party ids (regex) the fake answers 3204 for. */
  unknown?: RegExp;
  /** Party ids (regex) for which the fake waits for acceptParty / acceptQuote. */
  twoStep?: RegExp;
  /** Fee taken by the payee FSP (decimal string), credited amount = amount - fee. */
  payeeFee?: string;
}

export interface FakeSdk {
  url: string;
  /** Every POST /transfers body. */
  transfers: Array<Record<string, unknown>>;
  puts: Array<{ transferId: string; body: Record<string, unknown> }>;
  /** Spec violations seen in requests. */
  invalid: string[];
  /** Credited amount per payee id (once per homeTransactionId). */
  credits: Map<string, string>;
  maxInFlight: number;
  hold(): void;
  release(): void;
  stop(): Promise<void>;
}

export async function startFakeSdk(opts: FakeSdkOptions = {}): Promise<FakeSdk> {
  const transfers: FakeSdk['transfers'] = [];
  const puts: FakeSdk['puts'] = [];
  const invalid: string[] = [];
  const credits = new Map<string, string>();
  const paid = new Map<string, Record<string, unknown>>();
  const pending = new Map<string, { body: Record<string, unknown>; state: string }>();
  let inFlight = 0;
  let maxInFlight = 0;
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;

  const fee = opts.payeeFee ?? '0';
  const complete = (transferId: string, body: Record<string, unknown>) => {
    const to = body.to as { idValue: string };
    const home = String(body.homeTransactionId);
    const amount = String(body.amount);
    const credited = fromUnits(toUnits(amount) - toUnits(fee));
    if (!paid.has(home)) {
      paid.set(home, body);
      credits.set(to.idValue, fromUnits(toUnits(credits.get(to.idValue) ?? '0') + toUnits(credited)));
    }
    return {
      ...body, transferId, currentState: 'COMPLETED', quoteId: randomUUID(),
      quoteResponse: { body: { transferAmount: { currency: body.currency, amount }, payeeReceiveAmount:
        { currency: body.currency, amount: credited }, expiration: new Date(Date.now() + 60_000).toISOString(), ilpPacket:
          'AYIBgQAAAAAAAASwNGxldmVsb25lLmRmc3AxLm1lci45T2RTOF91MDdDVC1QSmdJRWpLVmFNRnB1', condition:
            'f5sqb7tBTWPd5Y8BDFdMm9BJR_MNI4isf8p8n4D5pHA' } },
      fulfil: { body: { transferState: 'COMMITTED', completedTimestamp: new Date().toISOString() } },
    };
  };
  const error = (body: Record<string, unknown>, code: string, description: string, http = 500) => ({
    http,
    body: {
      statusCode: code, message: description,
      transferState: { ...body, transferId: randomUUID(), currentState: 'ERROR_OCCURRED', lastError:
        { httpStatusCode: http, mojaloopError: { errorInformation: { errorCode: code, errorDescription: description } } } },
    },
  });

  const server = Hapi.server({ port: 0, host: '127.0.0.1' });
  server.route({
    method: 'POST',
    path: '/transfers',
    handler: async (req, h) => {
      const body = req.payload as Record<string, unknown>;
      transfers.push(body);
      const problems = sdkSchemaErrors('transferRequest', body);
      if (problems) invalid.push(problems);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        if (gate) await gate;
        await new Promise((r) => setImmediate(r));
        const to = body.to as { idValue: string };
        if (opts.unknown?.test(to.idValue)) {
          const e = error(body, '3204', 'Party not found');
          return h.response(e.body).code(e.http);
        }
        const transferId = randomUUID();
        if (opts.twoStep?.test(to.idValue)) {
          pending.set(transferId, { body, state: 'WAITING_FOR_PARTY_ACCEPTANCE' });
          return { ...body, transferId, currentState: 'WAITING_FOR_PARTY_ACCEPTANCE', getPartiesResponse:
            { body: { party: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: to.idValue, fspId: 'payeefsp1' } } } } };
        }
        return complete(transferId, body);
      } finally {
        inFlight--;
      }
    },
  });
  server.route({
    method: 'PUT',
    path: '/transfers/{transferId}',
    handler: (req, h) => {
      const transferId = String(req.params.transferId);
      const body = req.payload as Record<string, unknown>;
      puts.push({ transferId, body });
      const t = pending.get(transferId);
      if (!t) return h.response({ statusCode: '3208', message: 'unknown transfer' }).code(404);
      if (t.state === 'WAITING_FOR_PARTY_ACCEPTANCE' && body.acceptParty === true) {
        t.state = 'WAITING_FOR_QUOTE_ACCEPTANCE';
        return { ...t.body, transferId, currentState: t.state, quoteResponse:
          { body: { transferAmount: { currency: t.body.currency, amount: t.body.amount }, expiration:
            new Date(Date.now() + 60_000).toISOString(), ilpPacket: 'AYIB', condition: 'f5sqb7tBTWPd5Y8BDFdMm9BJR_MNI4isf8p8n4D5pHA' } } };
      }
      if (t.state === 'WAITING_FOR_QUOTE_ACCEPTANCE' && body.acceptQuote === true) {
        pending.delete(transferId);
        return complete(transferId, t.body);
      }
      return h.response({ statusCode: '3100', message: `unexpected ${JSON.stringify(body)} in ${t.state}` }).code(400);
    },
  });
  server.route({
    method: 'GET',
    path: '/parties/{type}/{id}',
    handler: (req, h) => {
      const id = String(req.params.id);
      if (opts.unknown?.test(id)) return h.response({ statusCode: '3204', message: 'Party not found', errorInformation:
        { errorCode: '3204', errorDescription: 'Party not found' } }).code(404);
      return { currentState: 'COMPLETED', party: { headers: {}, body:
        { partyIdInfo: { partyIdType: req.params.type, partyIdentifier: id, fspId: 'payeefsp1' }, name: `Person ${id.slice(-4)}` } } };
    },
  });
  await server.start();
  return {
    url: `http://127.0.0.1:${server.info.port}`,
    transfers, puts, invalid, credits,
    get maxInFlight() { return maxInFlight; },
    hold: () => { gate = new Promise((r) => { open = r; }); },
    release: () => { open?.(); gate = undefined; },
    stop: () => server.stop({ timeout: 100 }),
  };
}
