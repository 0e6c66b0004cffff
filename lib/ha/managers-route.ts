import { sendJson } from '../api/reply.js';
import type { Route } from '../api/router.js';
import type { ManagerInfo } from './ha-types.js';
import { MANAGERS_PATH } from './place-request.js';

/** What GET /swarmlet/v1/managers answers for each manager (`swarmlet manager ls`). */
export interface ManagerEntry { ID: string; Addr: string; Leader: boolean; Reachable: boolean; Self: boolean }

/** GET /swarmlet/v1/managers: every manager of the cluster as this one sees it (answered by any manager). */
export function managersRoute(managers: () => ManagerInfo[], selfId: string): Route {
  return {
    method: 'GET', pattern: new RegExp(`^${MANAGERS_PATH}$`),
    handler: (ctx) => {
      const list: ManagerEntry[] = managers().map((m) => ({ ID: m.id, Addr: m.addr, Leader: m.leader, Reachable: m.reachable, Self: m.id === selfId }))
        .sort((a, b) => a.Addr.localeCompare(b.Addr));
      sendJson(ctx.res, 200, list);
    },
  };
}
