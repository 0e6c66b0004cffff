import { sleep, type Clock } from '../clock.js';
import { initialHealth, nextHealthState, type HealthSettings, type HealthState } from './health-state.js';
import { runProbe, type ProbeTarget } from './probes.js';

/**
 * Probes a task every interval until the signal aborts, reporting each change of health status.
 * The first probe runs one interval after start, as Docker does.
 */
export async function monitorHealth(
  s: HealthSettings, target: ProbeTarget, clock: Clock, signal: AbortSignal,
  onChange: (state: HealthState, output: string) => void,
): Promise<void> {
  const started = clock.now();
  let state = initialHealth();
  while (!signal.aborted) {
    await sleep(clock, s.intervalMs, signal);
    if (signal.aborted) return;
    const result = await runProbe(s, target, clock);
    if (signal.aborted) return;
    const next = nextHealthState(state, result.ok, clock.now() - started, s);
    if (next.status !== state.status) onChange(next, result.output);
    state = next;
  }
}
