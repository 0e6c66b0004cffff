import type { HealthConfig } from '../model/types.js';

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

export interface HealthState {
  status: HealthStatus;
  /** Consecutive failed probes that count (failures in the start period before any success do not). */
  failingStreak: number;
  /** True once a probe has succeeded: from then on every failure counts, start period or not. */
  everHealthy: boolean;
}

export interface HealthSettings {
  kind: 'exec' | 'shell' | 'http';
  /** argv (exec), a shell command (shell) or a path (http). */
  target: string[] | string;
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

/** Docker's engine defaults when a member is unset (moby daemon/health.go). */
export const HEALTH_DEFAULTS = { intervalMs: 30_000, timeoutMs: 30_000, retries: 3, startPeriodMs: 0 } as const;

/** The settings of a service's health check, or undefined when it has none (absent or NONE). */
export function healthSettings(hc: HealthConfig | undefined): HealthSettings | undefined {
  const test = hc?.Test;
  if (!test || test.length === 0 || test[0] === 'NONE') return undefined;
  const ms = (ns: number | undefined, dflt: number) => (ns && ns > 0 ? Math.max(1, Math.round(ns / 1e6)) : dflt);
  const common = {
    intervalMs: ms(hc?.Interval, HEALTH_DEFAULTS.intervalMs),
    timeoutMs: ms(hc?.Timeout, HEALTH_DEFAULTS.timeoutMs),
    retries: hc?.Retries && hc.Retries > 0 ? hc.Retries : HEALTH_DEFAULTS.retries,
    startPeriodMs: ms(hc?.StartPeriod, HEALTH_DEFAULTS.startPeriodMs),
  };
  if (test[0] === 'CMD-SHELL') return { kind: 'shell', target: test.slice(1).join(' '), ...common };
  if (test[0] === 'HTTP') return { kind: 'http', target: test[1] ?? '/', ...common };
  if (test[0] === 'CMD') return { kind: 'exec', target: test.slice(1), ...common };
  return { kind: 'shell', target: test.join(' '), ...common };
}

export function initialHealth(): HealthState {
  return { status: 'starting', failingStreak: 0, everHealthy: false };
}

/**
 * Docker's health state machine: one success makes the task healthy; `retries` consecutive
 * failures make it unhealthy, except that failures during the start period do not count until
 * the first success.
 */
export function nextHealthState(state: HealthState, ok: boolean, sinceStartMs: number, s: Pick<HealthSettings, 'retries' | 'startPeriodMs'>): HealthState {
  if (ok) return { status: 'healthy', failingStreak: 0, everHealthy: true };
  if (!state.everHealthy && sinceStartMs < s.startPeriodMs) return state;
  const streak = state.failingStreak + 1;
  return { ...state, failingStreak: streak, status: streak >= s.retries ? 'unhealthy' : state.status };
}
