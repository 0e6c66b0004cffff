/**
 * GET /ui: the web dashboard (static files from `dist/ui/`: index.html, style.css, the page's ES
 * modules). The files are public (route-access.ts): they hold no cluster data, and the page then
 * calls the API with the client token when the manager wants one. A strict Content-Security-Policy
 * keeps the page to its own origin: nothing is fetched from elsewhere.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import type { ApiContext } from './context.js';
import { sendText } from './reply.js';
import type { Route } from './router.js';
import { UI_PATH } from './route-access.js';
import { defaultUiAssetsDir } from './ui-assets.js';

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";


export interface UiRouteOptions {
  /** The built files (default: the package's dist/ui). */
  assetsDir?: string;
}

/** The dashboard's routes (for createApiServer's `extraRoutes`). */
export function uiRoutes(opts: UiRouteOptions = {}): Route[] {
  const dir = opts.assetsDir ?? defaultUiAssetsDir();
  const handler = (ctx: ApiContext) => serveUi(ctx, dir);
  return [
    { method: 'GET', pattern: UI_PATH, handler },
    { method: 'HEAD', pattern: UI_PATH, handler },
  ];
}

async function serveUi(ctx: ApiContext, dir: string): Promise<void> {
  const path = (ctx.req.url ?? '/ui').split('?')[0]!.replace(/^\/v[0-9.]+/, '');
  if (path === '/ui') {
    ctx.res.statusCode = 301;
    ctx.res.setHeader('Location', '/ui/');
    ctx.res.setHeader('Content-Length', 0);
    ctx.res.end();
    return;
  }
  const file = path === '/ui/' ? 'index.html' : path.slice('/ui/'.length);
  let body: Buffer;
  try {
    body = await readFile(join(dir, file));
  } catch {
    if (file === 'index.html') return sendText(ctx.res, 503, `the dashboard is not built (${dir} is missing): run npm run build\n`);
    return sendText(ctx.res, 404, `no such file: ${file}\n`);
  }
  send(ctx.res, ctx.req.method === 'HEAD', TYPES[file.slice(file.lastIndexOf('.') + 1)]!, body);
}

function send(res: ServerResponse, head: boolean, type: string, body: Buffer): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', body.length);
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.end(head ? undefined : body);
}
