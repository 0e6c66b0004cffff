/**
 * The parent's end of one gateway child process (gateway-worker.ts): the start handshake, the
 * metrics requests and a graceful stop, over the IPC channel of the protocol in worker-config.ts.
 * Used by createGatewayWorkers (node:cluster workers) and createGatewayProcess (one child process).
 */
import type { ChildProcess } from 'node:child_process';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../lib/clock.js';
import { isFromWorker, type FromWorker, type ToWorker } from './worker-config.js';

/** The child's entry next to this file: gateway-worker.ts under tsx, gateway-worker.js once compiled. */
export function gatewayChildEntry(): string {
  const self = fileURLToPath(import.meta.url);
  return join(dirname(self), `gateway-worker${extname(self)}`);
}

export interface GatewayChildOptions {
  /** How errors name the child ("gateway worker 2"). */
  name: string;
  clock: Clock;
  /** Longest wait for the child's 'started'. */
  startTimeoutMs: number;
  /** Every message but started/failed/metrics answers. */
  onMessage(m: FromWorker): void;
  /** The child exited (also when it never started). */
  onExit(code: number | null, signal: string | null): void;
}

export interface ChildStarted { admin?: { host: string; port: number } }

export class GatewayChild {
  /** Resolves when the child's gateway started; rejects if it failed, exited or took too long. */
  readonly started: Promise<ChildStarted>;
  private readonly waiting = new Map<number, (metrics: object[] | null) => void>();
  private seq = 0;
  private exited = false;
  private readonly exit: Promise<void>;

  constructor(readonly child: ChildProcess, private readonly o: GatewayChildOptions) {
    this.exit = new Promise((resolve) => child.once('exit', () => { this.exited = true; resolve(); }));
    this.started = new Promise((resolve, reject) => {
      const timer = o.clock.setTimeout(() => reject(new Error(`${o.name} did not start within ${o.startTimeoutMs} ms`)), o.startTimeoutMs);
      const settle = (err?: Error, started?: ChildStarted): void => { timer.cancel(); if (err) reject(err); else resolve(started ?? {}); };
      child.on('message', (m: unknown) => {
        if (!isFromWorker(m)) return;
        if (m.swarmlet === 'started') settle(undefined, m.admin ? { admin: m.admin } : {});
        else if (m.swarmlet === 'failed') settle(new Error(`${o.name} failed: ${m.message}`));
        else if (m.swarmlet === 'metrics') this.waiting.get(m.seq)?.(m.metrics);
        else o.onMessage(m);
      });
      child.once('exit', (code, signal) => {
        settle(new Error(`${o.name} exited (${signal ?? code}) while starting`));
        for (const done of [...this.waiting.values()]) done(null);
        o.onExit(code, signal);
      });
    });
    this.started.catch(() => undefined); // the owner awaits it; an exit later must not be unhandled
  }

  get pid(): number | undefined { return this.child.pid; }
  connected(): boolean { return this.child.connected && !this.exited; }
  dead(): boolean { return this.exited; }

  send(m: ToWorker): void {
    if (this.connected()) this.child.send(m, (err: Error | null) => { if (err) { /* it is exiting: its exit is handled */ } });
  }

  /** The child's metrics (`getMetricsAsJSON`), or null if it does not answer within 2 s. */
  metrics(): Promise<object[] | null> {
    if (!this.connected()) return Promise.resolve(null);
    return new Promise((resolve) => {
      const seq = ++this.seq;
      const done = (metrics: object[] | null): void => { timer.cancel(); this.waiting.delete(seq); resolve(metrics); };
      const timer = this.o.clock.setTimeout(() => done(null), 2_000);
      this.waiting.set(seq, done);
      this.send({ swarmlet: 'metrics', seq });
    });
  }

  /** Asks the child to drain and exit; kills it if it is still there after `killAfterMs`. */
  stop(killAfterMs: number): Promise<void> {
    if (this.exited) return Promise.resolve();
    const timer = this.o.clock.setTimeout(() => this.child.kill('SIGKILL'), killAfterMs);
    if (this.connected()) this.send({ swarmlet: 'close' });
    else this.child.kill('SIGTERM');
    return this.exit.then(() => timer.cancel());
  }
}
