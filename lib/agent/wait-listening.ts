import { connect } from 'node:net';
import { sleep, type Clock } from '../clock.js';

/**
 * One TCP connect attempt: true when something accepts on addr:port. With `holdMs`, the connection
 * must also stay open that long: a proxy in front of a task that does not listen yet (docker-proxy)
 * accepts and then closes at once.
 */
export function canConnect(addr: string, port: number, timeoutMs = 500, holdMs = 0): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: addr, port });
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => {
      if (holdMs <= 0) return done(true);
      // still open after holdMs of silence: the socket's idle timeout says so
      socket.removeAllListeners('timeout');
      socket.setTimeout(holdMs, () => done(true));
      // data means something answered: the task is there
      socket.once('data', () => done(true));
      socket.once('end', () => done(false));
      socket.once('close', () => done(false));
    });
    socket.once('error', () => done(false));
  });
}

/**
 * Polls until the task accepts TCP connections on its endpoint. Resolves true when it does, false
 * when `gone` settles first (the process exited or the task is being stopped).
 */
export async function waitListening(
  addr: string, port: number, clock: Clock, gone: Promise<unknown>, intervalMs = 50, holdMs = 0,
): Promise<boolean> {
  let over = false;
  void gone.then(() => { over = true; }, () => { over = true; });
  const stop = new AbortController();
  void gone.finally(() => stop.abort());
  while (!over) {
    if (await canConnect(addr, port, 500, holdMs)) return !over;
    await sleep(clock, intervalMs, stop.signal);
  }
  return false;
}
