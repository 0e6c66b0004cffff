import type { Registry } from 'prom-client';
import type { Route } from '../api/router.js';

/** GET /metrics on the manager API: the manager's own Prometheus registry. */
export function metricsRoute(registry: Registry): Route {
  return {
    method: 'GET',
    pattern: /^\/metrics$/,
    handler: async (ctx) => {
      const body = await registry.metrics();
      ctx.res.statusCode = 200;
      ctx.res.setHeader('Content-Type', registry.contentType);
      ctx.res.end(body);
    },
  };
}
