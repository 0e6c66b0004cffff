/**
 * Which credential a manager API route takes (paths without the `/vX.Y` prefix):
 *   public    GET|HEAD /_ping                             nothing (docker clients ping first)
 *             GET|HEAD /ui, /ui/<file>                    nothing (the dashboard's static files; its
 *                                                         API calls then carry the client token)
 *   join      POST /swarmlet/v1/join                      the join token, in the body
 *   node      /swarmlet/v1/nodes/{id}/…  (session, heartbeat, tasks/{t}/status, drained/{t}, …)
 *                                                         that node's own credential, always
 *   endpoints GET /swarmlet/v1/endpoints, POST /swarmlet/v1/endpoints/ack
 *                                                         any node's credential or the client token
 *   manager   everything else (Engine API, join-token, client-token, images, events, metrics …)
 *                                                         the client token; never a node credential
 */
export type RouteAccess =
  | { kind: 'public' }
  | { kind: 'join' }
  | { kind: 'node'; nodeId: string }
  | { kind: 'endpoints' }
  | { kind: 'manager' };

/** The dashboard's static files (ui-route.ts): `/ui`, `/ui/`, `/ui/<name>.{html,js,css}`. */
export const UI_PATH = /^\/ui(?:\/(?:[a-z0-9-]+\.(?:html|js|css))?)?$/;

const NODE_SESSION = /^\/swarmlet\/v1\/nodes\/([^/]+)\/./;

function decodeSegment(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** Classifies a request by method and path. Unknown paths are `manager`: unauthenticated callers learn nothing. */
export function routeAccess(method: string, path: string): RouteAccess {
  if (path === '/_ping' && (method === 'GET' || method === 'HEAD')) return { kind: 'public' };
  if (UI_PATH.test(path) && (method === 'GET' || method === 'HEAD')) return { kind: 'public' };
  if (path === '/swarmlet/v1/join' && method === 'POST') return { kind: 'join' };
  const node = NODE_SESSION.exec(path);
  const nodeId = node ? decodeSegment(node[1]!) : undefined;
  if (nodeId !== undefined) return { kind: 'node', nodeId };
  if (path === '/swarmlet/v1/endpoints' && method === 'GET') return { kind: 'endpoints' };
  if (path === '/swarmlet/v1/endpoints/ack' && method === 'POST') return { kind: 'endpoints' };
  return { kind: 'manager' };
}
