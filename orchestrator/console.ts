/**
 * The operator console, served by the orchestrator at /ui: the static page built from ui/ at install (ui/dist),
 * what the page needs beyond the native API (its configuration, the notification journal) and, when the
 * orchestrator runs over a simulated world (`gpo up`), a narrow pass-through to the world's admin surfaces: reads,
 * and fault rules switched. The world is configuration (config.world), reached over HTTP only.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Request, ResponseToolkit, Server } from '@hapi/hapi';
import Joi from 'joi';
import type { Logger } from 'pino';
import { Agent, request as httpRequest } from 'undici';
import type { OrchestratorConfig, WorldLink } from './config';
import { batchIdSchema, fieldPath, joiErrors, type NativeErrorBody } from './intake/native/schemas';
import type { NotificationJournal } from './notify/journal';
import type { NotificationOutbox } from './notify/outbox';
import { callerOf } from './intake/access';
import { seesAllPrograms } from './security/credentials';
import type { RouteSecurity } from './security/edge';

export const CONSOLE_DIST = path.join(__dirname, '..', 'ui', 'dist');
export const CONSOLE_PATH = '/ui';

/** What the page may read on a world server, and the only writes it may make (fault rules). */
const WORLD_READ = /^\/(admin(\/[A-Za-z0-9_.:-]+)*|participants(\/[A-Za-z0-9_.-]+(\/(limits|positions|endpoints))?)?|health|metrics)$/;
const WORLD_WRITE: Record<string, RegExp> = { PUT: /^\/admin\/rules$/, PATCH: /^\/admin\/rules\/[A-Za-z0-9._:-]{1,64}$/ };

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.map': 'application/json', '.png': 'image/png', '.ico': 'image/x-icon',
};

const notificationsQuery = Joi.object({
  outcome: Joi.string().valid('delivered', 'dead', 'pending'),
  batchId: batchIdSchema,
  limit: Joi.number().integer().min(1).max(2000).default(200),
});

export interface ConsoleDeps {
  config: OrchestratorConfig;
  journal: NotificationJournal;
  /** The durable outbox: its dead letters are listed and replayed here (without one, no such routes). */
  outbox?: NotificationOutbox;
  logger: Logger;
  distDir?: string;
}

function problem(h: ResponseToolkit, status: number, body: NativeErrorBody) {
  return h.response(body).code(status);
}

/** Route options: the scope the caller needs (the page itself is public: it asks for the token). */
const secured = (scope: NonNullable<RouteSecurity['scope']>, audit?: string) =>
  ({ plugins: { gpo: { api: 'native', scope, ...(audit ? { audit } : {}) } satisfies RouteSecurity } });

/** Notifications and the world span every program: only a client of every program may see them. */
function everyProgram(req: Request, h: ResponseToolkit) {
  return seesAllPrograms(callerOf(req)) ? undefined : problem(h, 403, { errorCode: 'PROGRAM_FORBIDDEN', message:
    'this view spans every program; the client is limited to some' });
}

