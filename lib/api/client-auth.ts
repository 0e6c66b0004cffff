/**
 * Client authentication of the manager API: who may call which route (see route-access.ts).
 * With auth required (always when the API serves TLS), manager routes need
 * `Authorization: Bearer <client token>`; a node credential there is refused with 403. Without it
 * (plain http on loopback) a request with no credentials passes, but a presented credential must
 * still be valid. Messages never echo what the caller sent.
 */
import type { IncomingMessage } from 'node:http';
import { SwarmletError } from '../errors.js';
import { routeAccess, type RouteAccess } from './route-access.js';

/** What the authorizer needs from the manager's secrets (JoinTokens implements it). */
export interface ClientSecrets {
  /** Constant-time comparison with the current client token. */
  checkClientToken(token: string): boolean;
  /** The node whose credential this is (constant time), or undefined. */
  nodeOfCredential(credential: string): string | undefined;
  /** Constant-time check of one node's credential. */
  checkCredential(nodeId: string, credential: string): boolean;
}

/** The credential a request presents: none, a bearer token, or some other Authorization scheme. */
export type Presented = { kind: 'none' } | { kind: 'bearer'; token: string } | { kind: 'other' };

export type AccessDecision = { allow: true } | { allow: false; status: 401 | 403; message: string };

/** Node credentials are issued with this prefix (join-tokens.ts). */
const NODE_CREDENTIAL_PREFIX = 'SWLCRED-';

export const MISSING_TOKEN_MESSAGE =
  'unauthorized: this manager requires a client token: send "Authorization: Bearer <token>" (swarmlet --token or SWARMLET_TOKEN; see `swarmlet client-token`)';
export const INVALID_TOKEN_MESSAGE = 'unauthorized: invalid client token';
export const NODE_CREDENTIAL_MESSAGE = 'forbidden: a node credential cannot call manager routes; use the client token';
export const NODE_ROUTE_MESSAGE = 'node credential missing or invalid';
export const ENDPOINTS_MESSAGE = 'unauthorized: the endpoint stream needs a node credential or the client token';

/** Parses an Authorization header (the scheme is case-insensitive, as in RFC 7235). */
export function presentedCredential(header: string | undefined): Presented {
  if (header === undefined || header.trim() === '') return { kind: 'none' };
  const m = /^bearer +(\S+) *$/i.exec(header);
  return m ? { kind: 'bearer', token: m[1]! } : { kind: 'other' };
}

const ALLOW: AccessDecision = { allow: true };
const deny = (status: 401 | 403, message: string): AccessDecision => ({ allow: false, status, message });

/** The pure decision: may a request to a route of this access class go on? */
export function decideAccess(access: RouteAccess, presented: Presented, secrets: ClientSecrets, required: boolean): AccessDecision {
  if (access.kind === 'public' || access.kind === 'join') return ALLOW;
  if (access.kind === 'node') { // that node's own credential, with or without client auth (the routes check it again)
    return presented.kind === 'bearer' && secrets.checkCredential(access.nodeId, presented.token) ? ALLOW : deny(401, NODE_ROUTE_MESSAGE);
  }
  if (presented.kind === 'other') return required ? deny(401, MISSING_TOKEN_MESSAGE) : ALLOW;
  if (presented.kind === 'none') {
    if (!required) return ALLOW;
    return deny(401, access.kind === 'endpoints' ? ENDPOINTS_MESSAGE : MISSING_TOKEN_MESSAGE);
  }
  const token = presented.token;
  if (secrets.checkClientToken(token)) return ALLOW;
  if (access.kind === 'endpoints') return secrets.nodeOfCredential(token) !== undefined ? ALLOW : deny(401, ENDPOINTS_MESSAGE);
  if (token.startsWith(NODE_CREDENTIAL_PREFIX)) return deny(403, NODE_CREDENTIAL_MESSAGE);
  return deny(401, INVALID_TOKEN_MESSAGE);
}

/** Throws 401/403 (SwarmletError) for a request that may not go on; `path` has no /vX.Y prefix. */
export type Authorizer = (req: IncomingMessage, method: string, path: string) => void;

export function createAuthorizer(secrets: ClientSecrets, opts: { required: boolean }): Authorizer {
  return (req, method, path) => {
    const d = decideAccess(routeAccess(method, path), presentedCredential(req.headers.authorization), secrets, opts.required);
    if (!d.allow) throw new SwarmletError(d.status === 401 ? 'unauthenticated' : 'permission_denied', d.message);
  };
}
