import { SwarmletError } from '../errors.js';

/**
 * A start-up failure as one sentence naming the address and the way out: `listen EADDRINUSE …` of the
 * API or of a gateway becomes "… 127.0.0.1:2377 is already in use (another swarmlet up?): …". Other
 * errors pass through unchanged.
 */
export function startUpError(e: unknown, what: 'api' | 'gateway'): unknown {
  const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
  const text = String(err?.message ?? e);
  const inUse = err?.code === 'EADDRINUSE' || /EADDRINUSE/.test(text);
  const denied = err?.code === 'EACCES' || /EACCES/.test(text);
  if (!inUse && !denied) return e;
  const addr = err.address !== undefined && err.port !== undefined ? `${err.address}:${err.port}` : /(\d+\.\d+\.\d+\.\d+:\d+|\[[0-9a-f:]+\]:\d+)/i.exec(text)?.[1] ?? 'its address';
  const why = inUse ? 'is already in use (another swarmlet up, manager or example running?)' : 'may not be used by this user';
  const wayOut = what === 'api'
    ? 'choose another manager address with --listen HOST:PORT (library: the listen option)'
    : 'run with --metrics-port PORT|off or --no-gateway (library: gateway: { adminPort } or gateway: false), or free the published port';
  return new SwarmletError('unavailable', `${what === 'api' ? 'the manager API' : 'a gateway'} cannot listen on ${addr}: it ${why}; ${wayOut}`);
}
