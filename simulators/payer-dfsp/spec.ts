/**
 * The SDK scheme adapter's own contract, from @mojaloop/api-snippets (outbound v2.1 for the API we serve, backend
 * v2.1 for the bulk transaction report we send to the caller's back office). Ajv, compiled once per schema.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

// Kept in simulators/specs (from @mojaloop/api-snippets; see its README).
const OUTBOUND = path.join(__dirname, '..', 'specs', 'sdk-scheme-adapter-outbound-v2_1_0-openapi3-snippets.yaml');
const BACKEND = path.join(__dirname, '..', 'specs', 'sdk-scheme-adapter-backend-v2_1_0-openapi3-snippets.yaml');

let ajv: Ajv | undefined;
const cache = new Map<string, ValidateFunction>();

function load(): Ajv {
  if (ajv) return ajv;
  ajv = new Ajv({ strict: false, allErrors: false, validateFormats: true });
  addFormats(ajv);
  for (const [id, file] of [['sdk-outbound', OUTBOUND], ['sdk-backend', BACKEND]] as const) {
    const doc = parseYaml(readFileSync(file, 'utf8')) as { components: Record<string, unknown> };
    ajv.addSchema({ $id: id, components: doc.components });
  }
  // PUT /transfers/{id} and PUT /bulkTransactions/{id} bodies are inline oneOfs in the paths
  ajv.addSchema({ $id: 'sdk-outbound-transferContinuation', oneOf: [
    { $ref: 'sdk-outbound#/components/schemas/transferContinuationAcceptParty' },
    { $ref: 'sdk-outbound#/components/schemas/transferContinuationAcceptQuote' },
  ] });
  ajv.addSchema({ $id: 'sdk-outbound-bulkTransactionContinuation', oneOf: [
    { $ref: 'sdk-outbound#/components/schemas/bulkTransactionContinuationAcceptParty' },
    { $ref: 'sdk-outbound#/components/schemas/bulkTransactionContinuationAcceptQuote' },
  ] });
  return ajv;
}

/** A schema of the outbound spec by name ("transferRequest"), of the backend spec ("backend:bulkTransactionResponse"), or a path oneOf
 * ("transferContinuation", "bulkTransactionContinuation"). */
export function sdkValidator(name: string): ValidateFunction {
  let v = cache.get(name);
  if (v) return v;
  const a = load();
  if (name === 'transferContinuation' || name === 'bulkTransactionContinuation') v = a.getSchema(`sdk-outbound-${name}`);
  else if (name.startsWith('backend:')) v = a.getSchema(`sdk-backend#/components/schemas/${name.slice(8)}`);
  else v = a.getSchema(`sdk-outbound#/components/schemas/${name}`);
  if (!v) throw new Error(`no schema ${name} in the SDK scheme adapter spec`);
  cache.set(name, v);
  return v;
}

/** A readable summary of the first validation error. */
export function describeErrors(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (!e) return 'invalid';
  return `${e.instancePath || '/'} ${e.message ?? e.keyword}`.trim();
}

/** Undefined when valid, else the first error in words. */
export function sdkProblem(name: string, body: unknown): string | undefined {
  const v = sdkValidator(name);
  return v(body) ? undefined : describeErrors(v.errors);
}

export const SDK_SCHEMAS = [
  'transferRequest', 'transferResponse', 'transferContinuation', 'transferStatusResponse', 'errorTransferResponse',
  'bulkQuoteRequest', 'bulkQuoteResponse', 'bulkQuoteErrorResponse', 'bulkTransferRequest', 'bulkTransferResponse',
  'bulkTransferErrorResponse', 'bulkTransactionRequest', 'bulkTransactionContinuation', 'partiesByIdResponse',
  'errorResponse', 'backend:bulkTransactionResponse',
];

export function warmSdkValidators(): void {
  for (const n of SDK_SCHEMAS) sdkValidator(n);
}
