import { sendJson } from './reply.js';
import type { Route } from './router.js';

/** Where the client token lives (JoinTokens implements it). */
export interface ClientTokenStore {
  clientToken(): string;
  rotateClientToken(): string;
}

/**
 * GET /swarmlet/v1/client-token[?rotate=1] → {Token}: a manager route (with auth on, only a caller
 * holding the current client token gets here). Rotating refuses the old token at once.
 */
export function clientTokenRoute(store: ClientTokenStore): Route {
  return {
    method: 'GET',
    pattern: /^\/swarmlet\/v1\/client-token$/,
    handler: (ctx) => {
      const rotate = ['1', 'true', 'yes'].includes(ctx.query.get('rotate') ?? '');
      sendJson(ctx.res, 200, { Token: rotate ? store.rotateClientToken() : store.clientToken() });
    },
  };
}
