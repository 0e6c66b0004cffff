/** The manager address the client talks to: `--host` / SWARMLET_HOST. */
import { invalid } from '../errors.js';

export const DEFAULT_HOST = 'http://127.0.0.1:2377';

/**
 * Normalises a host reference to an origin (`http://host:port`).
 * Accepts `http://…`, `https://…`, `tcp://host:port` and bare `host:port` / `host`.
 * With `tls` (docker's `--tlsverify`), `tcp://` and bare hosts mean https; an explicit scheme is kept.
 */
export function normalizeHost(value: string | undefined, opts: { tls?: boolean } = {}): string {
  const raw = (value ?? '').trim();
  const scheme = opts.tls ? 'https' : 'http';
  if (raw === '') return opts.tls ? DEFAULT_HOST.replace(/^http:/, 'https:') : DEFAULT_HOST;
  const webScheme = /^https?:\/\//i.test(raw);
  let text = raw;
  if (/^tcp:\/\//i.test(text)) text = `${scheme}://${text.slice(6)}`;
  else if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = `${scheme}://${text}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(`invalid host "${raw}": expected http://HOST:PORT, tcp://HOST:PORT or HOST:PORT`, 'host');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(`invalid host "${raw}": unsupported scheme ${url.protocol.replace(/:$/, '')} (use http, https or tcp)`, 'host');
  }
  if (url.pathname !== '/' && url.pathname !== '') {
    throw invalid(`invalid host "${raw}": a host must not have a path`, 'host');
  }
  // http(s)://host without a port means the scheme's port; tcp://host and bare host mean 2377.
  const port = url.port !== '' ? `:${url.port}` : webScheme ? '' : ':2377';
  return `${url.protocol}//${url.hostname}${port}`;
}
