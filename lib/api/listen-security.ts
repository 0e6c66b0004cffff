/**
 * The management API's security defaults: it listens on loopback unless told otherwise; on any other
 * address it needs TLS (and then client-token auth is always on), or it refuses to start.
 */
import { isIP } from 'node:net';
import { SwarmletError } from '../errors.js';

/** The API server's certificate and key, as PEM text (not file paths: the CLI reads the files). */
export interface TlsServerOptions {
  cert: string;
  key: string;
}

/** True for `localhost`, 127.0.0.0/8 and ::1 (with or without brackets). 0.0.0.0 and :: are not loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  return mapped !== null && mapped[1]!.startsWith('127.');
}

/** How a refusal names the fix: CLI flags or library options. */
export interface ListenFixNames { tls: string }

const LIBRARY_NAMES: ListenFixNames = { tls: 'the `tls: { cert, key }` option' };

/**
 * Throws (`failed_precondition`) when the API would serve a non-loopback address without TLS.
 * The message names the address and what to pass.
 */
export function assertListenAllowed(host: string, tls: TlsServerOptions | undefined, names: ListenFixNames = LIBRARY_NAMES): void {
  if (tls || isLoopbackHost(host)) return;
  throw new SwarmletError('failed_precondition',
    `refusing to serve the management API on ${host} without TLS: on a non-loopback address it requires TLS and a client token; pass ${names.tls}, or listen on a loopback address such as 127.0.0.1`,
    'listen');
}

/** Whether client-token auth is on: always with TLS, or when asked for. */
export function clientAuthRequired(tls: TlsServerOptions | undefined, requireClientToken: boolean | undefined): boolean {
  return tls !== undefined || requireClientToken === true;
}
