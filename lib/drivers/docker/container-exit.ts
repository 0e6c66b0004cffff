import { constants as osConstants } from 'node:os';
import type { ExitInfo } from '../../agent/task-driver.js';
import type { DockerContainerState } from './docker-api.js';

/** The Err of a task whose container the kernel killed for using more memory than its limit. */
export const OOM_ERROR = 'task: container killed: out of memory (OOMKilled)';
/** The Err of a task whose container disappeared (removed behind swarmlet's back). */
export const CONTAINER_GONE_ERROR = 'task: container removed';

/** The signal a shell-style exit code above 128 stands for (137 → SIGKILL); undefined otherwise. */
export function signalOfExitCode(code: number): string | undefined {
  if (code <= 128 || code > 128 + 64) return undefined;
  const signals = osConstants.signals as Record<string, number>;
  return Object.keys(signals).find((name) => signals[name] === code - 128);
}

/**
 * How a container ended, from its inspected State: the exit code as Docker reports it (so a killed
 * container fails with Swarm's `task: non-zero exit (137)`), the signal it stands for, OOM kills
 * and engine errors (a container that could not start) as `error`. `stopped` is true when the driver
 * stopped it, whatever the code. Undefined state: the container is gone.
 */
export function exitInfoOf(state: DockerContainerState | undefined, stopped: boolean): ExitInfo {
  if (!state) return stopped ? { exitCode: undefined, signal: undefined, stopped } : { exitCode: undefined, signal: undefined, stopped, error: CONTAINER_GONE_ERROR };
  const info: ExitInfo = { exitCode: state.ExitCode, signal: signalOfExitCode(state.ExitCode), stopped };
  if (stopped) return info;
  if (state.OOMKilled) info.error = OOM_ERROR;
  else if (state.Error) info.error = `task: ${state.Error}`;
  return info;
}

/** The image HEALTHCHECK status of a container (`none` when its image has none). */
export function healthOf(state: Pick<DockerContainerState, 'Health'> | undefined): 'starting' | 'healthy' | 'unhealthy' | 'none' {
  const status = state?.Health?.Status;
  return status === 'starting' || status === 'healthy' || status === 'unhealthy' ? status : 'none';
}
