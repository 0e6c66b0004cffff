import type { ExitInfo, RunningTask } from '../../agent/task-driver.js';
import { sleep, timeoutSignal, type Clock } from '../../clock.js';
import { SwarmletError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { stopTimeoutSeconds } from './container-config.js';
import { exitInfoOf, healthOf } from './container-exit.js';
import type { DockerApi, DockerContainerState } from './docker-api.js';
import { FrameDecoder } from './docker-logs.js';

export interface ContainerTaskOptions {
  api: DockerApi;
  containerId: string;
  endpoint: { addr: string; port: number; ports?: Record<string, number> } | undefined;
  pid: number | undefined;
  clock: Clock;
  logger: Logger;
  /** How long to wait before asking the engine again when a wait request failed (default 1 s). */
  retryMs?: number;
  /** Called once, before `exited` resolves. */
  onExit?: (info: ExitInfo) => void;
}

/**
 * The RunningTask of one container (started or adopted): `exited` follows the engine's wait and
 * inspect (exit code, OOM kill), `stop()` is `docker stop -t <grace>`, `health()` reads the
 * image's HEALTHCHECK status. The container itself stays until the driver forgets the task, so
 * its logs can still be read.
 */
export function containerTask(o: ContainerTaskOptions): RunningTask {
  let stopped = false;
  let gone = false;
  let stopping: Promise<void> | undefined;
  const giveUp = new AbortController();
  const exited = waitExit(o, giveUp.signal).then((state) => {
    gone = true;
    const info = exitInfoOf(state, stopped);
    o.logger.debug({ container: o.containerId, ...info }, 'container gone');
    o.onExit?.(info);
    return info;
  });

  const stop = (graceMs: number): Promise<void> => {
    if (gone) return Promise.resolve();
    stopping ??= (async () => {
      stopped = true;
      try {
        await o.api.stopContainer(o.containerId, stopTimeoutSeconds(graceMs));
      } catch (err) {
        o.logger.warn({ container: o.containerId, err }, 'docker stop failed; killing the container');
        await o.api.killContainer(o.containerId).catch(() => undefined);
        giveUp.abort();
      }
      await exited;
    })();
    return stopping;
  };

  const health = async (): Promise<'starting' | 'healthy' | 'unhealthy' | 'none'> => {
    const info = await o.api.inspectContainer(o.containerId);
    if (!info) throw new SwarmletError('not_found', `container ${o.containerId} not found`);
    return healthOf(info.State);
  };

  const exec = async (argv: string[], timeoutMs: number) => {
    const timeout = timeoutSignal(o.clock, timeoutMs);
    const r = await o.api.execInContainer(o.containerId, argv, timeout.signal).finally(() => timeout.done());
    const text = new FrameDecoder().push(Buffer.concat(r.output)).map((f) => f.payload.toString('utf8')).join('');
    return { exitCode: r.exitCode, output: text.slice(0, 4096) };
  };

  return { endpoint: o.endpoint, pid: o.pid, exited, stop, health, exec, viaProxy: true };
}

/**
 * The container's final State once it no longer runs (undefined when it is gone). A failed wait
 * request (engine restarting, connection dropped) is retried on the clock; after `giveUp` aborts,
 * the state is checked once more and the container counted as gone if it still cannot be read.
 */
async function waitExit(o: ContainerTaskOptions, giveUp: AbortSignal): Promise<DockerContainerState | undefined> {
  for (;;) {
    try {
      const code = await o.api.waitContainer(o.containerId);
      if (code === undefined) return undefined;
      const info = await o.api.inspectContainer(o.containerId);
      if (!info || !info.State.Running) return info?.State;
      if (giveUp.aborted) return undefined;
      await sleep(o.clock, o.retryMs ?? 1000, giveUp); // still running (restarted by hand?): wait again
    } catch (err) {
      if (giveUp.aborted) return undefined;
      o.logger.warn({ container: o.containerId, err }, 'waiting for the container failed; asking again');
      await sleep(o.clock, o.retryMs ?? 1000, giveUp);
    }
  }
}
