/**
 * The orchestrator's OpenAPI 3.0 document: the three northbound APIs (native, PIL-compatible, G2P Connect) and
 * the operational endpoints, served at GET /openapi.json. Built once from the fragments in orchestrator/openapi/.
 */
import type { Server } from '@hapi/hapi';
import { g2pPaths, g2pSchemas } from './openapi/g2p-connect';
import { nativePaths, nativeSchemas } from './openapi/native';
import { pilPaths, pilSchemas } from './openapi/pil';
import type { OpenApiObject } from './openapi/common';

export const OPENAPI_PATH = '/openapi.json';

/** One notification GPO owes upstream; `id` is the event id it is delivered under (webhook eventId, G2P Connect message_id). */
const outboxEntrySchema: OpenApiObject = {
  type: 'object', required: ['id', 'batchId', 'channel', 'event', 'state', 'attempts', 'createdAt'],
  properties: {
    id: { type: 'string' }, batchId: { type: 'string' }, channel: { type: 'string', enum: ['webhook', 'g2p-connect'] },
    event: { type: 'string', enum: ['batch.progress', 'batch.completed', 'on-disburse.progress', 'on-disburse.final', 'on-status'] },
    state: { type: 'string', enum: ['pending', 'delivered', 'dead', 'superseded'] },
    attempts: { type: 'integer', description: 'Attempts made so far, over every delivery round' }, createdAt:
      { type: 'string', format: 'date-time' },
    deliveredAt: { type: 'string', format: 'date-time' }, lastError: { type: 'string' },
    sent: { type: 'integer', description: 'Progress entries: snapshots numbered so far (snapshot n goes out as <id>.<n>)' },
    request: { type: 'object', description: 'on-status entries: what the txn/status request asked', properties: {
      url: { type: 'string' }, transactionId: { type: 'string' }, references: { type: 'array', items: { type: 'string' } },
      receiverId: { type: 'string' }, senderId: { type: 'string' } } },
  },
};

const operability: Record<string, OpenApiObject> = {
  '/health': {
    get: { tags: ['Operations'], summary: 'Liveness', responses: { 200:
      { description: 'Up.', content: { 'application/json': { schema: { type: 'object', properties:
        { status: { type: 'string', example: 'OK' } } } } } } } },
  },
  '/health/live': {
    get: { tags: ['Operations'], summary: 'Liveness (the same answer as /health)', responses:
      { 200: { description: 'Up.', content: { 'application/json': { schema:
        { type: 'object', properties: { status: { type: 'string', example: 'OK' } } } } } } } },
  },
  '/health/ready': {
    get: {
      tags: ['Operations'], summary:
        'Readiness: the store open and the rail\'s peer (payer DFSP SDK or PIL) answering; warnings about rail configurations that put ' +
          'exactly-once payment at risk (an SDK accepting quotes by itself)',
      responses: Object.fromEntries(([[200, 'READY, or DEGRADED with warnings.'],
        [503, 'NOT_READY: the store is closed or the rail\'s peer does not answer.']] as const).map(([code, description]) => [code, {
        description, content: { 'application/json': { schema: { type: 'object', required: ['status', 'warnings', 'checks'], properties: {
          status: { type: 'string', enum: code === 200 ? ['READY', 'DEGRADED'] : ['NOT_READY'] }, service: { type: 'string' }, rail:
            { type: 'string' }, railMode: { type: 'string' },
          warnings: { type: 'array', items: { type: 'string' } },
          checks: { type: 'object', properties: {
            store: { type: 'string', enum: ['open', 'closed'] },
            rail: { type: 'object', required: ['reachable', 'url', 'checkedAt'], properties:
              { reachable: { type: 'boolean' }, url: { type: 'string' }, reason: { type: 'string' }, checkedAt:
                { type: 'string', format: 'date-time' } } },
          } },
        } } } },
      }])),
    },
  },
  '/metrics': {
    get: { tags: ['Operations'], summary:
      'Prometheus metrics (payments by status, rail latency, in-flight chunks, HTTP requests per route, process metrics); see ' +
        'docs/observability.md', responses: { 200: { description: 'Prometheus text format.', content:
          { 'text/plain': { schema: { type: 'string' } } } } } },
  },
  '/v1/notifications': {
    get: {
      tags: ['Operations'], summary: 'Webhook and G2P Connect callbacks delivered, and dead letters (given up), newest first',
      parameters: [
        { name: 'outcome', in: 'query', required: false, schema: { type: 'string', enum: ['delivered', 'dead', 'pending'] } },
        { name: 'batchId', in: 'query', required: false, schema: { type: 'string' } },
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 2000, default: 200 } },
      ],
      responses: {
        200: {
          description: 'source memory: kept since the process started (since); outbox: durable.',
          content: { 'application/json': { schema: { type: 'object', required: ['source', 'since', 'counts', 'items'], properties: {
            source: { type: 'string', enum: ['memory', 'outbox'] }, since: { type: 'string', format: 'date-time' },
            counts: { type: 'object', additionalProperties: { type: 'integer' } },
            items: { type: 'array', items: { type: 'object', required:
              ['id', 'channel', 'batchId', 'event', 'url', 'outcome', 'attempts', 'at'], properties: {
              id: { type: 'string' }, channel: { type: 'string', enum: ['webhook', 'g2p-connect'] }, batchId: { type: 'string' }, event:
                { type: 'string' }, url: { type: 'string' },
              outcome: { type: 'string', enum: ['delivered', 'dead', 'pending'] }, attempts: { type: 'integer' }, lastError:
                { type: 'string' }, at: { type: 'string', format: 'date-time' },
            } } },
          } } } },
        },
        400: { description: 'VALIDATION_FAILED.', content: { 'application/json': { schema: { type: 'object' } } } },
      },
    },
  },
  '/v1/outbox/dead-letters': {
    get: {
      tags: ['Operations'], summary:
        'Dead letters: final notifications (webhook batch.completed, G2P Connect on-disburse final) given up after notify.maxAttempts ' +
          '(GPO_NOTIFY_MAX_ATTEMPTS), oldest batch first; scope batches:operate',
      responses: {
        200: { description: 'The dead letters, durable across restarts.', content:
          { 'application/json': { schema: { type: 'object', required: ['count', 'items'], properties: {
          count: { type: 'integer' }, items: { type: 'array', items: { $ref: '#/components/schemas/OutboxEntry' } },
        } } } } },
        403: { description: 'PROGRAM_FORBIDDEN: the client is limited to some programs.', content:
          { 'application/json': { schema: { type: 'object' } } } },
      },
    },
  },
  '/v1/outbox/dead-letters/{id}/replay': {
    post: {
      tags: ['Operations'], summary:
        'Makes a dead letter pending again: delivered now under the same event id (receivers de-duplicate by it); audited; scope ' +
          'batches:operate',
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,64}$' } }],
      responses: {
        202: { description: 'Pending again.', content: { 'application/json': { schema: { $ref: '#/components/schemas/OutboxEntry' } } } },
        400: { description: 'VALIDATION_FAILED: not an entry id.', content: { 'application/json': { schema: { type: 'object' } } } },
        404: { description: 'DEAD_LETTER_NOT_FOUND: unknown, or delivered or pending already.', content:
          { 'application/json': { schema: { type: 'object' } } } },
        409: { description: 'DEAD_LETTER_NOT_DEAD: the entry changed state meanwhile.', content:
          { 'application/json': { schema: { type: 'object' } } } },
      },
    },
  },
  [OPENAPI_PATH]: {
    get: { tags: ['Operations'], security: [], summary: 'This document', responses:
      { 200: { description: 'OpenAPI 3.0 document.', content: { 'application/json': { schema: { type: 'object' } } } } } },
  },
  '/.well-known/jwks.json': {
    get: { tags: ['Operations'], security: [], summary: 'GPO\'s public keys: its G2P Connect callbacks verify with them', responses:
      { 200: { description: 'JWKS.', content: { 'application/json': { schema:
        { type: 'object', properties: { keys: { type: 'array', items: { type: 'object' } } } } } } } } },
  },
};
for (const p of ['/health', '/health/live', '/metrics']) (operability[p].get as OpenApiObject).security = [];

