import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { ERROR_FIELD_HEADER, httpStatusOf, invalid, isSwarmletError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { Control } from '../manager/control.js';
import { NOT_A_MANAGER, SWARM_LOCKED, type SwarmState } from './swarm-state.js';
import type { Authorizer } from './client-auth.js';
import { isMutating, type ApiHa } from './api-ha.js';
import type { ApiContext } from './context.js';
import type { TlsServerOptions } from './listen-security.js';
import { DEFAULT_MAX_BODY_BYTES } from './read-body.js';
import { sendError } from './reply.js';
import { createRouter, stripVersionPrefix, type Route, type RouteMatch } from './router.js';
import { imageRoutes } from './routes-images.js';
import { nodeRoutes } from './routes-nodes.js';
import { serviceRoutes } from './routes-services.js';
import { swarmRoutes } from './routes-swarm.js';
import { engineImageRoutes } from './routes-engine-images.js';
import { secretRoutes } from './routes-secrets.js';
import { networkRoutes } from './routes-networks.js';
import { systemRoutes } from './routes-system.js';
import { taskRoutes } from './routes-tasks.js';
import { API_VERSION } from './system-info.js';

export interface ApiServerOptions {
  control: Control;
  logger?: Logger;
  /** swarmlet's version, shown by `docker version` and in the Server header. */
  version?: string;
  /** Request body cap in bytes (default 1 MiB); larger bodies get 413. */
  maxBodyBytes?: number;
  /** More routes (swarmlet extensions wired by the caller: endpoint feed, metrics …). */
  extraRoutes?: Route[];
  /** Serve HTTPS with this certificate and key (PEM text) instead of plain http. */
  tls?: TlsServerOptions;
  /** Checks every request's credentials before routing (client-auth.ts); none = no checks. */
  authorize?: Authorizer;
  /** The swarm object behind GET /swarm and friends (none: those routes answer 503 as a non-manager). */
  swarm?: SwarmState;
  /** Several managers: forwarding to the leader, answers of writes only once durable (lib/ha/). */
  ha?: ApiHa;
}

export interface ApiServer {
  server: http.Server;
  listen(host: string, port: number): Promise<{ host: string; port: number }>;
  /** Stops accepting, ends open log streams, resolves when every connection has closed. */
  close(): Promise<void>;
}

type Base = Omit<ApiContext, 'req' | 'res' | 'params' | 'query' | 'apiVersion'> & { authorize?: Authorizer; ha?: ApiHa };

/** The manager's Engine-API-shaped HTTP(S) server, served with and without /vX.Y. */
export function createApiServer(opts: ApiServerOptions): ApiServer {
  const closing = new AbortController();
  const base: Base = {
    control: opts.control,
    logger: (opts.logger ?? silentLogger()).child({ component: 'api' }),
    maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    serverVersion: opts.version ?? '0.0.0-dev',
    closing: closing.signal,
    ...(opts.authorize ? { authorize: opts.authorize } : {}),
    ...(opts.swarm ? { swarm: opts.swarm } : {}),
    ...(opts.ha ? { ha: opts.ha } : {}),
  };
  const route = createRouter([...systemRoutes(), ...serviceRoutes(), ...taskRoutes(), ...nodeRoutes(), ...swarmRoutes(), ...engineImageRoutes(), ...imageRoutes(), ...secretRoutes(), ...networkRoutes(), ...(opts.extraRoutes ?? [])]);
  const onRequest: http.RequestListener = (req, res) => { void handle(base, route, req, res); };
  const server: http.Server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest) : http.createServer(onRequest);
  return {
    server,
    listen: (host, port) => new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const a = server.address() as AddressInfo;
        resolve({ host: a.address, port: a.port });
      });
    }),
    close: () => new Promise((resolve) => {
      closing.abort();
      server.close(() => resolve());
      server.closeIdleConnections();
    }),
  };
}