export async function registerConsole(server: Server, deps: ConsoleDeps): Promise<{ close(): Promise<void> }> {
  const dist = deps.distDir ?? CONSOLE_DIST;
  const log = deps.logger.child({ module: 'console' });
  const world = new Map<string, WorldLink>((deps.config.world ?? []).map((w) => [w.name, w]));
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 8 });

  server.route({ method: 'GET', path: CONSOLE_PATH, options: { auth: false }, handler: (_req, h) =>
    h.redirect(`${CONSOLE_PATH}/`).permanent() });
  server.route({
    method: 'GET',
    path: `${CONSOLE_PATH}/{file*}`,
    options: { auth: false },
    handler: async (req: Request, h: ResponseToolkit) => {
      // Only the files the build wrote, by exact name: nothing else on disk can be reached through here.
      const built = await readdir(dist).catch(() => [] as string[]);
      if (!built.includes('index.html')) {
        return h.response('The operator console is not built. Run `npm run build` (npm ci runs it) and reload.\n').code(503).type('text/plain; charset=utf-8');
      }
      const file = String(req.params.file || 'index.html');
      if (!built.includes(file)) return problem(h, 404, { errorCode: 'NOT_FOUND', message: `no console file ${file.slice(0, 100)}` });
      // The page is small and changes with each build: always revalidated, never stale.
      return h.response(await readFile(path.join(dist, file))).type(CONTENT_TYPES[path.extname(file)]
        ?? 'application/octet-stream').header('cache-control', 'no-cache');
    },
  });

  server.route({
    method: 'GET',
    path: `${CONSOLE_PATH}/api/config`,
    options: secured('batches:read'),
    handler: () => ({
      orchestrator: { currency: deps.config.currency, rail: deps.config.rail, railMode: deps.config.railMode, payerFspId:
        deps.config.payerFspId },
      world: [...world.values()].map((w) => ({ name: w.name, role: w.role })),
      notifications: { source: 'memory' },
    }),
  });

  server.route({
    method: 'GET',
    path: '/v1/notifications',
    options: secured('batches:read'),
    handler: (req, h) => {
      const refused = everyProgram(req, h);
      if (refused) return refused;
      const { error, value } = notificationsQuery.validate(req.query, { abortEarly: false, convert: true });
      if (error) return problem(h, 400, { errorCode: 'VALIDATION_FAILED', message: 'the query is not valid', errors:
        joiErrors(error, (p) => ({ field: fieldPath(p) })) });
      return deps.journal.list(value as { outcome?: 'delivered' | 'dead'; batchId?: string; limit: number });
    },
  });

  const outbox = deps.outbox;
  if (outbox) {
    server.route({
      method: 'GET',
      path: '/v1/outbox/dead-letters',
      options: secured('batches:operate'),
      handler: async (req, h) => {
        const refused = everyProgram(req, h);
        if (refused) return refused;
        const items = (await outbox.dead()).map(({ batchId, entry }) => ({ batchId, ...entry }));
        return { count: items.length, items };
      },
    });
    server.route({
      method: 'POST',
      path: '/v1/outbox/dead-letters/{id}/replay',
      options: secured('batches:operate', 'outbox.replay'),
      handler: async (req, h) => {
        const refused = everyProgram(req, h);
        if (refused) return refused;
        const id = String(req.params.id);
        if (!/^[A-Za-z0-9._:-]{1,64}$/.test(id)) return problem(h, 400,
          { errorCode: 'VALIDATION_FAILED', message: 'id must be 1-64 letters, digits or ._:-', errors:
            [{ field: 'id', code: 'INVALID_FORMAT', message: 'not an outbox entry id' }] });
        const owner = (await outbox.dead()).find((p) => p.entry.id === id);
        if (!owner) return problem(h, 404, { errorCode: 'DEAD_LETTER_NOT_FOUND', message:
          `no dead letter ${id}: unknown, or delivered or pending already` });
        const r = await outbox.replay(owner.batchId, id);
        if ('refused' in r) return problem(h, r.refused === 'NOT_FOUND' ? 404 : 409,
          { errorCode: r.refused === 'NOT_FOUND' ? 'DEAD_LETTER_NOT_FOUND' : 'DEAD_LETTER_NOT_DEAD', message: `entry ${id} is ${r.state
            ?? 'gone'}` });
        log.info({ batchId: r.replayed.batchId, entryId: id, channel: r.replayed.entry.channel }, 'dead letter replayed by an operator');
        return h.response({ batchId: r.replayed.batchId, ...r.replayed.entry }).code(202);
      },
    });
  }

  const passThrough = async (req: Request, h: ResponseToolkit) => {
    const refused = everyProgram(req, h);
    if (refused) return refused;
    const link = world.get(String(req.params.name));
    if (!link) return problem(h, 404, { errorCode: 'WORLD_SERVER_NOT_FOUND', message: `no world server ${String(req.params.name).slice(0,
      64)} is configured` });
    const target = `/${String(req.params.path ?? '')}`;
    const method = req.method.toUpperCase();
    const allowed = method === 'GET' ? WORLD_READ.test(target) : WORLD_WRITE[method]?.test(target) ?? false;
    if (!allowed || target.includes('..')) return problem(h, 403, { errorCode: 'NOT_ALLOWED', message:
      `the console may not ${method} ${target.slice(0, 100)} on ${link.name}` });
    const query = req.url.search ?? '';
    try {
      const res = await httpRequest(`${link.url.replace(/\/+$/, '')}${target}${query}`, {
        method, dispatcher: agent, headersTimeout: 10_000, bodyTimeout: 10_000,
        headers: { accept: 'application/json', ...(method === 'GET' ? {} : { 'content-type': 'application/json' }) },
        body: method === 'GET' ? undefined : ((req.payload as Buffer | undefined) ?? Buffer.alloc(0)),
      });
      const body = Buffer.from(await res.body.arrayBuffer());
      if (method !== 'GET') log.info({ world: link.name, method, path: target, status: res.statusCode },
        'world admin change from the console');
      return h.response(body).code(res.statusCode).type(String(res.headers['content-type'] ?? 'application/json'));
    } catch (err) {
      return problem(h, 502, { errorCode: 'WORLD_UNREACHABLE', message: `${link.name} did not answer: ${(err as Error).message}` });
    }
  };
  const worldPath = `${CONSOLE_PATH}/api/world/{name}/{path*}`;
  // The world's ledgers name parties: reading them is an operator's view, changing its fault rules an audited action.
  server.route({ method: 'GET', path: worldPath, options: secured('batches:operate'), handler: passThrough });
  server.route({ method: ['PUT', 'PATCH'], path: worldPath, options: { ...secured('batches:operate', 'world.rules'), payload:
    { parse: false, output: 'data', maxBytes: 256 * 1024 } }, handler: passThrough });

  return { close: () => agent.close() };
}
