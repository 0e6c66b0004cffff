/**
 * What a task that does not listen yet is waiting for, said in its status while it waits: a task
 * whose program never listens on its $HOST:$PORT would otherwise stay STARTING with no reason shown.
 * The hint is reported first after FIRST_HINT_MS (most tasks listen well before) and then at a
 * steady, low rate (every 10 s, every minute after the first), never once per probe.
 */
import type { Clock, Timer } from '../clock.js';

export const FIRST_HINT_MS = 2_000;
const EVERY_MS = 10_000;
const SLOW_AFTER_MS = 60_000;
const SLOW_EVERY_MS = 60_000;

/** How long after the wait began the next hint is due, given how long it has waited (pure). */
export function nextHintAt(elapsedMs: number): number {
  if (elapsedMs < FIRST_HINT_MS) return FIRST_HINT_MS;
  const every = elapsedMs < SLOW_AFTER_MS ? EVERY_MS : SLOW_EVERY_MS;
  return (Math.floor(elapsedMs / every) + 1) * every;
}

/** `45s`, `1m`, `1m30s`, `2h5m`: how long, in whole seconds. */
export function shortDuration(ms: number): string {
  const s = Math.floor(Math.max(0, ms) / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
}

export interface ListenTarget {
  /** The endpoint probed: node address and host port. */
  addr: string;
  port: number;
  /** The variable that tells the program its port (process driver): PORT, or PORT_<target> for another target port. */
  env?: string;
  /** The port the program itself must listen on, when it differs from the probed one (a container's target port behind its published one). */
  containerPort?: number;
}

/**
 * The reason shown (the task's Status.Err while it is STARTING, as Swarm shows a pending task's
 * "no suitable node"): `waiting for the task to listen on 127.0.0.1:20001 (PORT); started 30s ago`.
 */
export function listenHintText(target: ListenTarget, elapsedMs: number): string {
  const where = target.containerPort !== undefined
    ? `port ${target.containerPort} in its container (published on ${target.addr}:${target.port})`
    : `${target.addr}:${target.port} (${target.env ?? 'PORT'})`;
  return `waiting for the task to listen on ${where}; started ${shortDuration(elapsedMs)} ago`;
}

/**
 * Calls `hint` with the reason (about the port `target()` says is waited on then) at the times
 * `nextHintAt` gives, measured from now, until cancelled. The first call comes after FIRST_HINT_MS.
 */
export function startListenHints(clock: Clock, target: () => ListenTarget, hint: (reason: string) => void): Timer {
  const began = clock.now();
  let timer: Timer | undefined;
  let cancelled = false;
  const schedule = () => {
    const elapsed = clock.now() - began;
    const due = nextHintAt(elapsed);
    timer = clock.setTimeout(() => {
      if (cancelled) return;
      // a timer may fire a millisecond before Date.now says it is due: never "started 1s ago" at 2 s
      hint(listenHintText(target(), Math.max(clock.now() - began, due)));
      schedule();
    }, due - elapsed);
  };
  schedule();
  return { cancel: () => { cancelled = true; timer?.cancel(); } };
}
