import { sleep, type Clock } from '../clock.js';
import type { RunningTask } from './task-driver.js';

export interface NativeHealthWatch {
  /** The running task's own health status (the image's HEALTHCHECK, as the driver reads it). */
  health: NonNullable<RunningTask['health']>;
  clock: Clock;
  /** Ends the watch (the task exited or is being stopped). */
  signal: AbortSignal;
  /** Between two reads (default 500 ms). */
  intervalMs?: number;
  /** The image has no health check: called once, and the watch ends. */
  onNone(): void;
  /** The first time it reports healthy. */
  onHealthy(): void;
  /** It turned unhealthy: called once, and the watch ends. */
  onUnhealthy(): void;
}

export const NATIVE_HEALTH_INTERVAL_MS = 500;

/**
 * Follows a task's native health status (a container image's HEALTHCHECK) on the clock, as the
 * runner does with swarmlet's own probes when the service sets none. A status that cannot be read
 * (the container is going away) is asked again; the task's exit ends the watch through the signal.
 */
export async function watchNativeHealth(o: NativeHealthWatch): Promise<void> {
  let healthy = false;
  while (!o.signal.aborted) {
    const status = await o.health().catch(() => undefined);
    if (o.signal.aborted) return;
    if (status === 'none' && !healthy) return o.onNone();
    if (status === 'unhealthy') return o.onUnhealthy();
    if (status === 'healthy' && !healthy) {
      healthy = true;
      o.onHealthy();
    }
    await sleep(o.clock, o.intervalMs ?? NATIVE_HEALTH_INTERVAL_MS, o.signal);
  }
}
