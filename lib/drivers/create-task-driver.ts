import type { TaskDriver } from '../agent/task-driver.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { createDockerApi, dockerHostOf } from './docker/docker-api.js';
import { createDockerDriver } from './docker/docker-driver.js';
import { createProcessDriver } from './process-driver.js';

export const DRIVER_KINDS = ['process', 'docker'] as const;
export type DriverKind = (typeof DRIVER_KINDS)[number];

/** Which driver runs a node's tasks; docker reads `dockerHost`, else DOCKER_HOST, else the local socket. */
export interface DriverChoice {
  kind: DriverKind;
  dockerHost?: string;
}

export interface DriverContext {
  nodeId: string;
  hostname: string;
  /** The node's own state directory (the process driver keeps logs and task records there). */
  dataDir: string;
  clock: Clock;
  logger: Logger;
}

export function parseDriverKind(value: string): DriverKind {
  if ((DRIVER_KINDS as readonly string[]).includes(value)) return value as DriverKind;
  throw new Error(`invalid driver "${value}": expected ${DRIVER_KINDS.join(' or ')}`);
}

/**
 * The node's task driver. For docker the engine must answer first: a clear error names the
 * engine's address instead of tasks failing one by one later.
 */
export async function createTaskDriver(choice: DriverChoice, ctx: DriverContext): Promise<TaskDriver> {
  if (choice.kind === 'process') return createProcessDriver({ dataDir: ctx.dataDir, clock: ctx.clock, logger: ctx.logger });
  const api = createDockerApi(choice.dockerHost ? { host: choice.dockerHost } : {});
  try {
    await api.ping();
  } catch (err) {
    const where = dockerHostOf(choice.dockerHost);
    throw new Error(`cannot reach the Docker engine at ${where}: ${(err as Error).message} (start dockerd, or pass --docker-host)`);
  }
  return createDockerDriver({ api, clock: ctx.clock, logger: ctx.logger, nodeId: ctx.nodeId, hostname: ctx.hostname });
}
