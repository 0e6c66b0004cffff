import { parseDriverKind, type DriverChoice } from '../lib/drivers/create-task-driver.js';

/** `--driver` and `--docker-host` (of `up` and `node join`) as the node's driver choice. */
export function driverChoice(driver: string, dockerHost: string | undefined): DriverChoice {
  const kind = parseDriverKind(driver);
  if (dockerHost !== undefined && kind !== 'docker') throw new Error('--docker-host needs --driver docker');
  return { kind, ...(dockerHost ? { dockerHost } : {}) };
}
