import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Control } from '../manager/control.js';
import type { Logger } from '../logger.js';
import type { SwarmState } from './swarm-state.js';

/** Everything a route handler gets for one request. */
export interface ApiContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Regex captures of the matched route, URL-decoded. */
  params: string[];
  query: URLSearchParams;
  /** The `X.Y` of a `/vX.Y/` path prefix; undefined when the path has none (= latest). */
  apiVersion: string | undefined;
  control: Control;
  logger: Logger;
  maxBodyBytes: number;
  /** swarmlet's own version (Server header, /version, /info). */
  serverVersion: string;
  /** The swarm object (GET /swarm …); absent: the swarm routes answer Docker's "not a swarm manager". */
  swarm?: SwarmState;
  /** Aborts when the server is closing: long-lived streams end on it. */
  closing: AbortSignal;
}

export type Handler = (ctx: ApiContext) => void | Promise<void>;