async function handle(
  base: Base, route: (method: string, path: string) => RouteMatch,
  req: http.IncomingMessage, res: http.ServerResponse,
): Promise<void> {
  res.setHeader('Api-Version', API_VERSION);
  res.setHeader('Ostype', 'linux');
  res.setHeader('Server', `swarmlet/${base.serverVersion} (linux)`);
  if (base.closing.aborted) {
    // A request on a kept-alive connection after close() began: a stream started now would never
    // see the closing signal (it fired already) and would hold close() open until the client left.
    res.setHeader('Connection', 'close');
    sendError(res, 503, 'the manager is shutting down');
    return;
  }
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const method = req.method ?? 'GET';
  res.on('close', () => base.logger.debug({ method, path: rawPath, status: res.statusCode }, 'api request'));
  try {
    const { version, path } = stripVersionPrefix(rawPath);
    let closing = base.closing;
    // Locked by autolock: the keys that check credentials are sealed too. Only what Docker answers on a
    // locked node is served (ping, version, info showing "locked", unlock: the unlock key is the credential),
    // by this manager itself: with several managers nothing is forwarded (the unlock is this one's).
    const locked = base.swarm?.isLocked() ?? false;
    if (locked && !servedWhileLocked(method, path)) return sendError(res, 503, SWARM_LOCKED);
    if (base.ha && !locked) {
      const placed = base.ha.place(req, method, path);
      if (placed.kind === 'refuse') throw placed.error;
      if (placed.kind === 'forward') return await base.ha.forward(req, res, placed.leader);
      closing = AbortSignal.any([base.closing, base.ha.epoch()]);
      if (isMutating(method)) holdUntilDurable(res, base.ha);
    }
    if (!locked) base.authorize?.(req, method, path);
    const match = route(method, path);
    if (match.kind === 'not_found') return sendError(res, 404, 'page not found');
    if (match.kind === 'method_not_allowed') {
      res.setHeader('Allow', match.allow.join(', '));
      return sendError(res, 405, `method ${method} not allowed on ${path}`);
    }
    // After `swarm leave --force` the swarm objects are gone until `swarm init`, as on a Docker node.
    if (base.swarm && !base.swarm.isActive() && /^\/(services|tasks|nodes)(\/|$)/.test(path)) return sendError(res, 503, NOT_A_MANAGER);
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    await match.handler({ ...base, closing, req, res, params: match.params.map(decodeParam), query, apiVersion: version });
  } catch (e) {
    fail(base.logger, req, res, e);
  }
}

/** The routes a locked manager answers (everything else: Docker's "Swarm is encrypted…" 503). */
function servedWhileLocked(method: string, path: string): boolean {
  if (method === 'GET' || method === 'HEAD') return path === '/_ping' || path === '/version' || path === '/info';
  return method === 'POST' && path === '/swarm/unlock';
}

/**
 * The answer to a mutating request goes out only once its changes are durable in the shared store:
 * `res.end` is held until `durable()` resolves; when it rejects (quorum lost, leadership lost) and
 * nothing was sent yet, the answer becomes a 503 with the store's message instead.
 */
function holdUntilDurable(res: http.ServerResponse, ha: ApiHa): void {
  const end = res.end.bind(res) as (...args: unknown[]) => http.ServerResponse;
  res.end = ((...args: unknown[]) => {
    res.end = end as typeof res.end;
    ha.durable().then(() => { end(...args); }, (err: unknown) => {
      if (res.headersSent || res.statusCode >= 400) { end(...args); return; }
      for (const h of ['content-type', 'content-length', 'transfer-encoding']) res.removeHeader(h);
      sendError(res, httpStatusOf(err), err instanceof Error ? err.message : String(err));
    });
    return res;
  }) as typeof res.end;
}

function decodeParam(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    throw invalid(`invalid path segment '${p}': malformed URL escape`, 'path');
  }
}

function fail(logger: Logger, req: http.IncomingMessage, res: http.ServerResponse, e: unknown): void {
  const status = httpStatusOf(e);
  const message = e instanceof Error ? e.message : String(e);
  if (status === 401 && !res.headersSent) res.setHeader('WWW-Authenticate', 'Bearer realm="swarmlet"');
  // The offending field, for swarmlet's own client (docker clients ignore the header): errors name it over HTTP too.
  if (isSwarmletError(e) && e.field !== undefined && !res.headersSent) res.setHeader(ERROR_FIELD_HEADER, encodeURIComponent(e.field));
  if (!isSwarmletError(e) || e.code === 'internal') logger.error({ err: e, method: req.method }, 'api handler failed');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (isSwarmletError(e) && e.code === 'too_large' && !req.readableEnded) {
    // Answer once the client has finished sending (the rest is discarded, never buffered): closing
    // with unread data would make the kernel reset the connection before the client reads the 413.
    // A client that stalls for 10 s or sends more than 64 MiB is cut off.
    let discarded = 0;
    req.setTimeout(10_000, () => req.destroy());
    req.on('data', (chunk: Buffer) => { discarded += chunk.length; if (discarded > 64 * 1024 * 1024) req.destroy(); });
    req.once('end', () => sendError(res, status, message));
    req.resume();
    return;
  }
  sendError(res, status, message);
}
