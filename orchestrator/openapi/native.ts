/** OpenAPI 3.0 paths and schemas of the native API (/v1/batches...). Kept beside the joi rules they describe. */
import { BatchStatus, PaymentStatus } from '../domain/types';
import { CSV_COLUMNS } from '../intake/native/csv';
import { REPORT_COLUMNS } from '../intake/native/report';
import { BATCH_ID_PATTERN, BATCH_SOURCES, DEFAULT_BATCH_PAGE, DEFAULT_PAGE, MAX_BATCH_PAGE, MAX_PAGE, MAX_PAYMENTS, PAYEE_ID_TYPES,
  RAIL_MODES, RAILS } from '../intake/native/schemas';
import { json, ref, type OpenApiObject } from './common';

const TAG = 'Native';
const amount = { type: 'string', pattern: '^(0|[1-9][0-9]{0,17})(\\.[0-9]{1,4})?$', description:
  'Decimal string (never a JSON number), at most as many decimals as the currency has.', example: '10.50' };
const currency = { type: 'string', pattern: '^[A-Z]{3}$', example: 'USD' };
const percent = { type: 'string', pattern: '^\\d{1,3}\\.\\d{2}$', description: 'Percent with two decimals, exact (rounded half up).',
  example: '66.67' };

export const nativeSchemas: Record<string, OpenApiObject> = {
  NativePaymentInput: {
    type: 'object',
    additionalProperties: false,
    required: ['reference', 'payeeIdType', 'payeeIdValue', 'amount', 'currency'],
    properties: {
      reference: { type: 'string', minLength: 1, maxLength: 128, description:
        'The caller\'s reference, unique in the batch; results are matched by it.' },
      payeeIdType: { type: 'string', enum: [...PAYEE_ID_TYPES] },
      payeeIdValue: { type: 'string', minLength: 1, maxLength: 128 },
      payeeIdSubValue: { type: 'string', minLength: 1, maxLength: 128 },
      payeeFsp: { type: 'string', minLength: 1, maxLength: 32, description: 'The payee FSP when known: the party lookup is skipped.' },
      amount,
      currency,
      note: { type: 'string', maxLength: 128 },
    },
  },
  NativeBatchRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['currency', 'payments'],
    properties: {
      reference: { type: 'string', minLength: 1, maxLength: 128, description:
        'The caller\'s batch reference (shown back, not an idempotency key).' },
      currency,
      note: { type: 'string', maxLength: 128 },
      rail: { type: 'string', enum: [...RAILS], description: 'Default: the orchestrator\'s configured rail.' },
      railMode: { type: 'string', enum: [...RAIL_MODES] },
      webhookUrl: { type: 'string', format: 'uri', maxLength: 2048, description: 'Receives batch.progress and batch.completed events.' },
      webhookSecret: { type: 'string', minLength: 16, maxLength: 256, writeOnly: true, description:
        'Signs webhook deliveries (X-GPO-Signature: sha256=HMAC of the body). Never shown back.' },
      declaredCount: { type: 'integer', minimum: 1, maximum: MAX_PAYMENTS, description:
        'Control total: must equal the number of payments.' },
      declaredAmount: { ...amount, description: 'Control total: must equal the sum of the amounts.' },
      payer: { type: 'object', required: ['idType', 'idValue'], properties:
        { idType: { type: 'string', enum: [...PAYEE_ID_TYPES] }, idValue: { type: 'string' } } },
      payments: { type: 'array', minItems: 1, maxItems: MAX_PAYMENTS, items: ref('NativePaymentInput') },
    },
  },
  StatusLine: {
    type: 'object',
    required: ['count', 'amount', 'countPercentage', 'amountPercentage'],
    properties: { count: { type: 'integer' }, amount, countPercentage: percent, amountPercentage: percent },
  },
  NativeBatch: {
    type: 'object',
    required: ['id', 'source', 'idempotencyKey', 'status', 'currency', 'rail', 'totalCount', 'totalAmount', 'byStatus', 'summary',
      'amountDebited', 'amountCredited', 'fees', 'createdAt', 'updatedAt'],
    properties: {
      id: { type: 'string' },
      source: { type: 'string', enum: [...BATCH_SOURCES], description: 'The API the batch arrived on.' },
      reference: { type: 'string' },
      idempotencyKey: { type: 'string' },
      status: { type: 'string', enum: Object.values(BatchStatus) },
      currency,
      rail: { type: 'string', enum: [...RAILS] },
      railMode: { type: 'string', enum: [...RAIL_MODES] },
      note: { type: 'string' },
      webhookUrl: { type: 'string' },
      declaredCount: { type: 'integer' },
      declaredAmount: amount,
      totalCount: { type: 'integer' },
      totalAmount: amount,
      byStatus: { type: 'object', required: Object.values(PaymentStatus), properties:
        Object.fromEntries(Object.values(PaymentStatus).map((s) => [s, ref('StatusLine')])) },
      summary: {
        type: 'object',
        description: 'The Payment Hub EE-style summary: ongoing = not yet final.',
        properties: {
          total: { type: 'integer' }, ongoing: { type: 'integer' }, successful: { type: 'integer' }, failed: { type: 'integer' }, cancelled:
            { type: 'integer' },
          totalAmount: amount, successfulAmount: amount, pendingAmount: amount, failedAmount: amount, cancelledAmount: amount,
          successPercentage: percent, failPercentage: percent, finishedPercentage: percent,
        },
      },
      amountDebited: { ...amount, description: 'Debited from the treasury for completed payments (amount + fees).' },
      amountCredited: { ...amount, description: 'Credited to payees.' },
      fees: amount,
      createdAt: { type: 'string', format: 'date-time' },
      updatedAt: { type: 'string', format: 'date-time' },
      completedAt: { type: 'string', format: 'date-time' },
      warnings: { type: 'array', items: ref('NativeFieldError'), description:
        'On acceptance: duplicate payees when configured to allow them.' },
      warningCount: { type: 'integer' },
    },
  },
  NativePayment: {
    type: 'object',
    required: ['batchId', 'position', 'reference', 'payeeIdType', 'payeeIdValue', 'amount', 'currency', 'status', 'attempts', 'updatedAt'],
    properties: {
      batchId: { type: 'string' },
      position: { type: 'integer', description: '0-based position in the request.' },
      reference: { type: 'string' },
      payeeIdType: { type: 'string' },
      payeeIdValue: { type: 'string' },
      payeeFsp: { type: 'string' },
      amount,
      currency,
      status: { type: 'string', enum: Object.values(PaymentStatus) },
      transferId:
        { type: 'string', description:
          'The Mojaloop transfer id: the id the hub and the payee\'s ledger book the payment under, once the rail reported it.' },
      homeTransactionId:
        { type: 'string', description:
          'GPO\'s own id for the current attempt (the SDK\'s homeTransactionId), chosen and stored before any request for it leaves GPO.' },
      fee: amount,
      amountDebited: amount,
      amountCredited: amount,
      errorCode: { type: 'string', description: 'FSPIOP error code of a failed payment.' },
      errorDescription: { type: 'string' },
      attempts: { type: 'integer' },
      updatedAt: { type: 'string', format: 'date-time' },
      completedAt: { type: 'string', format: 'date-time' },
    },
  },
  NativePaymentPage: {
    type: 'object',
    required: ['total', 'offset', 'limit', 'items'],
    properties: { total: { type: 'integer', description: 'Payments matching the filter.' }, offset: { type: 'integer' }, limit:
      { type: 'integer' }, items: { type: 'array', items: ref('NativePayment') } },
  },
  NativeBatchPage: {
    type: 'object',
    required: ['total', 'offset', 'limit', 'items'],
    properties: { total: { type: 'integer', description: 'Batches matching the filter.' }, offset: { type: 'integer' }, limit:
      { type: 'integer' }, items: { type: 'array', items: ref('NativeBatch') } },
  },
  NativeFailures: {
    type: 'object',
    required: ['batchId', 'currency', 'items'],
    properties: {
      batchId: { type: 'string' },
      currency,
      items: {
        type: 'array',
        description: 'One line per error code, the most frequent first.',
        items: {
          type: 'object',
          required: ['errorCode', 'statuses', 'count', 'amount'],
          properties: {
            errorCode: { type: 'string', example: '3204' },
            errorDescription: { type: 'string', description: 'What the rail said, with the first payment seen with this code.' },
            statuses: { type: 'array', items: { type: 'string', enum: Object.values(PaymentStatus) } },
            count: { type: 'integer' },
            amount,
          },
        },
      },
    },
  },
  NativeFieldError: {
    type: 'object',
    required: ['code', 'message'],
    properties: {
      field: { type: 'string', description: 'JSON path of the field (payments[3].amount) or the query parameter.', example:
        'payments[3].amount' },
      row: { type: 'integer', description: 'CSV: the row as a spreadsheet numbers it (header = 1).' },
      column: { type: 'string', description: 'CSV: the column name.' },
      code: { type: 'string', example: 'AMOUNT_TOO_MANY_DECIMALS' },
      message: { type: 'string' },
      duplicateOf: { oneOf: [{ type: 'integer' }, { type: 'string' }], description:
        'For duplicates: the first occurrence (row or payments[i]).' },
    },
  },
  NativeError: {
    type: 'object',
    required: ['errorCode', 'message'],
    properties: {
      errorCode: { type: 'string', example: 'VALIDATION_FAILED' },
      message: { type: 'string' },
      errors: { type: 'array', items: ref('NativeFieldError') },
      errorCount: { type: 'integer', description: 'All errors found, when more than the (at most 1000) listed.' },
      details: { type: 'object', additionalProperties: true },
    },
  },
  WebhookEvent: {
    type: 'object',
    required: ['event', 'deliveryId', 'sentAt', 'batch'],
    properties: {
      event: { type: 'string', enum: ['batch.progress', 'batch.completed'], description:
        'batch.completed is sent once the batch is final, whatever its final status.' },
      deliveryId: { type: 'string', description: 'The same on every retry of one delivery.' },
      sentAt: { type: 'string', format: 'date-time' },
      batch: ref('NativeBatch'),
    },
  },
};

