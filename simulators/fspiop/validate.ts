/**
 * Validation of FSPIOP messages against the official v1.1 OpenAPI in `@mojaloop/api-snippets` (Ajv, each schema
 * compiled once): the schema for every request and callback, the spec's synchronous answer for a bad message
 * (400 with 3100 / 3101 / 3102 / 3103, 406 with 3001), and a bounded log of the violations a peer committed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { errorBody, HeaderProblem } from './errors';
import { checkHeaders, FspiopResource } from './headers';
import { ErrorCode } from '../../shared/fspiop-errors';

// The official v1.1 definition, kept in simulators/specs (from @mojaloop/api-snippets; see its README).
const SPEC_PATH = path.join(__dirname, '..', 'specs', 'fspiop-rest-v1.1-openapi3-snippets.yaml');
let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

/** Compiled validator for a schema of the v1.1 spec (compiled once, then cached). */
export function specValidator(schemaName: string): ValidateFunction {
  let v = validators.get(schemaName);
  if (v) return v;
  if (!ajv) {
    const doc = parseYaml(readFileSync(SPEC_PATH, 'utf8')) as { components: Record<string, unknown> };
    ajv = new Ajv({ strict: false, allErrors: false, validateFormats: true });
    addFormats(ajv);
    ajv.addSchema({ $id: 'fspiop-v1.1', components: doc.components });
  }
  v = ajv.getSchema(`fspiop-v1.1#/components/schemas/${schemaName}`);
  if (!v) throw new Error(`no schema ${schemaName} in the FSPIOP v1.1 spec`);
  validators.set(schemaName, v);
  return v;
}

/** Validates a body; returns the spec's sync answer (400 with 3100/3102/3103) or undefined. */
export function checkBody(schemaName: string, body: unknown): HeaderProblem | undefined {
  const v = specValidator(schemaName);
  if (v(body)) return undefined;
  const e = v.errors?.[0];
  if (!e) return { status: 400, body: errorBody(ErrorCode.VALIDATION_ERROR) };
  const where = e.instancePath || '/';
  if (e.keyword === 'required') return { status: 400, body: errorBody(ErrorCode.MISSING_ELEMENT, `${where} ${e.message ?? ''}`.trim()) };
  if (e.keyword === 'maxItems') return { status: 400, body: errorBody('3103', `${where} ${e.message ?? ''}`.trim()) };
  return { status: 400, body: errorBody(ErrorCode.VALIDATION_ERROR, `${where} ${e.message ?? ''}`.trim()) };
}

/** Compiles the given schemas now, so the first request pays nothing. */
export function warmValidators(names: string[] = ALL_SCHEMAS): void {
  for (const n of names) specValidator(n);
}

/** What a message is, from its method and path: resource, whether it is a callback, and its body schema. */
export interface MessageKind {
  resource: FspiopResource;
  isCallback: boolean;
  /** Undefined for messages without a body (GET, DELETE). */
  schema?: string;
}

const POST_SCHEMAS: Partial<Record<FspiopResource, string>> = {
  quotes: 'QuotesPostRequest', transfers: 'TransfersPostRequest', bulkQuotes: 'BulkQuotesPostRequest',
  bulkTransfers: 'BulkTransfersPostRequest', participants: 'ParticipantsPostRequest',
};
const PUT_SCHEMAS: Partial<Record<FspiopResource, string>> = {
  quotes: 'QuotesIDPutResponse', transfers: 'TransfersIDPutResponse', bulkQuotes: 'BulkQuotesIDPutResponse',
  bulkTransfers: 'BulkTransfersIDPutResponse', parties: 'PartiesTypeIDPutResponse', participants: 'ParticipantsTypeIDPutResponse',
};
const RESOURCES = new Set<string>(['parties', 'participants', 'quotes', 'transfers', 'bulkQuotes', 'bulkTransfers']);

/** Every schema the kit validates, for warming up at start. */
export const ALL_SCHEMAS = [...new Set([...Object.values(POST_SCHEMAS), ...Object.values(PUT_SCHEMAS), 'ErrorInformationObject',
  'TransfersIDPatchResponse', 'ParticipantsIDPutResponse'])] as string[];

/**
 * The kind of an FSPIOP message. POST /participants/{Type}/{ID} is ParticipantsTypeIDSubIDPostRequest; the batch
 * POST /participants is ParticipantsPostRequest; PUT /participants/{ID} (batch answer) is ParticipantsIDPutResponse.
 */
export function messageKind(method: string, path: string): MessageKind | undefined {
  const parts = path.split('?')[0].split('/').filter(Boolean);
  const resource = parts[0];
  if (!RESOURCES.has(resource)) return undefined;
  const r = resource as FspiopResource;
  const M = method.toUpperCase();
  const isError = M === 'PUT' && parts[parts.length - 1] === 'error';
  if (M === 'GET' || M === 'DELETE') return { resource: r, isCallback: false };
  if (isError) return { resource: r, isCallback: true, schema: 'ErrorInformationObject' };
  if (M === 'PATCH') return r === 'transfers' ? { resource: r, isCallback: true, schema: 'TransfersIDPatchResponse' } : undefined;
  if (M === 'POST') {
    if (r === 'participants' && parts.length >= 3) return { resource: r, isCallback: false, schema: 'ParticipantsTypeIDSubIDPostRequest' };
    const schema = POST_SCHEMAS[r];
    return schema ? { resource: r, isCallback: false, schema } : undefined;
  }
  if (M === 'PUT') {
    if (r === 'participants' && parts.length === 2) return { resource: r, isCallback: true, schema: 'ParticipantsIDPutResponse' };
    const schema = PUT_SCHEMAS[r];
    return schema ? { resource: r, isCallback: true, schema } : undefined;
  }
  return undefined;
}

/** Headers, then body, of any FSPIOP message: the spec's sync answer, or undefined when it is valid. */
export function validateMessage(method: string, path: string, headers: Record<string, unknown>, body: unknown): HeaderProblem | undefined {
  const kind = messageKind(method, path);
  if (!kind) return { status: 404, body: errorBody(ErrorCode.UNKNOWN_URI, `${method} ${path} is not an FSPIOP message`) };
  return checkHeaders(headers, kind.resource, { hasBody: kind.schema !== undefined, isCallback: kind.isCallback })
    ?? (kind.schema ? checkBody(kind.schema, body) : undefined);
}

export interface Violation {
  at: string;
  method: string;
  path: string;
  source?: string;
  errorCode: string;
  detail: string;
}

/** What peers got wrong, newest last, bounded (so a test or scenario can list it). */
export class ViolationLog {
  readonly items: Violation[] = [];

  constructor(private readonly keep = 10_000) {}

  record(method: string, path: string, headers: Record<string, unknown>, problem: HeaderProblem): Violation {
    const src = headers['fspiop-source'];
    const v: Violation = {
      at: new Date().toISOString(), method: method.toUpperCase(), path, source: typeof src === 'string' ? src : undefined,
      errorCode: problem.body.errorInformation.errorCode, detail: problem.body.errorInformation.errorDescription,
    };
    this.items.push(v);
    if (this.items.length > this.keep) this.items.shift();
    return v;
  }

  clear(): void {
    this.items.length = 0;
  }
}
