/** OpenAPI 3.0 paths and schemas of the PIL-compatible API (REFERENCE.md §3, as orchestrator/intake/pil.ts serves it). */
import { json, ref, type OpenApiObject } from './common';

const TAG = 'PIL-compatible';
const payeeId = { payeeIdType: { type: 'string', example: 'MSISDN' }, payeeIdValue: { type: 'string', example: '254710000001' } };

export const pilSchemas: Record<string, OpenApiObject> = {
  PilDisbursementRequest: {
    type: 'object',
    required: ['disbursementId', 'payeeList'],
    properties: {
      disbursementId:
        { type: 'string', maxLength: 128, description:
          'Idempotency key: a replay returns the original results; another request under the same id is refused (409, 3106).' },
      note: { type: 'string', maxLength: 1024 },
      payeeList: {
        type: 'array', minItems: 1, maxItems: 1000,
        items: {
          type: 'object', required: ['payeeIdType', 'payeeIdValue', 'amount', 'currency'],
          properties: { ...payeeId, amount: { oneOf: [{ type: 'number' }, { type: 'string' }], description:
            'OpenG2P sends a JSON number (100.0); converted exactly, never through float arithmetic.' }, currency:
              { type: 'string', pattern: '^[A-Z]{3}$' } },
        },
      },
    },
  },
  PilPayeeResult: {
    type: 'object',
    required: ['payeeIdType', 'payeeIdValue', 'amount', 'currency', 'timestamp', 'status'],
    properties: {
      ...payeeId,
      amount: { type: 'string' },
      currency: { type: 'string' },
      timestamp: { type: 'string', format: 'date-time' },
      status: { type: 'string', enum: ['RECEIVED', 'PENDING', 'COMPLETED', 'REJECTED', 'ABORTED'], description:
        'RECEIVED/PENDING: poll GET /disbursement/{id}.' },
      amountDebited: { type: 'string' },
      amountCredited: { type: 'string' },
      errorCode: { type: 'string' },
      errors: { type: 'array', items: { type: 'string' } },
    },
  },
  PilDisbursementResponse: {
    type: 'object',
    required: ['disbursementId', 'payeeResults'],
    properties: { disbursementId: { type: 'string' }, payeeResults: { type: 'array', items: ref('PilPayeeResult'), description:
      'In request order: OpenG2P matches results by position.' } },
  },
  PilCheckRequest: {
    type: 'object',
    required: ['requestId', 'payeeList'],
    properties: { requestId: { type: 'string' }, payeeList: { type: 'array', minItems: 1, maxItems: 1000, items:
      { type: 'object', required: ['payeeIdType', 'payeeIdValue'], properties: payeeId } } },
  },
  PilCheckResponse: {
    type: 'object',
    properties: {
      requestId: { type: 'string' },
      payeeResults: { type: 'array', items: { type: 'object', properties:
        { ...payeeId, isPayable: { type: 'boolean' }, timestamp: { type: 'string' }, name: { type: 'string' }, errors:
          { type: 'array', items: { type: 'string' } } } } },
    },
  },
  PilError: {
    type: 'object',
    required: ['errorInformation'],
    properties: {
      errorInformation: { type: 'object', required: ['errorCode', 'errorDescription'], properties:
        { errorCode: { type: 'string', example: '3100' }, errorDescription: { type: 'string' } } },
      errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' }, type:
        { type: 'string' } } } },
    },
  },
};

const err = (description: string) => ({ description, content: json(ref('PilError')) });
const results = (description: string) => ({ description, content: json(ref('PilDisbursementResponse')) });

export const pilPaths: Record<string, OpenApiObject> = {
  '/disbursement': {
    post: {
      tags: [TAG],
      summary: 'Pay a list of payees (what OpenG2P\'s Interop Layer payment manager sends)',
      description:
        'Answers once the batch is final or the synchronous window (pilSyncWindowMs) has passed; open items are then RECEIVED or PENDING.',
      requestBody: { required: true, content: json(ref('PilDisbursementRequest')) },
      responses: { 200: results('Results in request order.'), 400: err('3100 validation error (field-level errors), 3101 malformed JSON.'),
        409: err('3106: disbursementId reused for another request.') },
    },
  },
  '/disbursement/{disbursementId}': {
    get: {
      tags: [TAG],
      summary: 'Current results of a disbursement',
      parameters: [{ name: 'disbursementId', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { 200: results('Results in request order.'), 404: err('3200: unknown disbursementId.') },
    },
  },
  '/disbursementCheck': {
    post: {
      tags: [TAG],
      summary: 'Check whether payees can be paid',
      requestBody: { required: true, content: json(ref('PilCheckRequest')) },
      responses: { 200: { description: 'One result per payee.', content: json(ref('PilCheckResponse')) }, 400: err('3100 / 3101.') },
    },
  },
};
