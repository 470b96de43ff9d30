/** OpenAPI 3.0 paths and schemas of the G2P Connect Disburse v1.0.0 API (REFERENCE.md §4, orchestrator/intake/g2p-connect.ts). */
import { json, ref, type OpenApiObject } from './common';

const TAG = 'G2P Connect';
const g2pStatus = { type: 'string', enum: ['rcvd', 'pdng', 'succ', 'rjct'] };

export const g2pSchemas: Record<string, OpenApiObject> = {
  G2pRequestHeader: {
    type: 'object',
    required: ['version', 'message_id', 'message_ts', 'action', 'sender_id', 'total_count'],
    properties: {
      version: { type: 'string', enum: ['1.0.0'] },
      message_id:
        { type: 'string', maxLength: 128, description:
          'Idempotency key: the same message again returns the original ACK; other content under the same id is rjct.message_id.duplicate.' },
      message_ts: { type: 'string', format: 'date-time' },
      action: { type: 'string', example: 'disburse' },
      sender_id: { type: 'string' },
      sender_uri: { type: 'string', format: 'uri', description: 'Callback base (async calls): results go to {sender_uri}/on-disburse.' },
      receiver_id: { type: 'string' },
      total_count: { type: 'integer', minimum: 0 },
      is_msg_encrypted: { type: 'boolean' },
      meta: {},
    },
  },
  G2pDisbursement: {
    type: 'object',
    required: ['reference_id', 'payer_fa', 'payee_fa', 'amount'],
    properties: {
      reference_id: { type: 'string' },
      payer_fa: { type: 'string', example: 'account:treasury@govbank' },
      payee_fa: { type: 'string', description: 'Financial address type:id@provider; the provider is taken as the payee FSP.', example:
        'mobile:254710000001@payeefsp1' },
      amount: { type: 'string', pattern: '^\\d{1,13}(\\.\\d{1,2})?$' },
      scheduled_timestamp: { type: 'string', format: 'date-time' },
      payer_name: { type: 'string' }, payee_name: { type: 'string' }, note: { type: 'string' }, purpose: { type: 'string' },
      instruction: { type: 'string' }, currency_code: { type: 'string', pattern: '^[A-Z]{3}$' }, locale: { type: 'string' },
    },
  },
  G2pDisburseRequest: {
    type: 'object',
    required: ['header', 'message'],
    properties: {
      signature: { type: 'string' },
      header: ref('G2pRequestHeader'),
      message: { type: 'object', required: ['transaction_id', 'disbursements'], properties:
        { transaction_id: { type: 'string' }, disbursements: { type: 'array', minItems: 1, items: ref('G2pDisbursement') } } },
    },
  },
  G2pTxnStatusRequest: {
    type: 'object',
    required: ['header', 'message'],
    properties: {
      signature: { type: 'string' },
      header: ref('G2pRequestHeader'),
      message: {
        type: 'object', required: ['transaction_id', 'txnstatus_request'],
        properties: {
          transaction_id: { type: 'string' },
          txnstatus_request: {
            type: 'object', required: ['reference_id', 'txn_type', 'attribute_type', 'attribute_value'],
            properties: {
              reference_id: { type: 'string' }, txn_type: { type: 'string', enum: ['disburse'] },
              attribute_type: { type: 'string', enum: ['transaction_id', 'reference_id_list', 'correlation_id'] },
              attribute_value: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
              locale: { type: 'string' },
            },
          },
        },
      },
    },
  },
  G2pAck: {
    type: 'object',
    required: ['message'],
    properties: {
      message: {
        type: 'object', required: ['ack_status', 'timestamp'],
        properties: {
          ack_status: { type: 'string', enum: ['ACK', 'NACK', 'ERR'] },
          timestamp: { type: 'string', format: 'date-time' },
          correlation_id: { type: 'string' },
          error: { type: 'object', properties: { code: { type: 'string', example: 'rjct.amount.invalid' }, message: { type: 'string' },
            details: { type: 'array', items: { type: 'object', properties:
              { code: { type: 'string' }, field: { type: 'string' }, message: { type: 'string' }, reference_id:
                { type: 'string' } } } } } },
        },
      },
    },
  },
  G2pDisbursementStatus: {
    type: 'object',
    properties: {
      reference_id: { type: 'string' }, timestamp: { type: 'string', format: 'date-time' }, status: g2pStatus,
      status_reason_code: { type: 'string' }, status_reason_message: { type: 'string' }, amount: { type: 'string' },
      payer_fa: { type: 'string' }, payee_fa: { type: 'string' }, currency_code: { type: 'string' },
    },
  },
  G2pCallbackHeader: {
    type: 'object',
    properties: {
      version: { type: 'string' }, message_id: { type: 'string' }, message_ts: { type: 'string', format: 'date-time' },
      action: { type: 'string', enum: ['on-disburse', 'on-status'] }, status: g2pStatus, status_reason_code: { type: 'string' },
      status_reason_message: { type: 'string' }, total_count: { type: 'integer' }, completed_count: { type: 'integer' },
      sender_id: { type: 'string' }, receiver_id: { type: 'string' },
    },
  },
  G2pOnDisburse: {
    type: 'object',
    properties: {
      header: ref('G2pCallbackHeader'),
      message: { type: 'object', properties: { transaction_id: { type: 'string' }, correlation_id: { type: 'string' }, disbursements_status:
        { type: 'array', items: ref('G2pDisbursementStatus') } } },
    },
  },
  G2pOnStatus: {
    type: 'object',
    properties: {
      header: ref('G2pCallbackHeader'),
      message: {
        type: 'object',
        properties: {
          transaction_id: { type: 'string' }, correlation_id: { type: 'string' },
          txnstatus_response: { type: 'object', properties: { txn_type: { type: 'string' }, txn_status:
            { type: 'object', properties: { transaction_id: { type: 'string' }, disbursements_status:
              { type: 'array', items: ref('G2pDisbursementStatus') } } } } },
        },
      },
    },
  },
};

