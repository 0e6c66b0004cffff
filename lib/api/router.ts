import type { Handler } from './context.js';

export interface Route {
  method: string;
  /** Anchored regex over the path without the version prefix; captures become params. */
  pattern: RegExp;
  handler: Handler;
}

export type RouteMatch =
  | { kind: 'found'; handler: Handler; params: string[] }
  | { kind: 'method_not_allowed'; allow: string[] }
  | { kind: 'not_found' };

/** A small router: the first route whose method and pattern match wins. */
export function createRouter(routes: readonly Route[]): (method: string, path: string) => RouteMatch {
  return (method, path) => {
    const allow: string[] = [];
    for (const route of routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      if (route.method === method) return { kind: 'found', handler: route.handler, params: m.slice(1).map((p) => p ?? '') };
      if (!allow.includes(route.method)) allow.push(route.method);
    }
    return allow.length > 0 ? { kind: 'method_not_allowed', allow } : { kind: 'not_found' };
  };
}

/** Splits `/v1.41/services` into `{ version: '1.41', path: '/services' }` (no prefix → undefined). */
export function stripVersionPrefix(path: string): { version: string | undefined; path: string } {
  const m = /^\/v([0-9]+(?:\.[0-9]+)*)(\/.*)$/.exec(path);
  return m ? { version: m[1], path: m[2] ?? '/' } : { version: undefined, path };
}
