/**
 * runNode's options under createCluster's names (`dataDir`, `gateway: false | { adminPort, logLevel }`,
 * `driver: 'docker' | { kind, dockerHost }`), with the old names (`stateDir`, `noGateway`, `metricsPort`,
 * `gatewayLogLevel`) still accepted. Pure.
 */
import { invalid } from '../errors.js';
import type { DriverChoice, DriverKind } from '../drivers/create-task-driver.js';

/** What createCluster's `gateway` option means, for one node. */
export type GatewayOption = boolean | { adminPort?: number | false; logLevel?: string };

export interface NodeOptionNames {
  dataDir?: string;
  /** @deprecated Use `dataDir` (createCluster's name). */
  stateDir?: string;
  gateway?: GatewayOption;
  /** @deprecated Use `gateway: false`. */
  noGateway?: boolean;
  /** @deprecated Use `gateway: { adminPort }`. */
  metricsPort?: number | false;
  /** @deprecated Use `gateway: { logLevel }`. */
  gatewayLogLevel?: string;
  driver?: DriverKind | DriverChoice;
}

export interface ResolvedNodeOptions {
  dataDir: string;
  /** false: no gateway on this node. */
  gateway: false | { adminPort: number | false; logLevel: string };
  driver: DriverChoice;
}

export function resolveNodeOptions(o: NodeOptionNames): ResolvedNodeOptions {
  if (o.dataDir !== undefined && o.stateDir !== undefined && o.dataDir !== o.stateDir) {
    throw invalid('dataDir and stateDir (its old name) differ: give one', 'dataDir');
  }
  const dataDir = o.dataDir ?? o.stateDir;
  if (dataDir === undefined || dataDir === '') throw invalid('a node needs a dataDir (its identity, credential and task logs)', 'dataDir');
  const g = o.gateway ?? true;
  const on = g !== false && o.noGateway !== true;
  const obj = typeof g === 'object' ? g : {};
  const adminPort = obj.adminPort ?? o.metricsPort ?? 9323;
  if (adminPort !== false && (!Number.isInteger(adminPort) || adminPort < 0 || adminPort > 65535)) {
    throw invalid(`invalid gateway admin port ${String(adminPort)}: expected 0-65535 or false`, 'gateway.adminPort');
  }
  const driver: DriverChoice = typeof o.driver === 'string' ? { kind: o.driver } : o.driver ?? { kind: 'process' };
  return { dataDir, gateway: on ? { adminPort, logLevel: obj.logLevel ?? o.gatewayLogLevel ?? 'silent' } : false, driver };
}