const ack = { description: 'ACK (accepted; result by callback).', content: json(ref('G2pAck')) };
const errs = (description: string) => ({ description, content: json(ref('G2pAck')) });
const callback = (path: string, schema: string) => ({
  [`{$request.body#/header/sender_uri}${path}`]: { post: { requestBody: { content: json(ref(schema)) }, responses:
    { '2XX': { description: 'Received; otherwise retried with backoff.' } } } },
});

export const g2pPaths: Record<string, OpenApiObject> = {
  '/disburse': {
    post: {
      tags: [TAG],
      summary: 'Disburse (asynchronous): ACK now, per-item results as on-disburse callbacks',
      requestBody: { required: true, content: json(ref('G2pDisburseRequest')) },
      responses: { 200: ack, 400: errs('ERR with header- and item-level reject codes; nothing stored.'), 409:
        errs('rjct.message_id.duplicate.') },
      callbacks: { onDisburse: callback('/on-disburse', 'G2pOnDisburse') },
    },
  },
  '/disburse/sync/disburse': {
    post: {
      tags: [TAG],
      summary: 'Disburse (synchronous): answers with the on-disburse envelope once final or after the sync window',
      requestBody: { required: true, content: json(ref('G2pDisburseRequest')) },
      responses: { 200: { description: 'The on-disburse envelope.', content: json(ref('G2pOnDisburse')) }, 400: errs('ERR.'), 409:
        errs('rjct.message_id.duplicate.') },
    },
  },
  '/disburse/txn/status': {
    post: {
      tags: [TAG],
      summary: 'Transaction status (asynchronous): ACK now, result as a disburse/txn/on-status callback',
      requestBody: { required: true, content: json(ref('G2pTxnStatusRequest')) },
      responses: { 200: ack, 400: errs('ERR.'), 404: errs('rjct.reference_id.invalid: nothing found.') },
      callbacks: { onStatus: callback('/disburse/txn/on-status', 'G2pOnStatus') },
    },
  },
  '/disburse/sync/txn/status': {
    post: {
      tags: [TAG],
      summary: 'Transaction status (synchronous)',
      requestBody: { required: true, content: json(ref('G2pTxnStatusRequest')) },
      responses: { 200: { description: 'The on-status envelope.', content: json(ref('G2pOnStatus')) }, 400: errs('ERR.'), 404:
        errs('rjct.reference_id.invalid.') },
    },
  },
};