export function buildOpenApiDocument(opts: { serverUrl?: string; version?: string } = {}): OpenApiObject {
  return {
    openapi: '3.0.3',
    info: {
      title: 'GPO, the G2P Payments Orchestrator',
      version: opts.version ?? '0.1.0',
      description:
        'Northbound APIs of the orchestrator: the native API (/v1/batches), the PIL-compatible API OpenG2P\'s Interop Layer payment ' +
          'manager calls, and G2P Connect Disburse v1.0.0. Amounts are decimal strings; every API refuses bad input in its own error ' +
            'format and stores nothing.',
      license: { name: 'MPL-2.0', url: 'https://www.mozilla.org/en-US/MPL/2.0/' },
    },
    // Relative by default: the document is right on whatever host and port serves it.
    servers: [{ url: opts.serverUrl ?? '/' }],
    tags: [
      { name: 'Native', description: 'GPO\'s own API: JSON or bulk CSV batches, summaries, pages, cancel, report, webhooks.' },
      { name: 'PIL-compatible', description: 'SP Convergence Payments Interoperability Layer API v0.1.0 (demo #1).' },
      { name: 'G2P Connect', description: 'G2P Connect Disburse API v1.0.0.' },
      { name: 'Operations', description: 'Health, metrics, this document.' },
    ],
    paths: { ...nativePaths, ...pilPaths, ...g2pPaths, ...operability },
    // Every northbound operation needs an API key or a JWT when authentication is on (docs/security.md).
    security: [{ bearer: [] }, { apiKey: [] }],
    components: {
      schemas: { ...nativeSchemas, ...pilSchemas, ...g2pSchemas, OutboxEntry: outboxEntrySchema },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description:
          'An API key (gpo_...) or a JWT with the scopes batches:submit, batches:read, batches:operate.' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
  };
}

/** Serves the document at GET /openapi.json (built once). Registering twice on one server is harmless. */
export function registerOpenApi(server: Server, opts: { serverUrl?: string } = {}): void {
  if (server.match('GET', OPENAPI_PATH)) return;
  const doc = buildOpenApiDocument(opts);
  server.route({ method: 'GET', path: OPENAPI_PATH, options: { auth: false }, handler: (_req, h) =>
    h.response(doc).type('application/json') });
}
