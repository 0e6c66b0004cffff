import { connect } from 'node:net';
import { sleep, type Clock } from '../clock.js';

/** One TCP connect attempt: true when something accepts on addr:port. */
export function canConnect(addr: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: addr, port });
    const done = (ok: boolean) => { socket.removeAllListeners(); socket.destroy(); resolve(ok); };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Polls until the task accepts TCP connections on its endpoint. Resolves true when it does, false
 * when `gone` settles first (the process exited or the task is being stopped).
 */
export async function waitListening(addr: string, port: number, clock: Clock, gone: Promise<unknown>, intervalMs = 50): Promise<boolean> {
  let over = false;
  void gone.then(() => { over = true; }, () => { over = true; });
  const stop = new AbortController();
  void gone.finally(() => stop.abort());
  while (!over) {
    if (await canConnect(addr, port)) return !over;
    await sleep(clock, intervalMs, stop.signal);
  }
  return false;
}