/** The webhook, as an OpenAPI 3.0 callback of POST /v1/batches. */
export const nativeWebhookCallback: OpenApiObject = {
  '{$request.body#/webhookUrl}': {
    post: {
      summary: 'Batch progress (throttled) and completion, POSTed to the batch\'s webhookUrl, retried with backoff',
      parameters: [
        { name: 'X-GPO-Event', in: 'header', schema: { type: 'string' } },
        { name: 'X-GPO-Delivery', in: 'header', schema: { type: 'string' } },
        { name: 'X-GPO-Signature', in: 'header', schema: { type: 'string' }, description:
          'sha256=<hex HMAC-SHA256 of the raw body>, when a secret is set.' },
      ],
      requestBody: { content: json(ref('WebhookEvent')) },
      responses: { '2XX': { description: 'Delivered. 5xx, 408, 429 and network errors are retried; other answers are not.' } },
    },
  },
};

const err = (description: string) => ({ description, content: json(ref('NativeError')) });
const batchId = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid', pattern: BATCH_ID_PATTERN } };
const notFound = err('BATCH_NOT_FOUND');
const batchOk = (description: string) => ({ description, content: json(ref('NativeBatch')) });

export const nativePaths: Record<string, OpenApiObject> = {
  '/v1/batches': {
    get: {
      tags: [TAG],
      summary: 'List batches newest first, filtered by status, source and creation time; or find the one submitted with a key',
      description:
        'Every batch of every northbound API (source says which). With idempotencyKey, only the batch submitted with that key (recover a ' +
          'lost 202 without resending): items has at most one batch.',
      parameters: [
        { name: 'status', in: 'query', required: false, schema: { type: 'string' }, description:
          `Batch statuses, comma-separated or repeated: ${Object.values(BatchStatus).join(', ')}.`, example: 'PROCESSING,PAUSED' },
        { name: 'source', in: 'query', required: false, schema: { type: 'string', enum: [...BATCH_SOURCES] } },
        { name: 'from', in: 'query', required: false, schema: { type: 'string', format: 'date-time' }, description:
          'Created at or after (ISO 8601 date or date-time).' },
        { name: 'to', in: 'query', required: false, schema: { type: 'string', format: 'date-time' }, description:
          'Created before (ISO 8601 date or date-time).' },
        { name: 'offset', in: 'query', required: false, schema: { type: 'integer', minimum: 0, default: 0 } },
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_BATCH_PAGE, default:
          DEFAULT_BATCH_PAGE } },
        { name: 'idempotencyKey', in: 'query', required: false, schema: { type: 'string', maxLength: 256 }, description:
          'The key the batch was submitted with (source native unless source says otherwise).' },
      ],
      responses: {
        200: { description: 'A page of batches.', content: json(ref('NativeBatchPage')) },
        400: err('VALIDATION_FAILED: an unknown status or source, a date that is not ISO 8601, a page out of bounds.'),
      },
    },
    post: {
      tags: [TAG],
      summary: 'Submit a batch of payments (JSON or bulk CSV file)',
      description:
        `Validated whole before anything is stored: any error refuses the whole batch. Accepted batches are durable before the ` +
          `202.\n\nCSV (text/csv): header row required, columns ${CSV_COLUMNS.join(',')} (plus optional payee_fsp; other columns are ` +
            `ignored). Required: id, payee_identifier_type, payee_identifier, amount, currency. request_id (if given) must be the same ` +
              `on every row and becomes the batch reference; payment_mode must be mojaloop or empty. Batch fields come from the query ` +
                `string; the webhook also from X-CallbackURL.`,
      parameters: [
        { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 256 }, description:
          'Replaying the same key with the same batch returns the original (200); with another batch, 409. Without a key, one is ' +
            'generated and the request cannot be safely retried.' },
        { name: 'X-CorrelationID', in: 'header', required: false, schema: { type: 'string', maxLength: 256 }, description:
          'Payment Hub EE\'s batch id: used as the key when Idempotency-Key is absent.' },
        { name: 'Content-Encoding', in: 'header', required: false, schema: { type: 'string', enum: ['identity', 'gzip'] } },
        { name: 'X-CallbackURL', in: 'header', required: false, schema: { type: 'string', format: 'uri' }, description:
          'CSV only: webhook URL (Payment Hub EE header).' },
        ...['reference', 'currency', 'note', 'rail', 'railMode', 'webhookUrl', 'declaredCount', 'declaredAmount'].map((name) =>
          ({ name, in: 'query', required: false, schema: { type: name === 'declaredCount' ? 'integer' : 'string' }, description:
            'CSV only: the batch field of the same name.' })),
      ],
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: ref('NativeBatchRequest') },
          'text/csv':
            { schema: { type: 'string' }, example:
              `${CSV_COLUMNS.join(',')}\nr-1,cycle-9,mojaloop,ACCOUNT_ID,treasury,MSISDN,254710000001,80,USD,Pension\n` },
        },
      },
      responses: {
        202: batchOk('Accepted and durable; payment starts.'),
        200: batchOk('Replay of an accepted batch (same Idempotency-Key, same content): the original, nothing paid again.'),
        400: err('VALIDATION_FAILED, CSV_INVALID (per-row errors), MALFORMED_JSON, MALFORMED_BODY (gzip).'),
        409: err('IDEMPOTENCY_CONFLICT: the key was used for another batch.'),
        413: err('PAYLOAD_TOO_LARGE.'),
        415: err('UNSUPPORTED_MEDIA_TYPE.'),
        422: err('CONTROL_TOTAL_MISMATCH, DUPLICATE_PAYEES (when configured to reject them) or BATCH_REFUSED (the service\'s own checks).'),
      },
      callbacks: { batchEvent: nativeWebhookCallback },
    },
  },
  '/v1/batches/{id}': {
    get: {
      tags: [TAG],
      summary: 'Batch summary: counts, amounts and percentages by status, totals debited, credited and fees',
      parameters: [batchId],
      responses: { 200: batchOk('The batch.'), 400: err('Invalid id.'), 404: notFound },
    },
  },
  '/v1/batches/{id}/payments': {
    get: {
      tags: [TAG],
      summary: 'Payments of a batch, in position order, page by page',
      parameters: [
        batchId,
        { name: 'status', in: 'query', required: false, schema: { type: 'string', enum: Object.values(PaymentStatus) } },
        { name: 'errorCode', in: 'query', required: false, schema: { type: 'string', maxLength: 64 }, description:
          'Only payments with this error code (e.g. 3204).' },
        { name: 'offset', in: 'query', required: false, schema: { type: 'integer', minimum: 0, default: 0 } },
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: DEFAULT_PAGE } },
      ],
      responses: { 200: { description: 'A page.', content: json(ref('NativePaymentPage')) }, 400: err('Invalid query.'), 404: notFound },
    },
  },
  '/v1/batches/{id}/failures': {
    get: {
      tags: [TAG],
      summary: 'Failures by error code: how many payments, for how much, and what the rail said',
      parameters: [batchId],
      responses: { 200: { description: 'The failures.', content: json(ref('NativeFailures')) }, 400: err('Invalid id.'), 404: notFound },
    },
  },
  '/v1/batches/{id}/cancel': {
    post: {
      tags: [TAG],
      summary: 'Cancel what has not been sent; payments already on the rail finish normally',
      parameters: [batchId],
      responses: { 200: batchOk('The batch after the cancel (cancelling a cancelled batch is harmless).'), 404: notFound, 409:
        err('BATCH_FINAL: already completed or failed.') },
    },
  },
  '/v1/batches/{id}/resume': {
    post: {
      tags: [TAG],
      summary: 'Resume a batch paused on insufficient liquidity',
      parameters: [batchId],
      responses: { 200: batchOk('The batch after the resume.'), 404: notFound, 409: err('BATCH_NOT_PAUSED.') },
    },
  },
  '/v1/batches/{id}/report.csv': {
    get: {
      tags: [TAG],
      summary: 'Reconciliation report: one RFC 4180 row per payment, streamed',
      description:
        `Columns: ${REPORT_COLUMNS.join(',')}. Payee identifiers are shown in full (the report is for the finance officer who reconciles).`,
      parameters: [batchId],
      responses: { 200: { description: 'The report.', content: { 'text/csv': { schema: { type: 'string' } } } }, 404: notFound },
    },
  },
};

